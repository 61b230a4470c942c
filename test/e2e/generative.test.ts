// The generative end-to-end test: Architectures generated from the schema
// (test/support/arbitrary-architecture.ts), far beyond the five blueprints,
// applied to the local cluster a window at a time, with the operator running.
// Each must get a status for its generation (or, with a TTL of seconds, be
// gone), and every Architecture whose reconciles keep failing must say why in
// its status: Degraded, with a reason. Each is deleted once judged, which
// keeps the cluster small. The counts are printed.
//
// Repeatable: the seed is fixed and printed; ARCHCTL_GEN_SEED overrides it,
// ARCHCTL_GEN_COUNT the number of Architectures (default 200), and
// ARCHCTL_GEN_WINDOW how many wait for a status at once. Failing
// Architectures are written to .cache/test-logs/generative/ to replay with
// `archctl apply -f`.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import type { Architecture } from "../../operator/api/schema.ts";
import { describeKubeError as explainKubeError } from "../../operator/kube/errors.ts";
import { ARCHITECTURES } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { Operator } from "../../operator/operator.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import { sampleArchitectures } from "../support/arbitrary-architecture.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, TEST_LOGS_DIR } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import { clientFor, installCrd, logLines, startOperator } from "../support/operator.ts";

const SEED = Number(process.env.ARCHCTL_GEN_SEED ?? 20_261_202);
const COUNT = Number(process.env.ARCHCTL_GEN_COUNT ?? 200);
/** Architectures waiting for a status at once: what a 2-core machine takes without falling behind. */
const WINDOW = Number(process.env.ARCHCTL_GEN_WINDOW ?? 25);
/** Applies sent at once. */
const APPLY_CONCURRENCY = 5;
/** A hang watchdog for one Architecture's status, not a speed assertion. */
const WATCHDOG_MS = 120_000;
/**
 * Failed reconciles in a row, without a status, that make an Architecture
 * stuck before the watchdog: the backoff (5 ms doubling) has then reached
 * seconds, past any transient conflict.
 */
const STUCK_STREAK = 10;
/** How long an Architecture stays after its status, for a failing reconcile loop to show. */
const LINGER_MS = 10_000;
/** How long the cleanup waits for the operator's finalizers (see cleanUp). */
const CLEANUP_WAIT_MS = 30_000;

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

type Outcome =
  | { kind: "status"; phase: string; reason: string; degradedReason?: string }
  | { kind: "expired" }
  | { kind: "refused"; why: string }
  | { kind: "none"; why: string };

/** `archctl_reconcile_total{result="error"}` from the operator's /metrics. */
async function reconcileErrors(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^archctl_reconcile_total\{result="error"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** What one Architecture has come to, or undefined while it is still on its way. */
function outcomeOf(
  a: StoredArchitecture | undefined,
  ttl: string | undefined,
): Outcome | undefined {
  if (!a) return ttl ? { kind: "expired" } : { kind: "none", why: "the Architecture is gone" };
  const s = a.status;
  if (!s?.phase || s.observedGeneration !== a.metadata.generation) return undefined;
  const reason = s.conditions?.find((c) => c.type === "Ready")?.reason ?? "(no Ready condition)";
  const degraded = s.conditions?.find((c) => c.type === "Degraded" && c.status === "True");
  return {
    kind: "status",
    phase: s.phase,
    reason,
    ...(degraded ? { degradedReason: degraded.reason } : {}),
  };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

function summary(a: Architecture): string {
  const parts: string[] = a.spec.components.map((c) => c.type);
  if (a.spec.autoscaling?.some((s) => s.queue)) parts.push("queue-scaling");
  if (a.spec.gpuPools) parts.push("gpu");
  if (a.spec.backups) parts.push("backups");
  if (a.spec.ttl) parts.push(`ttl ${a.spec.ttl}`);
  return parts.join(",");
}

function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

/** The operator's "reconcile failed" log lines, by Architecture, read as they come. */
class ErrorLog {
  private readonly op: Operator;
  private readUpTo = 0;
  private readonly counts = new Map<string, number>();
  private readonly lastErr = new Map<string, string>();
  total = 0;
  constructor(op: Operator) {
    this.op = op;
  }
  read(): void {
    const lines = logLines(this.op);
    for (; this.readUpTo < lines.length; this.readUpTo++) {
      const l = JSON.parse(lines[this.readUpTo] as string) as {
        msg: string;
        architecture?: string;
        err?: string;
      };
      if (l.msg !== "reconcile failed; will retry") continue;
      const name = (l.architecture ?? "").split("/")[1] ?? "";
      this.total++;
      this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
      this.lastErr.set(name, l.err ?? "");
    }
  }
  count(name: string): number {
    this.read();
    return this.counts.get(name) ?? 0;
  }
  last(name: string): string | undefined {
    return this.lastErr.get(name);
  }
  architectures(): string[] {
    return [...this.counts.keys()];
  }
  /** The last error of each Architecture, names and numbers masked, to tally. */
  kinds(): string[] {
    return [...this.lastErr.values()].map((e) =>
      e
        .replace(/(Architecture|architectures) \S+/g, "$1 …")
        .replace(/'[^']*'|"[^"]*"|\b[a-z0-9-]*[0-9][a-z0-9-]*\b/g, "…")
        .slice(0, 120),
    );
  }
}

test(`generative: ${COUNT} generated Architectures each get a status for their generation; no reconcile loop goes unexplained`, async (t) => {
  const started = Date.now();
  t.diagnostic(
    `seed ${SEED} (ARCHCTL_GEN_SEED to replay), ${COUNT} Architectures, at most ${WINDOW} in flight`,
  );
  const ns = await cluster.namespace(t, { prefix: "generative" });
  const client = clientFor(cluster);
  const port = await freePort();
  const op = await startOperator(t, cluster, ns, { metricsAddress: `127.0.0.1:${port}` });
  const errorsAtStart = await reconcileErrors(port);

  const archs = sampleArchitectures(COUNT, SEED).map((a) => ({
    ...a,
    metadata: { ...a.metadata, namespace: ns },
  }));
  const outcomes = new Map<string, Outcome>();
  const byName = new Map(archs.map((a) => [a.metadata.name, a]));
  const errors = new ErrorLog(op);

  // The operator's failure streaks, per Architecture.
  const workQueue = { failuresOf: (key: string) => op.failuresOf(key) };
  const failures: string[] = [];
  /** Still failing: reconciles failed and no success has ended the streak since. */
  const stillFailing = new Set<string>();
  /** Judged LINGER_MS after its status, then deleted, so the cluster stays small. */
  const judgeAt = new Map<string, number>();

  // A sliding window rather than batches: an Architecture that has a status
  // makes room for the next one, and one whose reconciles keep failing (in
  // backoff, costing the cluster nothing) does not hold a place either.
  const queued = [...archs];
  const inFlight = new Map<string, number>(); // name -> watchdog deadline
  let lastReport = 0;
  while (queued.length || inFlight.size || judgeAt.size) {
    const busy = [...inFlight.keys()].filter((n) => errors.count(n) < 2).length;
    const next = queued.splice(0, Math.max(0, WINDOW - busy));
    await pool(next, APPLY_CONCURRENCY, async (a) => {
      try {
        await client.apply(a as unknown as KubeObject, {
          fieldManager: "archctl-test",
          force: true,
        });
        inFlight.set(a.metadata.name, Date.now() + WATCHDOG_MS);
      } catch (err) {
        // Valid by validate but refused by the API server: the CRD and the
        // schema disagree, which is a finding of its own.
        outcomes.set(a.metadata.name, { kind: "refused", why: explainKubeError(err) });
      }
    });
    await sleep(500);
    const live = await client.list<StoredArchitecture>(ARCHITECTURES, ns).catch(() => undefined);
    if (!live) continue;
    const found = new Map(live.items.map((a) => [a.metadata.name, a]));
    for (const [name, deadline] of inFlight) {
      const o = outcomeOf(found.get(name), byName.get(name)?.spec.ttl);
      const streak = workQueue.failuresOf(`${ns}/${name}`);
      if (o || streak >= STUCK_STREAK || Date.now() > deadline) {
        outcomes.set(
          name,
          o ?? {
            kind: "none",
            why:
              streak >= STUCK_STREAK
                ? `no status for its generation, and ${streak} failed reconciles in a row`
                : `no status for its generation after ${WATCHDOG_MS / 1000} s`,
          },
        );
        inFlight.delete(name);
        judgeAt.set(name, Date.now() + LINGER_MS);
      }
    }
    for (const [name, at] of judgeAt) {
      if (Date.now() < at) continue;
      judgeAt.delete(name);
      const a = byName.get(name) as Architecture;
      const o = outcomes.get(name) as Outcome;
      const failing = errors.count(name) > 0 && workQueue.failuresOf(`${ns}/${name}`) > 0;
      if (failing) stillFailing.add(name);
      const last = errors.last(name);
      if (o.kind === "none")
        failures.push(
          `${name} [${summary(a)}]: ${o.why}${last ? `; last reconcile error: ${last}` : ""}`,
        );
      else if (failing && !(o.kind === "status" && o.phase === "Degraded" && o.degradedReason))
        failures.push(
          `${name} [${summary(a)}]: ${errors.count(name)} failed reconciles, still failing, but status says ${o.kind === "status" ? `${o.phase} (${o.reason})` : o.kind}: ${last}`,
        );
      if (found.has(name)) await client.delete(ARCHITECTURES, ns, name).catch(() => undefined);
    }
    if (outcomes.size - lastReport >= 25 || (!queued.length && !inFlight.size && !judgeAt.size)) {
      lastReport = outcomes.size;
      t.diagnostic(
        `${outcomes.size}/${archs.length} settled, ${inFlight.size} in flight, ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
  }
  for (const [name, o] of outcomes)
    if (o.kind === "refused")
      failures.push(`${name} [${summary(byName.get(name) as Architecture)}]: refused: ${o.why}`);

  // Reconcile errors: the metric, attributed to Architectures by the operator's
  // log. Errors go on meanwhile: the scrape falls between two reads of the log.
  errors.read();
  const loggedBefore = errors.total;
  const errorsTotal = (await reconcileErrors(port)) - errorsAtStart;
  errors.read();

  const statuses = [...outcomes.values()].filter((o) => o.kind === "status");
  const seconds = Math.round((Date.now() - started) / 1000);
  t.diagnostic(
    `generated ${archs.length}, applied ${archs.length - [...outcomes.values()].filter((o) => o.kind === "refused").length}, statuses reached ${statuses.length}, expired by TTL ${[...outcomes.values()].filter((o) => o.kind === "expired").length}, no status ${[...outcomes.values()].filter((o) => o.kind === "none").length}, ${seconds} s`,
  );
  t.diagnostic(`by phase: ${tally(statuses.map((o) => o.phase))}`);
  t.diagnostic(`by reason (Ready condition): ${tally(statuses.map((o) => o.reason))}`);
  t.diagnostic(
    `reconcile errors: ${errorsTotal} (metric), ${errors.total} (log) over ${errors.architectures().length} Architectures, ${stillFailing.size} still failing when judged`,
  );

  if (errors.total) t.diagnostic(`last reconcile error, by kind: ${tally(errors.kinds())}`);
  if (failures.length) {
    const dir = join(TEST_LOGS_DIR, "generative");
    mkdirSync(dir, { recursive: true });
    for (const f of failures) {
      const name = f.split(" ")[0] as string;
      const a = byName.get(name) as Architecture;
      const { namespace: _, ...metadata } = a.metadata;
      // Quoted for YAML 1.1 readers too (kubectl): env values such as `yes` stay strings.
      writeFileSync(join(dir, `${name}.yaml`), stringify({ ...a, metadata }, { version: "1.1" }));
    }
    t.diagnostic(`failing Architectures written to ${dir}`);
  }

  for (const f of failures) t.diagnostic(`FAILED ${f}`);
  await cleanUp(client, ns, t);
  assert.ok(
    loggedBefore <= errorsTotal && errorsTotal <= errors.total,
    `the metric counts ${errorsTotal} reconcile errors, the log ${loggedBefore} to ${errors.total}: each error the metric counts is in the log, with its Architecture`,
  );
  assert.deepEqual(failures, [], `${failures.length} of ${archs.length} Architectures failed`);
});

/**
 * Cleanup. Every Architecture was deleted once judged; this waits, while the
 * operator still runs, for their finalizers. Those with deletionPolicy Delete
 * wait for their StatefulSets to go, which the cluster's garbage collector
 * (20 requests a second) takes minutes to do for a few thousand children:
 * after CLEANUP_WAIT_MS the test lets the rest go without its finalizer, so
 * that the namespace can be deleted, and says how many.
 */
async function cleanUp(
  client: ReturnType<typeof clientFor>,
  ns: string,
  t: { diagnostic: (s: string) => void },
): Promise<void> {
  const started = Date.now();
  await cluster.kubectl(["delete", "architectures", "--all", "-n", ns, "--wait=false"]);
  let left: StoredArchitecture[] = [];
  while (Date.now() - started < CLEANUP_WAIT_MS) {
    left = (await client.list<StoredArchitecture>(ARCHITECTURES, ns)).items;
    if (!left.length) break;
    await sleep(1000);
  }
  for (const a of left)
    await client
      .jsonPatch(ARCHITECTURES, ns, a.metadata.name, [
        { op: "replace", path: "/metadata/finalizers", value: [] },
      ])
      .catch(() => undefined);
  t.diagnostic(
    `cleanup: ${left.length ? `${left.length} Architectures still finalizing (their StatefulSets going) after` : "every Architecture deleted in"} ${Math.round((Date.now() - started) / 1000)} s`,
  );
}

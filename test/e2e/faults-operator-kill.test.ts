// Faults on the whole local cluster (kwok tier), one of four files
// (faults-*.test.ts): an operator SIGKILLed at random points while
// Architectures come and go. Prints its figures with t.diagnostic. Seeded
// (ARCHCTL_FAULT_SEED).
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import { isConflict, isNotFound } from "../../operator/kube/errors.ts";
import { ARCHITECTURES, OWNED, resourceFor } from "../../operator/kube/resources.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import { render } from "../../operator/render/index.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { isReady, small } from "../support/fault-architectures.ts";
import { gcWatchesArchitectures } from "../support/gc-watches-architectures.ts";
import type { LiveObject } from "../support/live-object.ts";
import { applyArch, clientFor, getArchitecture, installCrd } from "../support/operator.ts";
import type { OperatorProcess } from "../support/operator-process.ts";
import { runOperatorProcess } from "../support/operator-process.ts";
import { prng } from "../support/prng.ts";

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
  await gcWatchesArchitectures(cluster);
});

const SEED = Number(process.env.ARCHCTL_FAULT_SEED ?? 9091);
const SECRETS = resourceFor("v1", "Secret");

/** `archctl operator run` as a child process; stderr (JSON log lines) is kept. */
function runOperator(ns: string): OperatorProcess {
  return runOperatorProcess(cluster.kubeconfig, ns, { extra: [] });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : 0;
}

async function listArchs(ns: string): Promise<StoredArchitecture[]> {
  return (await clientFor(cluster).list<StoredArchitecture>(ARCHITECTURES, ns)).items;
}

test("an operator SIGKILLed 20 times at random points while Architectures are created, changed and deleted converges with nothing duplicated or orphaned", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "fault-kill" });
  const client = clientFor(cluster);
  const killRng = prng(SEED);
  const driveRng = prng(SEED + 1);
  const NAMES = ["k0", "k1", "k2", "k3", "k4", "k5"];
  const everCreated = new Set<string>();
  const counts = { create: 0, change: 0, delete: 0, skipped: 0, raced: 0 };
  const version = new Map<string, number>();

  let current: OperatorProcess | undefined;
  t.after(() => current?.child.kill("SIGKILL"));

  // The driver: one operation every 100-400 ms, against the API server directly.
  let driving = true;
  const driver = (async () => {
    for (let i = 0; driving && i < 1000; i++) {
      const name = NAMES[Math.floor(driveRng() * NAMES.length)] as string;
      const r = driveRng();
      try {
        await driveOnce(name, r);
      } catch (err) {
        // A race with the operator (gone between read and delete): not its fault.
        if (!isNotFound(err) && !isConflict(err)) throw err;
        counts.raced++;
      }
      await sleep(100 + driveRng() * 300);
    }
  })();
  async function driveOnce(name: string, r: number): Promise<void> {
    const live = await getArchitecture(client, ns, name);
    if (live?.metadata.deletionTimestamp) counts.skipped++;
    else if (!live) {
      const v = (version.get(name) ?? 0) + 1;
      version.set(name, v);
      await applyArch(cluster, small(name, ns, v, NAMES.indexOf(name) % 2 === 0));
      everCreated.add(name);
      counts.create++;
    } else if (r < 0.65) {
      const v = (version.get(name) ?? 0) + 1;
      version.set(name, v);
      await applyArch(cluster, small(name, ns, v, NAMES.indexOf(name) % 2 === 0));
      counts.change++;
    } else {
      await client.delete(ARCHITECTURES, ns, name);
      counts.delete++;
    }
  }

  // The killer: 20 operators in a row, each SIGKILLed in the middle of its
  // work: on the k-th write it logs (k = 1-3: an "applied", "generated
  // credentials", "pruned" or "recreating" line, printed as the API server's
  // answer arrives), after a further 0-150 ms, so that the kill lands between
  // two writes of a reconcile, or inside one. The driver keeps every new
  // operator busy; an operator that has not written k times within 5 s of
  // syncing is killed then (counted as a kill without a write).
  let kills = 0;
  let killsAfterSync = 0;
  let killsAfterWrites = 0;
  let startupMs = 0;
  let writesBeforeKills = 0;
  const killDelays: number[] = [];
  const WRITE = /"msg":"(applied|generated credentials|pruned|recreating)"/;
  for (let i = 0; i < 20; i++) {
    const spawned = Date.now();
    current = runOperator(ns);
    const proc = current;
    const synced = await proc.waitForLine(/"msg":"caches synced"/, { timeoutMs: 15_000 });
    startupMs += Date.now() - spawned;
    const k = 1 + Math.floor(killRng() * 3);
    const delay = Math.floor(killRng() * 150);
    if (synced) await proc.waitForLine(WRITE, { count: k, timeoutMs: 5_000 });
    await sleep(delay);
    const writesSeen = proc.lines.filter((l) => WRITE.test(l)).length;
    proc.child.kill("SIGKILL");
    const code = await proc.exited;
    assert.equal(code, null, "killed by the signal");
    kills++;
    if (proc.lines.some((l) => l.includes('"msg":"caches synced"'))) killsAfterSync++;
    // Lines seen before the kill was sent: a line still in the pipe when the
    // process died was printed before, but does not count here.
    if (writesSeen > 0) {
      killsAfterWrites++;
      writesBeforeKills += writesSeen;
      killDelays.push(delay);
    }
  }
  driving = false;
  await driver;
  t.diagnostic(
    `seed ${SEED}: ${kills} SIGKILLs, ${killsAfterSync} after caches synced, ${killsAfterWrites} mid-reconcile (0-150 ms after the 1st-3rd write of that process; ${writesBeforeKills} writes logged before those kills, median delay ${median(killDelays)} ms); mean start-up to synced ${Math.round(startupMs / kills)} ms; driver: ${counts.create} creates, ${counts.change} changes, ${counts.delete} deletes, ${counts.skipped} skipped (terminating), ${counts.raced} raced`,
  );

  // One more operator, left running: everything must converge.
  const started = Date.now();
  current = runOperator(ns);
  const final = await cluster.eventually(
    "every Architecture Ready at its generation, every deleted one gone",
    async () => {
      const archs = await listArchs(ns);
      return archs.every((a) => !a.metadata.deletionTimestamp && isReady(a)) ? archs : undefined;
    },
    240_000,
  );
  const convergeMs = Date.now() - started;
  const live = new Map(final.map((a) => [a.metadata.name, a]));
  const deleted = [...everCreated].filter((n) => !live.has(n));

  // Garbage collection of the deleted ones' children (not of their data).
  const ownedKinds = OWNED.filter((r) => !r.optional);
  const labelled = async () => {
    const out: (LiveObject & { kind: string })[] = [];
    for (const r of ownedKinds)
      for (const o of (await client.list<LiveObject>(r, ns, ARCHITECTURE_LABEL)).items)
        out.push({ ...o, kind: r.kind });
    return out;
  };
  const objects = await cluster.eventually(
    "children of deleted Architectures collected",
    async () => {
      const all = await labelled();
      const stale = all.filter(
        (o) =>
          !live.has(o.metadata.labels?.[ARCHITECTURE_LABEL] ?? "") &&
          o.kind !== "Secret" &&
          o.kind !== "PersistentVolumeClaim",
      );
      if (stale.length === 0) return all;
      // Named in the timeout's message.
      throw new Error(
        `still there: ${stale.map((o) => `${o.kind}/${o.metadata.name} (owners ${JSON.stringify(o.metadata.ownerReferences ?? [])}${o.metadata.deletionTimestamp ? ", deleting" : ""})`).join(", ")}`,
      );
    },
    120_000,
  );

  // 1. Exactly the rendered children of every live Architecture: none missing, none extra.
  let checked = 0;
  for (const a of final) {
    const name = a.metadata.name;
    const want = render(
      { apiVersion: a.apiVersion, kind: a.kind, metadata: { name, namespace: ns }, spec: a.spec },
      { keda: false, serviceMonitors: false },
    );
    const wantKeys = want.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const mine = objects.filter((o) => o.metadata.labels?.[ARCHITECTURE_LABEL] === name);
    const haveKeys = mine
      .filter((o) => o.kind !== "Secret" && o.kind !== "PersistentVolumeClaim")
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
    assert.deepEqual(haveKeys, wantKeys, `${name}: children`);
    // 2. Owned by this Architecture (this uid), once.
    for (const o of mine.filter((x) => x.kind !== "PersistentVolumeClaim")) {
      checked++;
      const refs = o.metadata.ownerReferences ?? [];
      assert.equal(refs.length, 1, `${o.kind}/${o.metadata.name}: ${refs.length} owners`);
      assert.equal(refs[0]?.uid, a.metadata.uid, `${o.kind}/${o.metadata.name}: owner uid`);
    }
    // 3. Exactly one credentials Secret per datastore.
    const secrets = mine.filter((o) => o.kind === "Secret");
    assert.deepEqual(
      secrets.map((s) => s.metadata.name),
      [`${name}-cache-credentials`],
      `${name}: credentials`,
    );
  }
  // 4. What deleted Architectures left behind is exactly their data, owned by nobody.
  const leftovers = objects.filter((o) => !live.has(o.metadata.labels?.[ARCHITECTURE_LABEL] ?? ""));
  for (const o of leftovers) {
    const owner = o.metadata.labels?.[ARCHITECTURE_LABEL] ?? "";
    assert.ok(deleted.includes(owner), `${o.kind}/${o.metadata.name} of ${owner}, never created?`);
    assert.ok(["Secret", "PersistentVolumeClaim"].includes(o.kind), `${o.kind} left behind`);
    if (o.kind === "Secret") {
      assert.equal(o.metadata.name, `${owner}-cache-credentials`);
      assert.equal(o.metadata.ownerReferences, undefined, `${o.metadata.name} still owned`);
    }
  }
  const keptSecrets = leftovers.filter((o) => o.kind === "Secret").length;
  const keptClaims = leftovers.filter((o) => o.kind === "PersistentVolumeClaim").length;
  // Every deleted Architecture the operator ever saw keeps its credentials (Retain).
  const secretNames = new Set(
    (await client.list<LiveObject>(SECRETS, ns, ARCHITECTURE_LABEL)).items.map(
      (s) => s.metadata.name,
    ),
  );
  const withoutData = deleted.filter((n) => !secretNames.has(`${n}-cache-credentials`));

  t.diagnostic(
    `converged ${convergeMs} ms after the last start: ${final.length} live Architectures Ready, ${checked} owned children checked, ${deleted.length} deleted (${keptSecrets} kept Secrets, ${keptClaims} kept claims, ${withoutData.length} deleted before their credentials were made)`,
  );
  assert.ok(
    killsAfterWrites >= kills / 2,
    `only ${killsAfterWrites} of ${kills} kills came after the process had begun writing`,
  );
  assert.ok(counts.create + counts.change + counts.delete > 10, "the driver did little");
});

// Sharded operators on a real API server (kwok tier, with an audit log):
// three shards, shard 0 with a standby. The API server's audit log shows that
// each Architecture's writes come from exactly one shard, the one its label
// (or hash) names; a SIGKILLed shard leader is replaced by its standby once
// the shard's Lease runs out; going from 3 shards to 2 loses and duplicates
// nothing. Figures are printed with t.diagnostic.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { after, before, test } from "node:test";
import type { Architecture } from "../../operator/api/schema.ts";
import { LEASES } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { ownerShard, SHARD_LABEL } from "../../operator/runtime/shard.ts";
import { auditLogPath } from "../cluster/kwok-cluster.ts";
import type { AuditEvent } from "../support/audit-log.ts";
import { archctlIdentity, auditSince, WRITE_VERBS } from "../support/audit-log.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import {
  architecture,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
} from "../support/operator.ts";
import type { OperatorProcess } from "../support/operator-process.ts";
import { runOperatorProcess } from "../support/operator-process.ts";

let cluster: TestCluster;
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

const SELF = `${hostname()}-${process.pid}`;
const NAMES = Array.from({ length: 9 }, (_, i) => `sh-${i}`);

function small(name: string, ns: string, version: number): Architecture {
  return architecture(name, ns, {
    components: [
      {
        name: "api",
        type: "service",
        image: "ghcr.io/example/api:1",
        env: { VERSION: String(version) },
        uses: ["cache"],
      },
      { name: "cache", type: "redis", storage: { size: "1Gi" } },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
  });
}

async function metric(port: number, name: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
      signal: AbortSignal.timeout(2000),
    });
    const line = (await res.text()).split("\n").find((l) => l.startsWith(`${name} `));
    return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : undefined;
  } catch {
    return undefined;
  }
}

interface Shard {
  shard: number;
  proc: OperatorProcess;
  port: number;
}

/** The Architecture an audited write is about: itself, or a child named `<arch>-...`. */
function architectureOf(e: AuditEvent, ns: string): string | undefined {
  if (e.objectRef?.namespace !== ns || !WRITE_VERBS.has(e.verb)) return undefined;
  const r = e.objectRef.resource;
  if (r === "leases" || r === "events") return undefined;
  const name = e.objectRef.name ?? "";
  if (r === "architectures") return NAMES.includes(name) ? name : undefined;
  return NAMES.find((a) => name.startsWith(`${a}-`));
}

/** For each Architecture, the shards whose processes wrote it or its children. */
function writersByArchitecture(
  events: AuditEvent[],
  ns: string,
  shardOf: Map<string, number>,
): Map<string, Set<number>> {
  const by = new Map<string, Set<number>>();
  for (const e of events) {
    const a = architectureOf(e, ns);
    const id = archctlIdentity(e);
    if (!a || !id || id === SELF) continue; // SELF: this test's own applies
    const shard = shardOf.get(id);
    assert.ok(shard !== undefined, `a write by an unknown archctl process ${id}`);
    by.set(a, (by.get(a) ?? new Set()).add(shard));
  }
  return by;
}

test("three shards: each Architecture written by exactly one shard (audit log); a SIGKILLed shard leader taken over by its standby; 3 -> 2 shards loses and duplicates nothing", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "shard" });
  const client = clientFor(cluster);
  const auditFile = cluster.local ? auditLogPath(cluster.local.name) : undefined;
  if (!auditFile || !existsSync(auditFile)) {
    t.skip(
      `no audit log (${auditFile ?? "an existing cluster"}): the test reads who wrote what from it`,
    );
    return;
  }
  const procs: OperatorProcess[] = [];
  t.after(() => {
    for (const p of procs) p.child.kill("SIGKILL");
  });
  const identityOf = new Map<string, number>();
  const start = async (shard: number, shards: number): Promise<Shard> => {
    const port = await freePort();
    const proc = runOperatorProcess(cluster.kubeconfig, ns, {
      metricsPort: port,
      extra: [
        "--leader-elect",
        "--lease-namespace",
        ns,
        "--shard",
        String(shard),
        "--shards",
        String(shards),
      ],
    });
    procs.push(proc);
    const line = await proc.waitForLine(/"msg":"starting"/, { timeoutMs: 60_000 });
    const identity = line ? (JSON.parse(line) as { identity: string }).identity : undefined;
    assert.ok(identity, `shard ${shard} did not start: ${proc.output()}`);
    identityOf.set(identity, shard);
    return { shard, proc, port };
  };

  // Three shards; shard 0 has a standby.
  const auditFrom = statSync(auditFile).size;
  const three = await Promise.all([start(0, 3), start(0, 3), start(1, 3), start(2, 3)]);
  for (const name of NAMES)
    await client.apply(small(name, ns, 1) as unknown as KubeObject, {
      fieldManager: "archctl-test",
      force: true,
    });
  for (const name of NAMES) await converged(cluster, client, ns, name, 120_000);
  const labels = new Map<string, string | undefined>();
  for (const name of NAMES) {
    const a = await getArchitecture(client, ns, name);
    labels.set(name, a?.metadata.labels?.[SHARD_LABEL]);
    assert.equal(
      a?.metadata.labels?.[SHARD_LABEL],
      String(ownerShard({ metadata: { name, namespace: ns } }, 3)),
      `${name}: the shard label its hash names`,
    );
  }
  const writers = await cluster.eventually(
    "every Architecture's writes in the audit log",
    async () => {
      const w = writersByArchitecture(auditSince(auditFile, auditFrom), ns, identityOf);
      return NAMES.every((n) => w.has(n)) ? w : undefined;
    },
    30_000,
  );
  for (const name of NAMES)
    assert.deepEqual(
      [...(writers.get(name) ?? [])],
      [Number(labels.get(name))],
      `${name}: writers`,
    );
  const perShard = [0, 1, 2].map((s) => NAMES.filter((n) => labels.get(n) === String(s)).length);
  t.diagnostic(
    `3 shards: Architectures per shard ${perShard.join("/")}; each written by one shard only`,
  );

  // SIGKILL shard 0's leader: its standby takes the Lease once it runs out (15 s).
  const lease = await client.get<KubeObject & { spec: { holderIdentity: string } }>(
    LEASES,
    ns,
    "archctl-operator-shard-0",
  );
  const [first, second] = three.filter((s) => s.shard === 0) as [Shard, Shard];
  const leader = lease.spec.holderIdentity.endsWith(`-${first.proc.child.pid}`) ? first : second;
  const standby = leader === first ? second : first;
  assert.equal(await metric(standby.port, "archctl_leader"), 0, "the standby does not lead");
  const killedAt = Date.now();
  leader.proc.child.kill("SIGKILL");
  await leader.proc.exited;
  await cluster.eventually(
    "the standby leads shard 0",
    async () => (await metric(standby.port, "archctl_leader")) === 1,
    60_000,
  );
  const takeoverMs = Date.now() - killedAt;
  const shard0 = NAMES.find((n) => labels.get(n) === "0");
  if (shard0) {
    await client.apply(small(shard0, ns, 2) as unknown as KubeObject, {
      fieldManager: "archctl-test",
      force: true,
    });
    await converged(cluster, client, ns, shard0, 60_000);
  }
  t.diagnostic(
    `takeover of shard 0 after SIGKILL of its leader: ${takeoverMs} ms (lease 15 s, retry 2 s)`,
  );
  assert.ok(
    takeoverMs >= 10_000,
    `taken over after ${takeoverMs} ms: sooner than the lease allows`,
  );

  // 3 -> 2 shards: stop all, start two, change every Architecture.
  await Promise.all(
    three
      .filter((s) => s !== leader)
      .map(async (s) => {
        s.proc.child.kill("SIGTERM");
        await s.proc.exited;
      }),
  );
  const reshardFrom = statSync(auditFile).size;
  identityOf.clear();
  await Promise.all([start(0, 2), start(1, 2)]);
  for (const name of NAMES)
    await client.apply(small(name, ns, 3) as unknown as KubeObject, {
      fieldManager: "archctl-test",
      force: true,
    });
  for (const name of NAMES) await converged(cluster, client, ns, name, 120_000);
  const expected = new Map(
    NAMES.map((name) => {
      const before = labels.get(name);
      const meta = {
        name,
        namespace: ns,
        ...(before ? { labels: { [SHARD_LABEL]: before } } : {}),
      };
      return [name, ownerShard({ metadata: meta }, 2)];
    }),
  );
  const after2 = await cluster.eventually(
    "every Architecture's writes after re-sharding in the audit log",
    async () => {
      const w = writersByArchitecture(auditSince(auditFile, reshardFrom), ns, identityOf);
      return NAMES.every((n) => w.has(n)) ? w : undefined;
    },
    30_000,
  );
  let moved = 0;
  for (const name of NAMES) {
    assert.deepEqual(
      [...(after2.get(name) ?? [])],
      [expected.get(name)],
      `${name}: writers after 3 -> 2`,
    );
    const a = await getArchitecture(client, ns, name);
    assert.equal(
      a?.metadata.labels?.[SHARD_LABEL],
      String(expected.get(name)),
      `${name}: label after 3 -> 2`,
    );
    assert.equal(a?.status?.observedGeneration, a?.metadata.generation, `${name}: reconciled`);
    if (labels.get(name) !== String(expected.get(name))) moved++;
  }
  t.diagnostic(
    `3 -> 2 shards: ${NAMES.length} of ${NAMES.length} reconciled, each by one shard; ${moved} relabelled (those of shard 2)`,
  );
});

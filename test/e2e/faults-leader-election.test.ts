// Faults on the whole local cluster (kwok tier), one of four files
// (faults-*.test.ts): a leader SIGKILLed under leader election, checked from
// the API server's audit log. Prints its figures with t.diagnostic.
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { LEASES, resourceFor } from "../../operator/kube/resources.ts";
import { auditLogPath } from "../cluster/kwokctl-config.ts";
import { type AuditEvent, auditSince, tally, WRITE_VERBS, what } from "../support/audit-log.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { isReady, small } from "../support/fault-architectures.ts";
import { freePort } from "../support/free-port.ts";
import { gcWatchesArchitectures } from "../support/gc-watches-architectures.ts";
import type { LiveObject } from "../support/live-object.ts";
import {
  applyArch,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
} from "../support/operator.ts";
import type { OperatorProcess } from "../support/operator-process.ts";
import { runOperatorProcess } from "../support/operator-process.ts";

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
  await gcWatchesArchitectures(cluster);
});

const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");

/** `archctl operator run` as a child process; stderr (JSON log lines) is kept. */
function runOperator(ns: string, extra: string[], metricsPort: number): OperatorProcess {
  return runOperatorProcess(cluster.kubeconfig, ns, { extra, metricsPort });
}

/** Sum of a metric's samples on an operator's /metrics (undefined: not answering). */
async function metric(port: number, name: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
      signal: AbortSignal.timeout(2000),
    });
    const text = await res.text();
    let sum = 0;
    for (const line of text.split("\n"))
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    return sum;
  } catch {
    return undefined;
  }
}

test("two operator processes with leader election: only the leader writes (as the API server's audit log shows); after SIGKILL of the leader the follower takes over once the lease expires", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "fault-leader" });
  const client = clientFor(cluster);
  // The API server's record of who wrote what (test/support/rel-cluster.ts sets the policy).
  const auditFile = cluster.local ? auditLogPath(cluster.local.name) : undefined;
  if (auditFile)
    assert.ok(
      existsSync(auditFile),
      `no audit log at ${auditFile}: cluster ${cluster.local?.name} was created without the audit policy of test/support/rel-cluster.ts (delete it: npm run cluster:down -- --name ${cluster.local?.name})`,
    );
  const auditFrom = auditFile ? statSync(auditFile).size : 0;
  const ports = [await freePort(), await freePort()];
  const args = ["--leader-elect", "--lease-namespace", ns];
  const ops = ports.map((p) => runOperator(ns, args, p));
  t.after(() => {
    for (const o of ops) o.child.kill("SIGKILL");
  });
  const leaderOf = async () => {
    const states = await Promise.all(ports.map((p) => metric(p, "archctl_leader")));
    return states;
  };
  await cluster.eventually(
    "one leader",
    async () => (await leaderOf()).filter((v) => v === 1).length === 1,
    60_000,
  );
  await sleep(3000); // two retry periods: still exactly one
  const states = await leaderOf();
  assert.deepEqual([...states].sort(), [0, 1], `leader gauges ${states}`);
  const li = states.indexOf(1);
  const leader = ops[li] as OperatorProcess;
  const follower = ops[1 - li] as OperatorProcess;
  const lease = await client.get<
    LiveObject & { spec: { holderIdentity: string; leaseTransitions?: number } }
  >(LEASES, ns, "archctl-operator");
  assert.ok(
    lease.spec.holderIdentity.endsWith(`-${leader.child.pid}`),
    "the Lease names the leader",
  );
  // Each process tells the API server who it is: `archctl/<version> (<identity>)`,
  // the identity it campaigns with (operator/kube/rest.ts).
  const leaderIdentity = lease.spec.holderIdentity;
  const followerIdentity = leaderIdentity.replace(/-\d+$/, `-${follower.child.pid}`);
  const isFrom = (identity: string) => (e: AuditEvent) =>
    e.userAgent?.startsWith("archctl/") === true && e.userAgent.endsWith(` (${identity})`);

  await applyArch(cluster, small("shop", ns, 1, false));
  await cluster.eventually(
    "shop Ready",
    async () => {
      const a = await getArchitecture(client, ns, "shop");
      return a && isReady(a);
    },
    120_000,
  );
  const leaderWrites =
    (await metric(leader.metricsPort as number, "archctl_api_writes_total")) ?? 0;
  const followerWrites = await metric(follower.metricsPort as number, "archctl_api_writes_total");
  assert.ok(leaderWrites > 0, "the leader wrote");
  assert.equal(followerWrites, 0, "the follower wrote");
  assert.ok(
    !follower.lines.some((l) => /"msg":"(applied|generated credentials)"/.test(l)),
    "the follower logged writes",
  );

  // SIGKILL: no clean release. The follower must wait the lease out (15 s).
  const killedAt = Date.now();
  leader.child.kill("SIGKILL");
  await leader.exited;
  await cluster.eventually(
    "the follower leads",
    async () => (await metric(follower.metricsPort as number, "archctl_leader")) === 1,
    60_000,
  );
  const failoverMs = Date.now() - killedAt;
  // The new leader does the work: a change lands, written by archctl-operator after the failover.
  await applyArch(cluster, small("shop", ns, 2, false));
  await converged(cluster, client, ns, "shop", 60_000);
  const d = await client.get<LiveObject>(DEPLOYMENTS, ns, "shop-api");
  const applyTime = d.metadata.managedFields?.find(
    (m) => m.manager === "archctl-operator" && m.operation === "Apply",
  )?.time;
  assert.ok(
    applyTime && Date.parse(applyTime) >= killedAt - 1000,
    `operator's apply at ${applyTime}`,
  );
  const newWrites = (await metric(follower.metricsPort as number, "archctl_api_writes_total")) ?? 0;
  assert.ok(newWrites > 0, "the new leader wrote");
  const after = await client.get<
    LiveObject & { spec: { holderIdentity: string; leaseTransitions?: number } }
  >(LEASES, ns, "archctl-operator");
  assert.ok(after.spec.holderIdentity.endsWith(`-${follower.child.pid}`));
  // A lower bound only (the lease, 15 s, minus clock slack): a loaded machine
  // makes a failover slower, never sooner. The 60 s wait above is the watchdog.
  assert.ok(failoverMs >= 10_000, `failover after ${failoverMs} ms: sooner than the lease allows`);
  t.diagnostic(
    `metrics: leader wrote ${leaderWrites} times, follower 0; failover after SIGKILL of the leader: ${failoverMs} ms (lease 15 s, retry 2 s); the new leader wrote ${newWrites} times; leaseTransitions ${lease.spec.leaseTransitions ?? 0} -> ${after.spec.leaseTransitions ?? 0}`,
  );

  if (!auditFile) {
    t.diagnostic("audit: not checked (an existing cluster: its audit log is not ours to read)");
    return;
  }
  // The API server's side. The follower is a follower until its first accepted
  // write of the Lease (the takeover); until then the only write it may have
  // sent is the create of the Lease it lost to the leader at start-up (409).
  const audit = await cluster.eventually(
    "the new leader's writes in the audit log",
    async () => {
      const events = auditSince(auditFile, auditFrom);
      const applied = events.some(
        (e) =>
          isFrom(followerIdentity)(e) &&
          e.verb === "patch" &&
          e.objectRef?.resource === "deployments" &&
          e.objectRef.namespace === ns,
      );
      return applied ? events : undefined;
    },
    30_000,
  );
  const fromLeader = audit.filter(isFrom(leaderIdentity));
  const fromFollower = audit.filter(isFrom(followerIdentity));
  const followerWritesAudit = fromFollower.filter((e) => WRITE_VERBS.has(e.verb));
  const takeover = followerWritesAudit.find(
    (e) =>
      e.objectRef?.resource === "leases" &&
      e.verb === "update" &&
      (e.responseStatus?.code ?? 0) < 300,
  );
  assert.ok(takeover, "no accepted Lease update by the follower in the audit log");
  const takeoverAt = Date.parse(takeover.requestReceivedTimestamp);
  assert.ok(takeoverAt >= killedAt, "the follower took the Lease before the leader was killed");
  const asFollower = fromFollower.filter(
    (e) => Date.parse(e.requestReceivedTimestamp) < takeoverAt,
  );
  const lostRace = (e: AuditEvent) =>
    e.verb === "create" && e.objectRef?.resource === "leases" && e.responseStatus?.code === 409;
  const followerWritesWhileFollowing = asFollower.filter(
    (e) => WRITE_VERBS.has(e.verb) && !lostRace(e),
  );
  const followerReads = asFollower.filter((e) => !WRITE_VERBS.has(e.verb)).length;
  const racesLost = asFollower.filter(lostRace).length;
  const leaderWritesAudit = fromLeader.filter((e) => WRITE_VERBS.has(e.verb));
  const leaderObjectWrites = leaderWritesAudit.filter(
    (e) => e.objectRef?.resource !== "leases" && e.objectRef?.resource !== "events",
  );
  const newLeaderWrites = followerWritesAudit.filter(
    (e) => Date.parse(e.requestReceivedTimestamp) >= takeoverAt,
  );
  t.diagnostic(
    `audit log (${audit.length} events in this test): leader ${leaderIdentity}: ${leaderWritesAudit.length} writes (${tally(leaderWritesAudit)}); follower ${followerIdentity} while following: ${followerWritesWhileFollowing.length} writes, ${racesLost} refused Lease create (the start-up race), ${followerReads} Lease reads; after its takeover: ${newLeaderWrites.length} writes (${tally(newLeaderWrites)})`,
  );
  assert.ok(
    followerReads > 0,
    "the follower's Lease reads are not in the audit log: wrong user agent?",
  );
  assert.deepEqual(followerWritesWhileFollowing.map(what), [], "the follower wrote");
  assert.ok(racesLost <= 1, `${racesLost} Lease creates by the follower`);
  assert.ok(
    leaderObjectWrites.some((e) => e.verb === "patch" && e.objectRef?.resource === "deployments"),
    `the leader's applies are not in the audit log: ${tally(leaderWritesAudit)}`,
  );
  assert.ok(
    leaderObjectWrites.length >= leaderWrites,
    `the audit log shows ${leaderObjectWrites.length} object writes by the leader, its metric ${leaderWrites}`,
  );
  assert.ok(
    newLeaderWrites.some((e) => e.verb === "patch" && e.objectRef?.resource === "deployments"),
    "the new leader's applies are not in the audit log",
  );
});

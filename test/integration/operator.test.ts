// The operator against a real kube-apiserver + etcd (no controllers run here,
// so workloads never become ready: readiness is the kwok tier's business).
// This file: reconcile (create, change, status, restore) and leader election;
// operator-refusals.test.ts and operator-deletion.test.ts hold the rest.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ARCHITECTURE_LABEL, FINALIZER } from "../../operator/api/names.ts";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import type { LiveObject } from "../support/live-object.ts";
import {
  applyArch,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  logLines,
  settle,
  startOperator,
  writesOf,
} from "../support/operator.ts";
import { oneEvent } from "../support/operator-events.ts";
import { shop } from "../support/shop-architecture.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");
const SERVICES = resourceFor("v1", "Service");
const SECRETS = resourceFor("v1", "Secret");
const STATEFULSETS = resourceFor("apps/v1", "StatefulSet");

test("apply creates every child with owner references, labels, credentials and status; a no-op reconcile writes nothing", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-apply" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  const arch = await converged(cluster, client, ns, "shop");
  await settle(op);

  assert.ok(arch.metadata.finalizers?.includes(FINALIZER), "finalizer added");
  const api = await client.get<LiveObject>(DEPLOYMENTS, ns, "shop-api");
  assert.equal(api.metadata.ownerReferences?.[0]?.uid, arch.metadata.uid);
  assert.equal(api.metadata.labels?.[ARCHITECTURE_LABEL], "shop");
  assert.equal(api.metadata.labels?.["app.kubernetes.io/managed-by"], "archctl-operator");
  await client.get<LiveObject>(SERVICES, ns, "shop-api");
  await client.get<LiveObject>(STATEFULSETS, ns, "shop-cache");
  await client.get<LiveObject>(DEPLOYMENTS, ns, "shop-worker");
  const secret = await client.get<LiveObject>(SECRETS, ns, "shop-cache-credentials");
  const password = Buffer.from(secret.data?.password ?? "", "base64").toString();
  assert.equal(password.length, 32);
  assert.equal(arch.status?.phase, "Pending", "no controllers here: nothing becomes ready");
  assert.equal(arch.status?.ready, "0/3");
  assert.deepEqual(
    arch.status?.components?.map((c) => c.name),
    ["api", "cache", "worker"],
  );
  const ready = arch.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.status, "False");
  assert.match(ready?.message ?? "", /waiting for api/);

  // No secret value in the operator's logs or in the status.
  assert.ok(!logLines(op).some((l) => l.includes(password)), "password in a log line");
  assert.ok(!JSON.stringify(arch.status).includes(password), "password in status");

  // A touch that is not a spec change wakes the reconcile; it must write nothing.
  const before = op.writes;
  await client.mergePatch(ARCHITECTURES, ns, "shop", {
    metadata: { annotations: { touched: String(Date.now()) } },
  });
  await sleep(1500);
  await settle(op);
  assert.equal(op.writes - before, 0, "a no-op reconcile wrote to the API server");
});

test("a one-field change applies only the affected object; removed components are pruned; credentials stay", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-change" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(op);
  const password = (await client.get<LiveObject>(SECRETS, ns, "shop-cache-credentials")).data
    ?.password;
  const created = await oneEvent(cluster, ns, "shop", "Created");
  assert.match(created.note, /^created \d+ objects: .*Deployment\/shop-api/);

  const applied: string[] = [];
  const lines = logLines(op);
  const mark = lines.length;
  await applyArch(cluster, shop(ns, {}, 5));
  await converged(cluster, client, ns, "shop");
  await settle(op);
  for (const l of lines.slice(mark)) {
    const e = JSON.parse(l) as { msg: string; kind?: string; name?: string };
    if (e.msg === "applied") applied.push(`${e.kind}/${e.name}`);
  }
  assert.deepEqual(applied, ["Deployment/shop-api"]);
  assert.equal((await client.get<LiveObject>(DEPLOYMENTS, ns, "shop-api")).spec?.replicas, 5);
  assert.equal(
    (await oneEvent(cluster, ns, "shop", "Updated")).note,
    "updated 1 object: Deployment/shop-api",
  );

  const spec = shop(ns).spec;
  spec.components = spec.components.filter((c) => c.name !== "worker");
  await applyArch(cluster, { ...shop(ns), spec });
  await converged(cluster, client, ns, "shop");
  await cluster.eventually(
    "worker pruned",
    async () => (await client.find(DEPLOYMENTS, ns, "shop-worker")) === undefined,
  );
  const pruned = await oneEvent(cluster, ns, "shop", "Pruned");
  assert.match(
    pruned.note,
    /^pruned what is no longer part of the Architecture: (1 object|\d+ objects): /,
  );
  assert.match(pruned.note, /Deployment\/shop-worker/);
  assert.doesNotMatch(pruned.note, /shop-api|shop-cache/, "only the worker's objects");
  assert.equal(
    (await client.get<LiveObject>(SECRETS, ns, "shop-cache-credentials")).data?.password,
    password,
    "credentials never rotate",
  );
});

test("a one-field change writes status exactly once, even when a child's watch event re-queues the Architecture mid-reconcile", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-onestatus" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  const names = Array.from({ length: 20 }, (_, i) => `shop${i}`);
  const make = (name: string, replicas: number) => ({
    ...shop(ns, {}, replicas),
    metadata: { name, namespace: ns },
  });
  await Promise.all(names.map((n) => applyArch(cluster, make(n, 2))));
  await Promise.all(names.map((n) => converged(cluster, client, ns, n)));
  await settle(op);
  // Creation too: the finalizer patch's watch event can reach the cache
  // before the status write's does.
  assert.equal(
    await writesOf(op, "Architecture", "status"),
    names.length,
    "status writes on create",
  );

  // Each round: the Architecture's update and then the applied Deployment's
  // watch event queue the key; the second reconcile often starts before the
  // watch event of the status write has reached the cache.
  const rounds = 4;
  for (let round = 1; round <= rounds; round++) {
    const statusBefore = await writesOf(op, "Architecture", "status");
    const appliesBefore = await writesOf(op, "Deployment", "apply");
    const conditionsBefore = new Map(
      await Promise.all(
        names.map(
          async (n) => [n, (await getArchitecture(client, ns, n))?.status?.conditions] as const,
        ),
      ),
    );
    await Promise.all(names.map((n) => applyArch(cluster, make(n, 2 + round))));
    await Promise.all(names.map((n) => converged(cluster, client, ns, n)));
    await settle(op);
    assert.equal(
      (await writesOf(op, "Deployment", "apply")) - appliesBefore,
      names.length,
      `round ${round}: one Deployment apply per Architecture`,
    );
    assert.equal(
      (await writesOf(op, "Architecture", "status")) - statusBefore,
      names.length,
      `round ${round}: one status write per Architecture`,
    );
    for (const n of names) {
      const a = await getArchitecture(client, ns, n);
      assert.equal(a?.status?.components?.find((c) => c.name === "api")?.desired, 2 + round);
      // Nothing flipped (Ready stays False here), so no transition time moves.
      assert.deepEqual(
        a?.status?.conditions?.map((c) => [c.type, c.lastTransitionTime]),
        conditionsBefore.get(n)?.map((c) => [c.type, c.lastTransitionTime]),
        `${n}: lastTransitionTime changed without a transition`,
      );
    }
  }
});

test("children deleted or edited by hand are restored", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-restore" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(op);

  await client.delete(SERVICES, ns, "shop-api");
  await cluster.eventually("service restored", async () => client.find(SERVICES, ns, "shop-api"));

  await cluster.kubectl(["scale", "deployment/shop-api", "-n", ns, "--replicas=9"]);
  await cluster.eventually(
    "replicas restored",
    async () => (await client.get<LiveObject>(DEPLOYMENTS, ns, "shop-api")).spec?.replicas === 2,
  );

  await client.delete(SECRETS, ns, "shop-cache-credentials");
  await cluster.eventually("credentials re-created", async () =>
    client.find(SECRETS, ns, "shop-cache-credentials"),
  );
});

test("with two operators and leader election exactly one writes, and the other takes over", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-leader" });
  const client = clientFor(cluster);
  const lease = { leaderElection: true, leaseNamespace: ns, leaseName: "archctl-test" };
  const a = await startOperator(t, cluster, ns, { ...lease, identity: "a" });
  const b = await startOperator(t, cluster, ns, { ...lease, identity: "b" });
  await cluster.eventually("a leader", async () => a.isLeader || b.isLeader);
  await sleep(2500);
  assert.equal(Number(a.isLeader) + Number(b.isLeader), 1, "exactly one leader");
  const [leader, follower] = a.isLeader ? [a, b] : [b, a];
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(leader);
  assert.equal(follower.writes, 0, "the follower wrote");
  const started = Date.now();
  await leader.stop(); // releases the lease
  await cluster.eventually("failover", async () => follower.isLeader, 20_000);
  const failoverMs = Date.now() - started;
  // The lease was released, so it is taken at the next retry: the bound is the
  // lease duration (what waiting it out would take), not a speed.
  assert.ok(
    failoverMs < 15_000,
    `failover took ${failoverMs} ms, the lease duration: the lease was not released`,
  );
  t.diagnostic(`failover ${failoverMs} ms after the leader stopped (lease 15 s, retry 2 s)`);
});

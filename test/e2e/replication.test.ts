// Replicated datastores on the local cluster (kwok tier): members on distinct
// nodes and zones, `kubectl drain` refused by the PodDisruptionBudget (the
// real Eviction API) where it would take a second member, and the
// Architecture reporting the loss and the recovery.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { KubeObject } from "../../operator/kube/types.ts";
import { ZONE_LABEL } from "../cluster/nodes.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import {
  architecture,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  startOperator,
} from "../support/operator.ts";

let cluster: TestCluster;
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

interface PodLike {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const isReady = (p: PodLike) =>
  p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

test("members on distinct nodes and zones; a drain that would take a second member is refused; loss and recovery in status", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "repl" });
  const op = await startOperator(t, cluster, ns);
  const client = clientFor(cluster);
  await client.apply(
    architecture("ha", ns, {
      components: [
        { name: "api", type: "service", image: "ghcr.io/example/api:1", uses: ["db", "cache"] },
        { name: "db", type: "postgres", replicas: 3 },
        { name: "cache", type: "redis", replicas: 3 },
      ],
    }) as unknown as KubeObject,
    { fieldManager: "archctl-test", force: true },
  );
  await converged(cluster, client, ns, "ha", 60_000);
  const ready = await cluster.eventually(
    "ha Ready",
    async () => {
      const a = await getArchitecture(client, ns, "ha");
      return a?.status?.phase === "Ready" ? a : undefined;
    },
    120_000,
  );
  const db = ready.status?.components?.find((c) => c.name === "db");
  assert.equal(db?.primary, "ha-db-0");
  assert.equal(db?.ready, 3);

  const pods = async (instance: string): Promise<PodLike[]> =>
    JSON.parse(
      (
        await cluster.kubectl([
          "get",
          "pods",
          "-n",
          ns,
          "-l",
          `app.kubernetes.io/instance=${instance},archctl.io/role=server`,
          "-o",
          "json",
        ])
      ).stdout,
    ).items;
  const nodes = JSON.parse((await cluster.kubectl(["get", "nodes", "-o", "json"])).stdout)
    .items as {
    metadata: { name: string; labels: Record<string, string> };
  }[];
  const zoneOf = new Map(nodes.map((n) => [n.metadata.name, n.metadata.labels[ZONE_LABEL]]));
  for (const instance of ["ha-db", "ha-cache", "ha-cache-sentinel"]) {
    const members = await pods(instance);
    assert.equal(members.length, 3, instance);
    const on = members.map((p) => p.spec.nodeName);
    assert.equal(new Set(on).size, 3, `${instance} members on distinct nodes: ${on.join(", ")}`);
    assert.equal(
      new Set(on.map((n) => zoneOf.get(n ?? ""))).size,
      3,
      `${instance} over three zones`,
    );
  }

  // Cordon every worker, so an evicted member cannot come back elsewhere; then
  // drain one node (allowed: one member down) and another (refused: a second).
  const dbPods = await pods("ha-db");
  const [first, second] = dbPods.map((p) => p.spec.nodeName as string);
  assert.ok(first && second);
  const workers = nodes
    .filter((n) => n.metadata.labels["archctl.io/pool"] === "general")
    .map((n) => n.metadata.name);
  t.after(() => cluster.kubectl(["uncordon", ...workers], { reject: false }));
  await cluster.kubectl(["cordon", ...workers]);
  const drain = (node: string) =>
    cluster.kubectl(
      [
        "drain",
        node,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--pod-selector",
        `archctl.io/architecture=ha`,
        "--timeout=20s",
      ],
      { reject: false, timeoutMs: 60_000 },
    );
  const one = await drain(first);
  assert.equal(one.exitCode, 0, one.stderr);
  const two = await drain(second);
  assert.notEqual(two.exitCode, 0, "the second drain must be refused");
  assert.match(two.stderr, /disruption budget/);
  // The member on the second node is still there and serving.
  assert.ok((await pods("ha-db")).some((p) => p.spec.nodeName === second && isReady(p)));

  // The Architecture reports the loss...
  const lost = await cluster.eventually(
    "the loss in status",
    async () => {
      const a = await getArchitecture(client, ns, "ha");
      const c = a?.status?.components?.find((x) => x.name === "db");
      return c && c.ready < 3 && a?.status?.phase !== "Ready" ? c : undefined;
    },
    60_000,
  );
  t.diagnostic(`during the drain: db ${lost.ready}/${lost.desired} (${lost.message})`);
  // ...and the recovery once the nodes take pods again.
  await cluster.kubectl(["uncordon", ...workers]);
  await cluster.eventually(
    "recovered",
    async () => {
      const a = await getArchitecture(client, ns, "ha");
      return (
        a?.status?.phase === "Ready" && a.status.components?.every((c) => c.ready === c.desired)
      );
    },
    120_000,
  );
  const after = await pods("ha-db");
  assert.equal(after.filter(isReady).length, 3);
  void op;
});

test("mysql replicas and a mongodb replica set reach Ready, one member per node and zone, the mysql primary in status", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "repl-db" });
  await startOperator(t, cluster, ns);
  const client = clientFor(cluster);
  await client.apply(
    architecture("hb", ns, {
      components: [
        {
          name: "api",
          type: "service",
          image: "ghcr.io/example/api:1",
          uses: ["posts", "history"],
        },
        { name: "posts", type: "mysql", replicas: 3 },
        { name: "history", type: "mongodb", replicas: 3 },
      ],
    }) as unknown as KubeObject,
    { fieldManager: "archctl-test", force: true },
  );
  const ready = await cluster.eventually(
    "hb Ready",
    async () => {
      const a = await getArchitecture(client, ns, "hb");
      return a?.status?.phase === "Ready" ? a : undefined;
    },
    180_000,
  );
  const posts = ready.status?.components?.find((c) => c.name === "posts");
  assert.equal(posts?.primary, "hb-posts-0");
  assert.equal(posts?.ready, 3);
  assert.equal(ready.status?.components?.find((c) => c.name === "history")?.ready, 3);
  const nodes = JSON.parse((await cluster.kubectl(["get", "nodes", "-o", "json"])).stdout)
    .items as { metadata: { name: string; labels: Record<string, string> } }[];
  const zoneOf = new Map(nodes.map((n) => [n.metadata.name, n.metadata.labels[ZONE_LABEL]]));
  for (const instance of ["hb-posts", "hb-history"]) {
    const members = JSON.parse(
      (
        await cluster.kubectl([
          "get",
          "pods",
          "-n",
          ns,
          "-l",
          `app.kubernetes.io/instance=${instance},archctl.io/role=server`,
          "-o",
          "json",
        ])
      ).stdout,
    ).items as PodLike[];
    const on = members.map((p) => p.spec.nodeName);
    assert.equal(new Set(on).size, 3, `${instance} members on distinct nodes: ${on.join(", ")}`);
    assert.equal(new Set(on.map((n) => zoneOf.get(n ?? ""))).size, 3, `${instance} zones`);
  }
  // The generated Secrets the members mount exist: replication user, keyfile.
  for (const secret of ["hb-posts-replication", "hb-history-keyfile"])
    assert.equal((await cluster.kubectl(["get", "secret", "-n", ns, secret])).exitCode, 0);
});

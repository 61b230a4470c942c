// A node lost the way real ones are (kwok tier): its kubelet stops renewing
// the node Lease (test/support/node-loss.ts), the node lifecycle controller
// marks it NotReady and its members not ready, and the Architecture reports
// the loss; the machine is then deleted, PodGC removes its pods and the
// StatefulSet recreates the member on another node, and the Architecture is
// Ready again with every member ready. Only the real control-plane
// controllers act: nothing here deletes a pod.
// Its own cluster (the reliability one): it breaks a node.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { KubeObject } from "../../operator/kube/types.ts";
import { SIMULATED_NODE_LABEL } from "../cluster/nodes.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { nodeReady, replaceNode, stopHeartbeat } from "../support/node-loss.ts";
import {
  architecture,
  clientFor,
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
  metadata: { name: string; uid: string };
  spec: { nodeName?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const isReady = (p: PodLike) =>
  p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

test("a node that stops heartbeating: its member is reported lost; once the Node is deleted the member is recreated elsewhere and status recovers", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "loss" });
  await startOperator(t, cluster, ns);
  const client = clientFor(cluster);
  await client.apply(
    architecture("loss", ns, {
      components: [
        { name: "api", type: "service", image: "ghcr.io/example/api:1", uses: ["db"] },
        { name: "db", type: "postgres", replicas: 3 },
      ],
    }) as unknown as KubeObject,
    { fieldManager: "archctl-test", force: true },
  );
  const dbOf = async () => {
    const a = await getArchitecture(client, ns, "loss");
    return { arch: a, db: a?.status?.components?.find((c) => c.name === "db") };
  };
  await cluster.eventually(
    "loss Ready",
    async () => (await getArchitecture(client, ns, "loss"))?.status?.phase === "Ready",
    120_000,
  );
  const members = async (): Promise<PodLike[]> =>
    JSON.parse(
      (
        await cluster.kubectl([
          "get",
          "pods",
          "-n",
          ns,
          "-l",
          "app.kubernetes.io/instance=loss-db,archctl.io/role=server",
          "-o",
          "json",
        ])
      ).stdout,
    ).items;
  // A replica's node: the primary stays up, as the drain test leaves it.
  const before = await members();
  const lostPod = before.find((p) => p.metadata.name === "loss-db-1");
  const victim = lostPod?.spec.nodeName;
  assert.ok(lostPod && victim);
  const labels = JSON.parse(
    (await cluster.kubectl(["get", "node", victim, "-o", "jsonpath={.metadata.labels}"])).stdout,
  ) as Record<string, string>;
  if (labels[SIMULATED_NODE_LABEL] !== "true") {
    t.skip(`${victim} is not a simulated (kwok) node: its kubelet cannot be stopped from here`);
    return;
  }
  // Whatever happens, the cluster gets its node back for the next test.
  t.after(() => replaceNode(cluster, victim));

  const lostAt = Date.now();
  await stopHeartbeat(cluster, victim);
  await cluster.eventually(
    `${victim} NotReady (Ready=Unknown) once its heartbeat stops`,
    async () => (await nodeReady(cluster, victim)) === "Unknown",
    150_000,
  );
  const notReadyMs = Date.now() - lostAt;
  const lost = await cluster.eventually(
    "the loss in status",
    async () => {
      const { arch, db } = await dbOf();
      return db && db.ready < db.desired && arch?.status?.phase !== "Ready"
        ? { arch, db }
        : undefined;
    },
    60_000,
  );
  const detectMs = Date.now() - lostAt;
  assert.equal(lost.db.desired, 3);
  assert.equal(lost.db.ready, 2, `db ${lost.db.ready}/${lost.db.desired}: ${lost.db.message}`);
  assert.equal(
    lost.arch?.status?.conditions?.find((c) => c.type === "Ready")?.status,
    "False",
    "Ready condition during the loss",
  );
  t.diagnostic(
    `heartbeat stopped: ${victim} NotReady after ${seconds(notReadyMs)}, the loss in status after ${seconds(detectMs)} (phase ${lost.arch?.status?.phase}, db ${lost.db.ready}/${lost.db.desired}: ${lost.db.message})`,
  );
  // As on a real cluster, the member stays bound to the lost node (a
  // StatefulSet never runs two pods of one identity): not ready, not replaced.
  const stuck = (await members()).find((p) => p.metadata.name === "loss-db-1");
  assert.equal(stuck?.metadata.uid, lostPod.metadata.uid);
  assert.equal(stuck?.spec.nodeName, victim);
  assert.equal(stuck && isReady(stuck), false);

  // The machine is gone for good: its Node object is deleted.
  const deletedAt = Date.now();
  await cluster.kubectl(["delete", "node", victim, "--wait=false"]);
  const back = await cluster.eventually(
    "the member recreated on another node, every member ready, the Architecture Ready",
    async () => {
      const { arch, db } = await dbOf();
      const pods = await members();
      return arch?.status?.phase === "Ready" &&
        arch.status.components?.every((c) => c.ready === c.desired) &&
        db?.ready === 3 &&
        pods.length === 3 &&
        pods.every((p) => p.spec.nodeName && p.spec.nodeName !== victim && isReady(p))
        ? pods
        : undefined;
    },
    180_000,
  );
  const recoverMs = Date.now() - deletedAt;
  const moved = back.find((p) => p.metadata.name === "loss-db-1");
  assert.notEqual(moved?.metadata.uid, lostPod.metadata.uid, "a new pod for loss-db-1");
  t.diagnostic(
    `node deleted: Ready again after ${seconds(recoverMs)} (${seconds(Date.now() - lostAt)} after the heartbeat stopped); members on ${back.map((p) => `${p.metadata.name}@${p.spec.nodeName}`).join(", ")}`,
  );
});

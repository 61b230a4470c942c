// The controller's priority queue against a real API server: 200 Architectures
// come in through the initial list, the one worker holds the first of them,
// and while the rest wait the user edits one near the end of the queue. The
// edit (a new metadata.generation, seen by a watch) must be the next key the
// worker takes. The reconciler is a recorder: what is tested is the path from
// a watch event to the queue's order, not the reconcile.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { Controller } from "../../operator/controller.ts";
import { loadKubeConfig } from "../../operator/kube/config.ts";
import { ARCHITECTURES } from "../../operator/kube/resources.ts";
import { KubeRest, MERGE_PATCH } from "../../operator/kube/rest.ts";
import type { Reconciler, StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import type { EventRecorder } from "../../operator/runtime/events.ts";
import { Informer } from "../../operator/runtime/informer.ts";
import { createLogger } from "../../operator/runtime/logger.ts";
import { OperatorMetrics } from "../../operator/runtime/metrics.ts";
import { PRIORITY } from "../../operator/runtime/queue.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { architecture, clientFor, installCrd } from "../support/operator.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const COUNT = 200;
const EDITED = `app-${COUNT - 10}`;

test(`an edit overtakes ${COUNT} Architectures queued by the initial list`, async (t) => {
  const ns = await cluster.namespace(t, { prefix: "prio" });
  const client = clientFor(cluster);
  const spec = (image: string) => ({
    components: [{ name: "api", type: "service" as const, image }],
  });
  for (let i = 0; i < COUNT; i += 20)
    await Promise.all(
      Array.from({ length: 20 }, (_, j) =>
        client.apply(architecture(`app-${i + j}`, ns, spec("ghcr.io/example/api:1")), {
          fieldManager: "archctl-test",
          force: true,
        }),
      ),
    );

  const rest = new KubeRest(loadKubeConfig({ kubeconfig: cluster.kubeconfig }));
  const cache = new Informer<StoredArchitecture>(rest, ARCHITECTURES, { namespace: ns });
  // The worker takes the first key, then waits here until the edit was seen.
  let editSeen!: () => void;
  const gate = new Promise<void>((resolve) => {
    editSeen = resolve;
  });
  const order: { name: string; generation: number | undefined }[] = [];
  let depthWhenSeen = -1;
  let priorityWhenSeen: number | undefined;
  const reconciler = {
    reconcile: async (_ns: string, name: string) => {
      order.push({ name, generation: cache.get(name, ns)?.metadata.generation });
      await gate;
      return {};
    },
  } as unknown as Reconciler;
  const events: EventRecorder = { record: () => {} } as unknown as EventRecorder;
  const controller = new Controller({
    reconciler,
    architectures: cache,
    events,
    metrics: new OperatorMetrics(false),
    log: createLogger("error", {}, () => {}),
    isLeader: () => true,
  });
  let synced = false;
  cache.on((type, obj) => {
    controller.observe(type, obj, !synced);
    if (obj.metadata.name === EDITED && (obj.metadata.generation ?? 0) > 1) {
      depthWhenSeen = controller.queue.depth;
      priorityWhenSeen = controller.queue.priorityOf(`${ns}/${EDITED}`);
      editSeen();
    }
  });
  await cache.start();
  synced = true;
  t.after(async () => {
    await controller.stop();
    await cache.stop();
  });
  assert.equal(controller.queue.depth, COUNT, "the initial list queued every Architecture");
  controller.start(1);
  await cluster.eventually("the worker holds a key", async () => order.length === 1, 10_000);

  await rest.request(
    "PATCH",
    `/apis/archctl.io/v1alpha1/namespaces/${ns}/architectures/${EDITED}`,
    {
      body: { spec: spec("ghcr.io/example/api:2") },
      contentType: MERGE_PATCH,
    },
  );
  await cluster.eventually(
    "the edit reconciled",
    async () => order.some((o) => o.generation === 2),
    30_000,
  );
  const at = order.findIndex((o) => o.name === EDITED);
  t.diagnostic(
    `keys waiting when the edit was seen: ${depthWhenSeen}; the edit was reconciled as key #${at + 1} of ${order.length} so far (the first was in flight)`,
  );
  assert.ok(
    depthWhenSeen >= COUNT - 2,
    `only ${depthWhenSeen} keys were waiting: nothing to overtake`,
  );
  assert.equal(priorityWhenSeen, PRIORITY.edit, "the edit's priority");
  assert.equal(at, 1, `the edit came ${at + 1}th: ${order.slice(0, 5).map((o) => o.name)}`);
  assert.equal(order[1]?.generation, 2);
  await cluster.eventually("the rest reconciled", async () => order.length >= COUNT, 60_000);
  assert.equal(new Set(order.map((o) => o.name)).size, COUNT, "each key reconciled");
  assert.equal(order.length, COUNT, "the edit collapsed into its waiting key: no key twice");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import type { RollupInput } from "../../../operator/status/rollup.ts";
import { deletingStatus, expiresAt, rollupStatus } from "../../../operator/status/rollup.ts";

const arch: Architecture = {
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "shop", namespace: "ns" },
  spec: {
    ttl: "2h",
    components: [
      { name: "api", type: "service", image: "a:1", replicas: 2 },
      { name: "db", type: "postgres" },
      { name: "nightly", type: "cron", image: "c:1", schedule: "0 3 * * *" },
    ],
  },
};

const deployment = (ready: number, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "shop-api", generation: 1 } as KubeObject["metadata"],
  spec: { replicas: 2 },
  status: {
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: ready,
    ...extra,
  },
});
const statefulset = (ready: number): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "shop-db", generation: 1 } as KubeObject["metadata"],
  spec: { replicas: 1 },
  status: {
    observedGeneration: 1,
    readyReplicas: ready,
    updatedReplicas: 1,
    currentRevision: "r1",
    updateRevision: "r1",
  },
});
const cron: KubeObject = {
  apiVersion: "batch/v1",
  kind: "CronJob",
  metadata: { name: "shop-nightly" },
};

function input(children: KubeObject[], over: Partial<RollupInput> = {}): RollupInput {
  return {
    arch: applyDefaults(arch),
    generation: 3,
    creationTimestamp: "2026-11-24T10:00:00Z",
    child: (kind, name) => children.find((c) => c.kind === kind && c.metadata.name === name),
    notices: [],
    blocked: [],
    failures: [],
    now: new Date("2026-11-24T10:05:00Z"),
    ...over,
  };
}

test("all components ready: phase Ready, Ready=True, counts and endpoints", () => {
  const s = rollupStatus(input([deployment(2), statefulset(1), cron]));
  assert.equal(s.phase, "Ready");
  assert.equal(s.ready, "3/3");
  assert.equal(s.observedGeneration, 3);
  const ready = s.conditions?.find((c) => c.type === "Ready");
  assert.deepEqual(
    [ready?.status, ready?.reason, ready?.observedGeneration],
    ["True", "AllComponentsReady", 3],
  );
  assert.equal(s.conditions?.find((c) => c.type === "Stalled")?.status, "False");
  assert.equal(s.expiresAt, "2026-11-24T12:00:00Z");
  assert.deepEqual(s.endpoints, [{ name: "api (in cluster)", url: "http://shop-api.ns.svc" }]);
});

test("a component not ready: Progressing says which and how many", () => {
  const s = rollupStatus(input([deployment(1), statefulset(1), cron]));
  assert.equal(s.phase, "Progressing");
  assert.equal(s.ready, "2/3");
  const p = s.conditions?.find((c) => c.type === "Progressing");
  assert.equal(p?.status, "True");
  assert.match(p?.message ?? "", /api \(1\/2 replicas ready\)/);
  assert.equal(s.components?.find((c) => c.name === "api")?.ready, 1);
});

test("a stuck rollout or a refused change makes it Degraded with the reason", () => {
  const stuck = deployment(1, {
    conditions: [
      {
        type: "Progressing",
        status: "False",
        reason: "ProgressDeadlineExceeded",
        message: "ReplicaSet has timed out",
      },
    ],
  });
  const s = rollupStatus(input([stuck, statefulset(1), cron]));
  assert.equal(s.phase, "Degraded");
  assert.equal(s.conditions?.find((c) => c.type === "Degraded")?.reason, "ComponentFailed");
  const blocked = rollupStatus(
    input([deployment(2), statefulset(1), cron], {
      blocked: [
        {
          kind: "StatefulSet",
          name: "shop-db",
          field: "spec.volumeClaimTemplates",
          component: "db",
          message: "StatefulSet shop-db: cannot. Revert it.",
        },
      ],
    }),
  );
  assert.equal(
    blocked.conditions?.find((c) => c.type === "Ready")?.reason,
    "DestructiveChangeRefused",
  );
  // The component comes first, as in a component's own failure.
  assert.equal(
    blocked.conditions?.find((c) => c.type === "Degraded")?.message,
    "db: StatefulSet shop-db: cannot. Revert it.",
  );
});

test("lastTransitionTime changes only when a condition's status changes", () => {
  const first = rollupStatus(input([deployment(1), statefulset(1), cron]));
  const later = rollupStatus(
    input([deployment(1), statefulset(1), cron], {
      previous: first,
      now: new Date("2026-11-24T10:09:00Z"),
    }),
  );
  assert.deepEqual(later.conditions, first.conditions, "nothing changed, nothing to write");
  const ready = rollupStatus(
    input([deployment(2), statefulset(1), cron], {
      previous: first,
      now: new Date("2026-11-24T10:10:00Z"),
    }),
  );
  assert.equal(
    ready.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime,
    "2026-11-24T10:10:00Z",
  );
});

test("expiry", () => {
  assert.equal(expiresAt("2026-01-01T00:00:00Z", "1h30m"), "2026-01-01T01:30:00Z");
  assert.equal(expiresAt(undefined, "2h"), undefined);
  assert.equal(expiresAt("2026-01-01T00:00:00Z", undefined), undefined);
});

test("nothing ready yet is Pending, whatever came before", () => {
  const none = rollupStatus(input([deployment(0), statefulset(0)]));
  assert.equal(none.phase, "Pending");
  const again = rollupStatus(input([deployment(0), statefulset(0)], { previous: none }));
  assert.equal(again.phase, "Pending");
});

test("deletion: phase Deleting, Ready=False/Deleting naming the policy; written once", () => {
  const ready = rollupStatus(input([deployment(2), statefulset(1), cron]));
  const at = new Date("2026-11-24T11:00:00Z");
  const going = deletingStatus(ready, 4, "Retain", at);
  assert.equal(going.phase, "Deleting");
  assert.equal(going.observedGeneration, 4);
  const cond = (type: string) => going.conditions?.find((c) => c.type === type);
  assert.deepEqual(
    [cond("Ready")?.status, cond("Ready")?.reason, cond("Ready")?.lastTransitionTime],
    ["False", "Deleting", "2026-11-24T11:00:00Z"],
  );
  assert.match(cond("Ready")?.message ?? "", /Retain: its data volumes and credentials are kept/);
  assert.equal(cond("Reconciling")?.status, "True", "kstatus: in progress, not stalled");
  assert.equal(cond("Stalled")?.status, "False");
  // Degraded was False and stays False: its transition time is kept.
  assert.equal(
    cond("Degraded")?.lastTransitionTime,
    ready.conditions?.find((c) => c.type === "Degraded")?.lastTransitionTime,
  );
  // What was last seen of the components stays on show.
  assert.deepEqual(going.components, ready.components);
  assert.equal(going.ready, "3/3");
  // A retried pass computes the same status, so it writes nothing.
  assert.deepEqual(deletingStatus(going, 4, "Retain", new Date("2026-11-24T11:05:00Z")), going);
  assert.match(
    deletingStatus(ready, 4, "Delete", at).conditions?.[0]?.message ?? "",
    /Delete: its data volumes are deleted after its datastores have stopped/,
  );
});

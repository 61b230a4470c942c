// A restoring datastore in status: not ready while its restore Job runs, then
// as usual; a failed (or refused) restore is Degraded with reason RestoreFailed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import { type RollupInput, rollupStatus } from "../../../operator/status/rollup.ts";

const arch = {
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "shop", namespace: "ns" },
  spec: {
    components: [
      { name: "old", type: "postgres" },
      { name: "db", type: "postgres", restore: { from: { component: "old" } } },
    ],
    backups: [{ component: "old", schedule: "@daily" }],
  },
} as unknown as Architecture;

const sts = (name: string): KubeObject =>
  ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, generation: 1 },
    spec: { replicas: 1 },
    status: {
      observedGeneration: 1,
      readyReplicas: 1,
      updatedReplicas: 1,
      currentRevision: "r",
      updateRevision: "r",
    },
  }) as unknown as KubeObject;
const job = (conditions: unknown[]): KubeObject =>
  ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "shop-db-restore" },
    status: { conditions },
  }) as unknown as KubeObject;

function status(children: KubeObject[]) {
  const input: RollupInput = {
    arch: applyDefaults(arch),
    generation: 1,
    creationTimestamp: "2026-12-03T00:00:00Z",
    child: (kind, name) => children.find((c) => c.kind === kind && c.metadata.name === name),
    notices: [],
    blocked: [],
    failures: [],
    now: new Date("2026-12-03T00:01:00Z"),
  };
  return rollupStatus(input);
}
const db = (s: ReturnType<typeof status>) => s.components?.find((c) => c.name === "db");

test("restoring: the server may be up, the component is not ready until the Job completes", () => {
  const s = status([sts("shop-old"), sts("shop-db"), job([])]);
  assert.equal(db(s)?.ready, 0);
  assert.equal(db(s)?.message, "restoring from shop/old@latest");
  assert.notEqual(s.phase, "Ready");
  assert.notEqual(s.phase, "Degraded");
});

test("restored: ready as any datastore", () => {
  const s = status([sts("shop-old"), sts("shop-db"), job([{ type: "Complete", status: "True" }])]);
  assert.equal(db(s)?.ready, 1);
  assert.equal(s.phase, "Ready");
});

test("refused or failed: Degraded, reason RestoreFailed, the Job's message and where to read why", () => {
  const s = status([
    sts("shop-old"),
    sts("shop-db"),
    job([
      {
        type: "Failed",
        status: "True",
        reason: "PodFailurePolicy",
        message:
          "Container restore for pod ns/shop-db-restore-x failed with exit code 3 matching FailJob rule at index 0",
      },
    ]),
  ]);
  assert.equal(s.phase, "Degraded");
  assert.match(
    db(s)?.message ?? "",
    /^restore from shop\/old@latest failed: Container restore .* exit code 3 .*kubectl logs job\/shop-db-restore/,
  );
  const degraded = s.conditions?.find((c) => c.type === "Degraded" || c.reason === "RestoreFailed");
  assert.ok(degraded, JSON.stringify(s.conditions));
  assert.match(JSON.stringify(s.conditions), /RestoreFailed/);
});

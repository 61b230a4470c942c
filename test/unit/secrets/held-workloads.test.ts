// A workload held back (a referenced Secret missing) is neither applied nor
// pruned: the pods it already runs keep running as they are.
import assert from "node:assert/strict";
import { test } from "node:test";
import { childLabels } from "../../../operator/api/names.ts";
import type { LiveObject } from "../../../operator/reconcile/plan.ts";
import { planReconcile } from "../../../operator/reconcile/plan.ts";

const owner = { name: "shop", uid: "u-1" };
const live = (kind: string, name: string, component: string): LiveObject => ({
  apiVersion: "apps/v1",
  kind,
  metadata: {
    name,
    labels: childLabels("shop", component),
    ownerReferences: [{ uid: "u-1" } as never],
  },
});

test("a held workload is not pruned; one no longer wanted is", () => {
  const labelled = [
    live("Deployment", "shop-trader", "trader"),
    live("Deployment", "shop-old", "old"),
  ];
  const input = {
    owner,
    desired: [],
    live: () => undefined,
    labelled,
    kinds: new Set(["apps/v1/Deployment"]),
  };
  assert.deepEqual(
    planReconcile({ ...input, held: new Set(["Deployment/shop-trader"]) }).prune.map(
      (o) => o.metadata.name,
    ),
    ["shop-old"],
  );
  assert.deepEqual(
    planReconcile(input).prune.map((o) => o.metadata.name),
    ["shop-trader", "shop-old"],
  );
});

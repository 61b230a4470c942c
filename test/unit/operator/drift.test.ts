import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../../../operator/kube/types.ts";
import {
  canonicalJson,
  containsDesired,
  decideApply,
  HASH_ANNOTATION,
  quantityValue,
  withHash,
} from "../../../operator/reconcile/drift.ts";
import { destructiveChange } from "../../../operator/reconcile/immutable.ts";

const deployment = (replicas: number, cpu = "500m"): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "p-api", namespace: "ns", labels: { a: "b" } },
  spec: {
    replicas,
    template: { spec: { containers: [{ name: "api", resources: { requests: { cpu } } }] } },
  },
});

test("canonical JSON ignores key order", () => {
  assert.equal(
    canonicalJson({ b: 1, a: [{ y: 1, x: 2 }] }),
    canonicalJson({ a: [{ x: 2, y: 1 }], b: 1 }),
  );
});

test("quantities compare by value", () => {
  assert.equal(quantityValue("500m"), 0.5);
  assert.equal(quantityValue("1Gi"), 2 ** 30);
  assert.ok(containsDesired({ cpu: "1000m" }, { cpu: "1" }));
  assert.ok(!containsDesired({ cpu: "1" }, { cpu: "2" }));
});

test("live objects may carry more fields than desired, not fewer or different ones", () => {
  const live = {
    ...deployment(2),
    status: { readyReplicas: 2 },
    metadata: { ...deployment(2).metadata, uid: "u", resourceVersion: "9" },
  };
  assert.ok(containsDesired(deployment(2), live));
  assert.ok(!containsDesired(deployment(3), live));
  assert.ok(!containsDesired({ list: [1, 2] }, { list: [1] }));
  assert.ok(containsDesired({ empty: {} }, {}), "the API server drops empty maps");
});

test("apply when missing, changed or drifted; skip when unchanged", () => {
  const want = withHash(deployment(2));
  assert.deepEqual(decideApply(want, undefined), { apply: true, reason: "missing" });
  assert.deepEqual(decideApply(want, want), { apply: false, reason: "unchanged" });
  assert.deepEqual(decideApply(withHash(deployment(3)), want), { apply: true, reason: "changed" });
  const edited = structuredClone(want) as KubeObject & { spec: { replicas: number } };
  edited.spec.replicas = 7; // kubectl scale by hand: hash unchanged, content drifted
  assert.deepEqual(decideApply(want, edited), { apply: true, reason: "drifted" });
  assert.match(want.metadata.annotations?.[HASH_ANNOTATION] ?? "", /^[0-9a-f]{16}$/);
});

test("a StatefulSet volume template change is refused with advice", () => {
  const sts = (size: string): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "p-db" },
    spec: {
      serviceName: "p-db-headless",
      volumeClaimTemplates: [
        { metadata: { name: "data" }, spec: { resources: { requests: { storage: size } } } },
      ],
    },
  });
  assert.equal(destructiveChange(sts("10Gi"), sts("10Gi")), undefined);
  assert.equal(destructiveChange(sts("10Gi"), undefined), undefined);
  const blocked = destructiveChange(sts("20Gi"), sts("10Gi"));
  assert.equal(blocked?.field, "spec.volumeClaimTemplates");
  assert.match(blocked?.message ?? "", /data=10Gi -> data=20Gi/);
  assert.match(blocked?.message ?? "", /--cascade=orphan/);
  // Without a component label the message still says what to do.
  assert.match(blocked?.message ?? "", /Revert the storage change, or/);
  const labelled = (size: string): KubeObject => {
    const o = sts(size);
    o.metadata.labels = { "app.kubernetes.io/component": "db" };
    return o;
  };
  const named = destructiveChange(labelled("20Gi"), labelled("10Gi"));
  assert.equal(named?.component, "db");
  assert.match(named?.message ?? "", /Revert the storage change of component db, or/);
});

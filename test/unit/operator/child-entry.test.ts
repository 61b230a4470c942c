// What the cache keeps of a child (operator/runtime/child-entry.ts): identity,
// what the plan and the roll-up read, and a digest of the fields
// archctl-operator owns, from which drift is decided without the content.
// The same verdicts against a real API server, for every owned leaf field of a
// rendered Architecture: test/integration/lean-cache-drift.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { KubeObject } from "../../../operator/kube/types.ts";
import { decideApply, withHash } from "../../../operator/reconcile/drift.ts";
import { destructiveChange, needsRecreate } from "../../../operator/reconcile/immutable.ts";
import { decideSecret, prunable } from "../../../operator/reconcile/plan.ts";
import { compactChild } from "../../../operator/runtime/child-entry.ts";

// biome-ignore lint/suspicious/noExplicitAny: objects as the API server serves them, plain JSON
type Json = any;

const owner = { name: "shop", uid: "arch-uid" };
const ownerReferences = [
  {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    name: "shop",
    uid: "arch-uid",
    controller: true,
    blockOwnerDeletion: true,
  },
];
const labels = {
  "archctl.io/architecture": "shop",
  "app.kubernetes.io/component": "api",
  "app.kubernetes.io/managed-by": "archctl-operator",
  "app.kubernetes.io/part-of": "shop",
};

const desired = (cpu = "1000m"): KubeObject =>
  withHash({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "shop-api", namespace: "ns", labels, ownerReferences },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            {
              name: "api",
              image: "api:1",
              ports: [{ containerPort: 8080 }],
              env: [{ name: "MODE", value: "prod" }],
              resources: { requests: { cpu } },
            },
          ],
        },
      },
    },
  });

/** archctl-operator's fieldsV1 for desired(), as the API server records it. */
const ownedSet = () => ({
  "f:metadata": {
    "f:annotations": { "f:archctl.io/applied-hash": {} },
    "f:labels": Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}])),
    "f:ownerReferences": {
      'k:{"uid":"arch-uid"}': {
        ".": {},
        "f:apiVersion": {},
        "f:blockOwnerDeletion": {},
        "f:controller": {},
        "f:kind": {},
        "f:name": {},
        "f:uid": {},
      },
    },
  },
  "f:spec": {
    "f:replicas": {},
    "f:template": {
      "f:spec": {
        "f:containers": {
          'k:{"name":"api"}': {
            ".": {},
            "f:env": { 'k:{"name":"MODE"}': { ".": {}, "f:name": {}, "f:value": {} } },
            "f:image": {},
            "f:name": {},
            "f:ports": {
              'k:{"containerPort":8080,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} },
            },
            "f:resources": { "f:requests": { "f:cpu": {} } },
          },
        },
      },
    },
  },
});

/** desired() as served: defaults added, the quantity normalised, status, managedFields. */
function served(want: KubeObject, set: object = ownedSet()): KubeObject {
  const o = structuredClone(want) as KubeObject & { spec: Json };
  const c = o.spec.template.spec.containers[0];
  c.ports[0].protocol = "TCP";
  c.terminationMessagePath = "/dev/termination-log";
  if (c.resources.requests.cpu === "1000m") c.resources.requests.cpu = "1";
  o.spec.strategy = { type: "RollingUpdate" };
  o.metadata = {
    ...o.metadata,
    uid: "child-uid",
    resourceVersion: "7",
    generation: 3,
    managedFields: [
      { manager: "archctl-operator", operation: "Apply", fieldsV1: set },
      {
        manager: "kube-controller-manager",
        operation: "Update",
        subresource: "status",
        fieldsV1: { "f:status": {} },
      },
    ],
  } as KubeObject["metadata"];
  o.status = {
    observedGeneration: 3,
    readyReplicas: 2,
    updatedReplicas: 2,
    replicas: 2,
    conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable" }],
  };
  return JSON.parse(JSON.stringify(o));
}

describe("a cached child", () => {
  test("keeps identity, the labels and annotations read, replicas and rollout status, no content", () => {
    const entry = compactChild(served(desired())) as KubeObject & Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(entry.metadata)), {
      name: "shop-api",
      namespace: "ns",
      uid: "child-uid",
      resourceVersion: "7",
      generation: 3,
      labels: {
        "archctl.io/architecture": "shop",
        "app.kubernetes.io/component": "api",
        "app.kubernetes.io/managed-by": "archctl-operator",
      },
      annotations: {
        "archctl.io/applied-hash": desired().metadata.annotations?.["archctl.io/applied-hash"],
      },
      ownerReferences: [{ uid: "arch-uid" }],
    });
    assert.deepEqual(entry.spec, { replicas: 2 });
    assert.deepEqual(entry.status, { readyReplicas: 2, updatedReplicas: 2, observedGeneration: 3 });
    assert.match(String(entry.ownedDigest), /^[0-9a-f]{16}$/);
    assert.ok(prunable(entry as never, owner, new Set(), new Set(["apps/v1/Deployment"])));
  });

  test("is unchanged as applied, despite server defaults and normalised quantities", () => {
    assert.deepEqual(decideApply(desired(), compactChild(served(desired()))), {
      apply: false,
      reason: "unchanged",
    });
  });

  test("is drifted when another writer took an owned field, or changed one", () => {
    const taken = ownedSet() as Json;
    delete taken["f:spec"]["f:replicas"]; // kubectl scale: spec.replicas left archctl's set
    const scaled = served(desired(), taken) as Json;
    scaled.spec.replicas = 5;
    assert.equal(decideApply(desired(), compactChild(scaled)).reason, "drifted");
    const edited = served(desired()) as Json; // a value changed under archctl's ownership
    edited.spec.template.spec.containers[0].image = "api:2";
    assert.equal(decideApply(desired(), compactChild(edited)).reason, "drifted");
    const removed = ownedSet() as Json; // an env var removed by hand leaves every set
    delete removed["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"api"}']["f:env"];
    const noEnv = served(desired(), removed) as Json;
    delete noEnv.spec.template.spec.containers[0].env;
    assert.equal(decideApply(desired(), compactChild(noEnv)).reason, "drifted");
  });

  test("is not drifted by what other writers add beside archctl's fields", () => {
    const o = served(desired()) as Json;
    o.spec.template.spec.containers[0].env.push({ name: "INJECTED", value: "1" });
    o.metadata.labels["team"] = "x";
    assert.equal(decideApply(desired(), compactChild(o)).reason, "unchanged");
  });

  test("never applied by archctl-operator: drifted, so the plan applies it", () => {
    const o = served(desired()) as Json;
    o.metadata.managedFields = [{ manager: "kubectl", operation: "Update", fieldsV1: ownedSet() }];
    assert.equal(decideApply(desired(), compactChild(o)).reason, "drifted");
  });

  test("an atomic list is compared by ownership: server defaults inside it are no drift", () => {
    const want = withHash({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "shop-db", namespace: "ns", labels },
      spec: {
        volumeClaimTemplates: [
          { metadata: { name: "data" }, spec: { resources: { requests: { storage: "1Gi" } } } },
        ],
      },
    });
    const live = (owned: boolean) => {
      const o = structuredClone(want) as Json;
      // Defaults the API server fills in inside the atomic list.
      Object.assign(o.spec.volumeClaimTemplates[0], {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        status: { phase: "Pending" },
      });
      o.spec.volumeClaimTemplates[0].spec.volumeMode = "Filesystem";
      o.metadata.managedFields = [
        {
          manager: "archctl-operator",
          operation: "Apply",
          fieldsV1: {
            "f:metadata": {
              "f:annotations": { "f:archctl.io/applied-hash": {} },
              "f:labels": Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}])),
            },
            ...(owned ? { "f:spec": { "f:volumeClaimTemplates": {} } } : {}),
          },
        },
      ];
      return compactChild(JSON.parse(JSON.stringify(o)) as KubeObject);
    };
    assert.equal(decideApply(want, live(true)).reason, "unchanged");
    // Another writer changed the list: the whole list left archctl's set.
    assert.equal(decideApply(want, live(false)).reason, "drifted");
  });

  test("a new desired content is a change, whatever the digest", () => {
    assert.equal(decideApply(desired("2"), compactChild(served(desired()))).reason, "changed");
  });
});

describe("per kind, what the plan and roll-up read", () => {
  test("a StatefulSet keeps what Kubernetes cannot change in place", () => {
    const sts = (size: string) => ({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "shop-db", labels, annotations: { "archctl.io/engine": "postgres" } },
      spec: {
        replicas: 1,
        serviceName: "shop-db-headless",
        selector: { matchLabels: { a: "b" } },
        template: { spec: { containers: [{ name: "db", image: "postgres:17" }] } },
        volumeClaimTemplates: [
          {
            metadata: { name: "data" },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } },
          },
        ],
      },
      status: { readyReplicas: 1, currentRevision: "r1", updateRevision: "r2" },
    });
    const entry = compactChild(JSON.parse(JSON.stringify(sts("1Gi")))) as Json;
    assert.equal(entry.spec.template, undefined);
    assert.equal(entry.status.updateRevision, "r2");
    assert.equal(destructiveChange(sts("1Gi"), entry), undefined);
    assert.equal(destructiveChange(sts("2Gi"), entry)?.field, "spec.volumeClaimTemplates");
  });

  test("a Job keeps its outcome and the digest of its pod template", () => {
    const job = (image: string) => ({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "shop-migrate",
        labels,
        managedFields: [
          {
            manager: "archctl-operator",
            operation: "Apply",
            fieldsV1: {
              "f:spec": {
                "f:template": {
                  "f:spec": {
                    "f:containers": { 'k:{"name":"m"}': { ".": {}, "f:image": {}, "f:name": {} } },
                  },
                },
              },
            },
          },
        ],
      },
      spec: { template: { spec: { containers: [{ name: "m", image }] } } },
      status: {
        succeeded: 1,
        conditions: [
          { type: "SuccessCriteriaMet", status: "True" },
          { type: "Complete", status: "True" },
        ],
      },
    });
    const entry = compactChild(JSON.parse(JSON.stringify(job("m:1")))) as Json;
    assert.equal(entry.spec.template, undefined);
    assert.deepEqual(entry.status, {
      succeeded: 1,
      conditions: [{ type: "Complete", status: "True" }],
    });
    assert.equal(needsRecreate(job("m:1"), entry), false);
    assert.equal(needsRecreate(job("m:2"), entry), true);
  });

  test("a Secret keeps key names, its engine and whole owner references, not its values", () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "shop-db",
        labels,
        annotations: { "archctl.io/engine": "postgres" },
        ownerReferences,
      },
      type: "Opaque",
      data: { password: "c2VjcmV0" },
    };
    const entry = compactChild(JSON.parse(JSON.stringify(secret))) as Json;
    assert.deepEqual(entry.data, { password: "" });
    assert.deepEqual(entry.metadata.ownerReferences, ownerReferences);
    const spec = {
      name: "shop-db",
      component: "db",
      engine: "postgres",
      labels: {},
      keys: { password: { random: 16 } },
    };
    assert.deepEqual(decideSecret(spec as never, entry, owner), { action: "keep", adopt: false });
  });

  test("a claim keeps what explains a Pending one", () => {
    const pvc = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data-shop-db-0", labels, creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { storageClassName: "fast", accessModes: ["ReadWriteOnce"] },
      status: {
        phase: "Pending",
        conditions: [{ type: "Resizing", status: "False", message: "no" }],
      },
    };
    const entry = compactChild(JSON.parse(JSON.stringify(pvc))) as Json;
    assert.deepEqual(entry.spec, { storageClassName: "fast" });
    assert.deepEqual(entry.status, { phase: "Pending" });
    assert.equal(entry.metadata.creationTimestamp, "2026-01-01T00:00:00Z");
  });

  test("Architectures and Pods are not children: kept by lean and leanPod", () => {
    const arch = {
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      metadata: { name: "a" },
      spec: { x: 1 },
    };
    assert.deepEqual(compactChild(structuredClone(arch)), arch);
  });
});

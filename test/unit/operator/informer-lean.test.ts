// What the operator's cache keeps of an object (lean in operator/runtime/informer.ts):
// the same content minus what nothing reads, so drift detection and the
// status roll-up see what they saw before.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compactChild } from "../../../operator/runtime/child-entry.ts";
import { lean, watchedForm } from "../../../operator/runtime/informer.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** An object as the API server sends it (parsed from JSON, like the cache's). */
const fromServer = () =>
  JSON.parse(
    JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "post-api",
        namespace: "shop",
        uid: "u-1",
        resourceVersion: "42",
        labels: { "archctl.io/architecture": "post" },
        annotations: { "archctl.io/applied-hash": "abc", [LAST_APPLIED]: "{}" },
        ownerReferences: [{ apiVersion: "archctl.io/v1alpha1", kind: "Architecture", uid: "a" }],
        managedFields: [{ manager: "archctl-operator", fieldsV1: { "f:spec": {} } }],
      },
      spec: { replicas: 2, template: { spec: { containers: [{ name: "api", image: "x:1" }] } } },
      status: { readyReplicas: 1 },
    }),
  );

describe("lean cache entries", () => {
  test("managedFields and the last-applied annotation go; everything else stays equal", () => {
    const obj = fromServer();
    const want = fromServer();
    delete want.metadata.managedFields;
    delete want.metadata.annotations[LAST_APPLIED];
    const got = lean(obj);
    assert.equal(got, obj, "changed in place");
    assert.deepEqual(got, want);
    assert.deepEqual(Object.keys(got.metadata), Object.keys(want.metadata));
  });

  test("an object without them is left as it is", () => {
    const obj = fromServer();
    delete obj.metadata.managedFields;
    delete obj.metadata.annotations[LAST_APPLIED];
    const meta = obj.metadata;
    assert.equal(lean(obj).metadata, meta);
  });

  test("a Secret keeps its metadata, type and key names, not its values", () => {
    const secret = JSON.parse(
      JSON.stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "post-mysql",
          namespace: "shop",
          labels: { a: "b" },
          ownerReferences: [],
        },
        type: "Opaque",
        data: { password: "c2VjcmV0" },
      }),
    );
    assert.deepEqual(lean(secret), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "post-mysql", namespace: "shop", labels: { a: "b" }, ownerReferences: [] },
      type: "Opaque",
      data: { password: "" },
    });
  });

  test("sharing strings between entries changes no value", () => {
    const a = lean(fromServer());
    const b = lean(fromServer());
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify(a), JSON.stringify(lean(fromServer())));
  });
});

describe("watch events handed to the cache (watchedForm)", () => {
  // The Status of a watch ERROR, as the API server sends it when the version resumed from is gone.
  const gone = () => ({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "too old resource version: 100 (200)",
    reason: "Expired",
    code: 410,
  });

  test("an ERROR's Status reaches client-node as served, its 410 code with it (the child projection would drop it)", () => {
    const out = watchedForm("ERROR", gone(), compactChild);
    assert.deepEqual(out, gone());
    // The projection itself would lose it: the reason this pass-through exists.
    assert.equal((compactChild(gone()) as { code?: number }).code, undefined);
  });

  test("a bookmark is passed as served", () => {
    const bookmark = {
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { resourceVersion: "7" },
    };
    assert.equal(watchedForm("BOOKMARK", bookmark, compactChild), bookmark);
  });

  test("ADDED, MODIFIED and DELETED objects are projected", () => {
    for (const phase of ["ADDED", "MODIFIED", "DELETED"]) {
      const served = fromServer();
      const kept = watchedForm(phase, served, compactChild) as { spec?: { template?: unknown } };
      assert.notEqual(kept, served, phase);
      assert.equal(kept.spec?.template, undefined, `${phase}: the pod template is not kept`);
    }
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { MILVUS_DEPENDENCIES } from "../../../operator/api/defaults.ts";
import { renderMilvus } from "../../../operator/render/datastores/milvus.ts";
import { assertRestricted, container, ctxOf, envOf, find, type Json } from "./datastore-helpers.ts";

function render(extra: Record<string, unknown> = {}) {
  const ctx = ctxOf({ components: [{ name: "vectors", type: "milvus", ...extra }] });
  const c = ctx.component("vectors");
  assert.ok(c);
  return renderMilvus(c, ctx).objects;
}

test("milvus, etcd and minio each have a StatefulSet, headless and client Service and a claim", () => {
  const objects = render({ storage: { size: "40Gi", storageClassName: "ssd" } });
  for (const name of ["shop-vectors", "shop-vectors-etcd", "shop-vectors-minio"]) {
    const sts = find(objects, "StatefulSet", name);
    find(objects, "Service", name);
    const headless = find(objects, "Service", `${name}-headless`);
    assert.equal(sts.spec.serviceName, headless.metadata.name);
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, "ssd");
    assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
  }
  assert.equal(
    find(objects, "StatefulSet", "shop-vectors").spec.volumeClaimTemplates[0].spec.resources
      .requests.storage,
    "40Gi",
  );
  assert.equal(
    find(objects, "StatefulSet", "shop-vectors-etcd").spec.volumeClaimTemplates[0].spec.resources
      .requests.storage,
    MILVUS_DEPENDENCIES.etcd.storage,
  );
});

test("each part has its own selector that the others do not match", () => {
  const objects = render();
  const sets = ["shop-vectors", "shop-vectors-etcd", "shop-vectors-minio"].map((n) =>
    find(objects, "StatefulSet", n),
  );
  const services = ["shop-vectors", "shop-vectors-etcd", "shop-vectors-minio"].map((n) =>
    find(objects, "Service", n),
  );
  assert.equal(
    sets[1].spec.selector.matchLabels["app.kubernetes.io/instance"],
    "shop-vectors-etcd",
  );
  for (const [i, sts] of sets.entries()) {
    const podLabels = sts.spec.template.metadata.labels;
    for (const [j, svc] of services.entries()) {
      const matches = Object.entries(svc.spec.selector).every(([k, v]) => podLabels[k] === v);
      assert.equal(
        matches,
        i === j,
        `Service ${svc.metadata.name} vs pods of ${sts.metadata.name}`,
      );
    }
    for (const [j, other] of sets.entries()) {
      const matches = Object.entries(other.spec.selector.matchLabels).every(
        ([k, v]) => podLabels[k] === v,
      );
      assert.equal(matches, i === j);
    }
  }
});

test("milvus standalone: etcd and minio addresses, MinIO keys from the Secret, /healthz on 9091", () => {
  const objects = render();
  const milvus = container(
    find(objects, "StatefulSet", "shop-vectors").spec.template.spec,
    "milvus",
  );
  assert.deepEqual(milvus.args, ["milvus", "run", "standalone"]);
  assert.equal(envOf(milvus, "ETCD_ENDPOINTS").value, "shop-vectors-etcd.prod.svc:2379");
  assert.equal(envOf(milvus, "MINIO_ADDRESS").value, "shop-vectors-minio.prod.svc:9000");
  assert.deepEqual(envOf(milvus, "MINIO_ACCESS_KEY_ID").valueFrom.secretKeyRef, {
    name: "shop-vectors-credentials",
    key: "minio-access-key",
  });
  assert.equal(
    envOf(milvus, "MINIO_SECRET_ACCESS_KEY").valueFrom.secretKeyRef.key,
    "minio-secret-key",
  );
  assert.deepEqual(milvus.readinessProbe.httpGet, { path: "/healthz", port: "metrics" });
  assert.equal(milvus.ports.find((p: Json) => p.name === "metrics").containerPort, 9091);
  const minio = container(
    find(objects, "StatefulSet", "shop-vectors-minio").spec.template.spec,
    "minio",
  );
  assert.equal(envOf(minio, "MINIO_ROOT_USER").valueFrom.secretKeyRef.key, "minio-access-key");
  assert.equal(envOf(minio, "MINIO_ROOT_PASSWORD").valueFrom.secretKeyRef.key, "minio-secret-key");
  assert.equal(minio.image, MILVUS_DEPENDENCIES.minio.image);
  const etcd = container(
    find(objects, "StatefulSet", "shop-vectors-etcd").spec.template.spec,
    "etcd",
  );
  assert.ok(
    etcd.command.includes(
      "--advertise-client-urls=http://$(POD_NAME).shop-vectors-etcd-headless.prod.svc:2379",
    ),
  );
  assert.equal(etcd.env[0].name, "POD_NAME");
  assertRestricted(objects);
});

test("milvus settings become user.yaml", () => {
  const objects = render({ settings: { "proxy.maxTaskNum": "2048" } });
  assert.equal(
    find(objects, "ConfigMap", "shop-vectors-config").data["user.yaml"],
    "proxy:\n  maxTaskNum: 2048\n",
  );
  const milvus = container(
    find(objects, "StatefulSet", "shop-vectors").spec.template.spec,
    "milvus",
  );
  assert.ok(milvus.volumeMounts.some((m: Json) => m.mountPath === "/milvus/configs/user.yaml"));
});

// Restoring from another namespace's backups in S3, on a real kube-apiserver
// with RBAC: `archctl restore --from NS/ARCH/COMPONENT` reads the source
// Architecture with the user's own rights (refused, and nothing changed, when
// they lack them), copies its bucket into restore.from.s3 with a Secret of the
// target namespace; the operator then renders a restore Job that downloads
// with that Secret and reports Restoring from the other namespace.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { grantRole, impersonating } from "../support/impersonation.ts";
import { clientFor, converged, installCrd, startOperator } from "../support/operator.ts";
import { archctl } from "../unit/cli/helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON
type Json = any;

let cluster: TestCluster;
before(
  async () => {
    cluster = await getCluster("apiserver");
    await installCrd(cluster);
  },
  { timeout: 40 * 60_000 },
);

const S3 = {
  bucket: "shop-backups",
  prefix: "prod",
  endpoint: "http://s3.example.com:9000",
  credentialsSecret: "aws",
};

const architecture = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name, namespace: ns },
  spec: { monitoring: { serviceMonitors: false, dashboard: false }, ...spec },
});

async function stored(ns: string, name: string): Promise<Json> {
  const r = await cluster.kubectl(["get", "architecture", name, "-n", ns, "-o", "json"]);
  return JSON.parse(r.stdout);
}

test("restore from another namespace's S3 backups: only where RBAC allows, with a Secret of this namespace", async (t) => {
  const src = await cluster.namespace(t, { prefix: "restore-src" });
  const dst = await cluster.namespace(t, { prefix: "restore-dst" });
  await cluster.apply(src, [
    architecture(src, "shop", {
      components: [
        { name: "db", type: "postgres" },
        { name: "cache", type: "redis" },
      ],
      backups: [
        { component: "db", schedule: "@daily", s3: S3 },
        { component: "cache", schedule: "@daily" },
      ],
    }),
  ]);
  await cluster.apply(dst, [
    architecture(dst, "staging", {
      components: [
        { name: "db", type: "postgres" },
        { name: "cache", type: "redis" },
        { name: "api", type: "service", image: "example.com/api:1", uses: ["db"] },
      ],
    }),
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "backup-reader", namespace: dst },
      stringData: { AWS_ACCESS_KEY_ID: "reader", AWS_SECRET_ACCESS_KEY: "not-a-real-key" },
    },
  ]);
  const user = `restorer-${dst}`;
  await grantRole(cluster, dst, user, [
    { apiGroups: ["archctl.io"], resources: ["architectures"], verbs: ["get", "list", "patch"] },
    { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["list"] },
    { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
  ]);
  const asUser = impersonating(cluster, user);
  const restore = (from: string, ...more: string[]) =>
    archctl([
      ...["--kubeconfig", asUser, "-n", dst, "restore", "staging", "db", "--from", from],
      ...more,
    ]);

  // No rights in the source namespace: refused, saying which right is missing; nothing changed.
  const forbidden = await cluster.eventually("the Role in the target namespace", async () => {
    const r = await restore(`${src}/shop/db`, "--credentials-secret", "backup-reader");
    return r.code === 6 ? r : undefined;
  });
  assert.match(
    forbidden.stderr,
    new RegExp(
      `cannot read Architecture ${src}/shop: forbidden\\. A restore from it needs 'get' on architectures\\.archctl\\.io in namespace ${src}`,
    ),
  );
  assert.equal(forbidden.stdout, "");
  assert.equal((await stored(dst, "staging")).spec.components[0].restore, undefined);

  await grantRole(cluster, src, user, [
    { apiGroups: ["archctl.io"], resources: ["architectures"], verbs: ["get"] },
  ]);
  // The Secret must exist in the target namespace: the source's name ('aws') does not.
  const noSecret = await cluster.eventually("the Role in the source namespace", async () => {
    const r = await restore(`${src}/shop/db`);
    return r.code !== 6 ? r : undefined;
  });
  assert.equal(noSecret.code, 5, noSecret.stderr);
  assert.match(noSecret.stderr, new RegExp(`Secret 'aws' not found in namespace ${dst}`));
  // Backups on a PVC cannot cross namespaces.
  const pvc = await archctl([
    ...["--kubeconfig", asUser, "-n", dst, "restore", "staging", "cache"],
    ...["--from", `${src}/shop/cache`],
  ]);
  assert.equal(pvc.code, 6, pvc.stderr);
  assert.match(
    pvc.stderr,
    new RegExp(
      `${src}/shop keeps the backups of 'cache' on a PVC, which a pod in namespace ${dst} cannot mount`,
    ),
  );
  assert.equal((await stored(dst, "staging")).spec.components[0].restore, undefined);

  const ok = await restore(`${src}/shop/db`, "--credentials-secret", "backup-reader");
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(
    ok.stdout.trim(),
    `staging/db will be restored from ${src}/shop/db@latest (s3://shop-backups, read with Secret backup-reader)`,
  );
  assert.deepEqual((await stored(dst, "staging")).spec.components[0].restore, {
    from: {
      namespace: src,
      architecture: "shop",
      component: "db",
      s3: { ...S3, credentialsSecret: "backup-reader" },
    },
  });

  // The operator: a restore Job that downloads with this namespace's Secret, and Restoring.
  const client = clientFor(cluster);
  await startOperator(t, cluster, dst);
  const arch = await cluster.eventually("phase Restoring", async () => {
    const a = await converged(cluster, client, dst, "staging");
    return a.status?.phase === "Restoring" ? a : undefined;
  });
  assert.match(
    arch.status?.conditions?.find((c) => c.type === "Restoring")?.message ?? "",
    new RegExp(`^db: restoring from ${src}/shop/db@latest`),
  );
  const job = (await cluster.eventually("the restore Job", () =>
    client.find<KubeObject>(resourceFor("batch/v1", "Job"), dst, "staging-db-restore"),
  )) as Json;
  assert.equal(job.metadata.annotations["archctl.io/restore-from"], `${src}/shop/db/latest`);
  const download = job.spec.template.spec.initContainers[0];
  assert.deepEqual(download.envFrom, [{ secretRef: { name: "backup-reader" } }]);
  assert.match(download.command[2], /--bucket 'shop-backups' --prefix 'prod\/db-'/);
  assert.match(download.command[2], /--endpoint-url 'http:\/\/s3\.example\.com:9000'/);
});

// The chart's RBAC against a real kube-apiserver: the operator running with
// exactly the chart's RBAC (impersonating its ServiceAccount) reconciles an
// Architecture and is refused outside its role, in both scopes.
// First: the cluster name, before test/support/cluster.ts is evaluated.
import "../support/chart-cluster.ts";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { after, before, test } from "node:test";
import { parse, stringify } from "yaml";
import { ARCHITECTURE_LABEL, FINALIZER } from "../../operator/api/names.ts";
import { loadKubeConfig } from "../../operator/kube/config.ts";
import { KubeApiError } from "../../operator/kube/errors.ts";
import { ObjectClient } from "../../operator/kube/objects.ts";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import { KubeRest } from "../../operator/kube/rest.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "../support/cluster.ts";
import { deleteClusterScoped } from "../support/cluster-roles.ts";
import { prepareHelm, template } from "../support/helm-chart.ts";
import {
  architecture,
  clientFor,
  converged,
  installCrd,
  logLines,
  startOperator,
} from "../support/operator.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  await prepareHelm();
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

/** A copy of the test kubeconfig whose user impersonates the ServiceAccount. */
function impersonating(c: TestCluster, user: string): string {
  const kc = parse(readFileSync(c.kubeconfig, "utf8")) as {
    users: { user: Record<string, unknown> }[];
  };
  for (const u of kc.users) u.user.as = user;
  const dir = mkdtempSync(join(tmpdir(), "archctl-sa-"));
  const file = join(dir, "kubeconfig.yaml");
  writeFileSync(file, stringify(kc));
  return file;
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof KubeApiError) return err.status;
    throw err;
  }
}

for (const scope of ["Namespace", "Cluster"] as const) {
  test(`${scope} scope: the operator as the chart's ServiceAccount reconciles an Architecture and is refused outside its role`, async (t: TestContext) => {
    const releaseNs = await cluster.namespace(t, { prefix: `chart-op-${scope}` });
    const watched = await cluster.namespace(t, { prefix: `chart-team-${scope}` });
    const other = await cluster.namespace(t, { prefix: `chart-other-${scope}` });
    const release = `r${Math.random().toString(36).slice(2, 8)}`;
    const sets =
      scope === "Namespace" ? ["rbac.scope=Namespace", `watchNamespaces={${watched}}`] : [];
    const objects = await template(release, releaseNs, sets);
    t.after(() => deleteClusterScoped(cluster, objects));
    await cluster.apply(undefined, objects);

    const sa = `system:serviceaccount:${releaseNs}:${release}`;
    const kubeconfig = impersonating(cluster, sa);
    const op = await startOperator(t, cluster, watched, {
      kubeconfig,
      leaderElection: true,
      leaseNamespace: releaseNs,
    });
    const admin = clientFor(cluster);
    const arch = architecture("shop", watched, {
      components: [
        { name: "api", type: "service", image: "ghcr.io/example/shop-api:1.0", uses: ["cache"] },
        { name: "cache", type: "redis" },
      ],
      monitoring: { serviceMonitors: false, dashboard: true },
    });
    await admin.apply(arch as unknown as KubeObject, { fieldManager: "archctl-test", force: true });
    const done = await converged(cluster, admin, watched, "shop", 60_000);
    assert.ok(done.metadata.finalizers?.includes(FINALIZER));
    // Nothing becomes ready on this tier (no controllers): waiting, never Degraded.
    assert.ok(["Pending", "Progressing"].includes(done.status?.phase ?? ""), done.status?.phase);
    for (const [apiVersion, kind, name] of [
      ["apps/v1", "Deployment", "shop-api"],
      ["apps/v1", "StatefulSet", "shop-cache"],
      ["v1", "Service", "shop-api"],
      ["v1", "Secret", "shop-cache-credentials"],
      ["v1", "ConfigMap", "shop-dashboard"],
    ] as const) {
      const o = await admin.get<KubeObject>(resourceFor(apiVersion, kind), watched, name);
      assert.equal(o.metadata.labels?.[ARCHITECTURE_LABEL], "shop", `${kind} ${name}`);
    }
    assert.ok(op.isLeader, "won the Lease with the leader-election Role");
    const lease = await cluster.kubectl([
      "get",
      "lease",
      "archctl-operator",
      "-n",
      releaseNs,
      "-o",
      "jsonpath={.spec.holderIdentity}",
    ]);
    assert.equal(lease.stdout, op.identity);
    assert.deepEqual(
      // The timestamp is dropped first: "…:52.403Z" once matched a bare /403/.
      logLines(op).filter((l) => /forbidden|\b403\b/i.test(withoutTimestamp(l))),
      [],
      "the operator hit a permission it lacks",
    );

    // Deleting runs the finalizer (Retain: the credentials Secret is released with a patch).
    await admin.delete(ARCHITECTURES, watched, "shop");
    await cluster.eventually(
      "the Architecture to go",
      async () => !(await admin.find(ARCHITECTURES, watched, "shop")),
      30_000,
    );
    const secret = await admin.get<KubeObject & { metadata: { ownerReferences?: unknown[] } }>(
      resourceFor("v1", "Secret"),
      watched,
      "shop-cache-credentials",
    );
    assert.equal(secret.metadata.ownerReferences, undefined, "credentials kept for the data");

    // Outside the role: refused.
    const as = new ObjectClient(new KubeRest(loadKubeConfig({ kubeconfig })));
    const nodes = { apiVersion: "v1", kind: "Node", plural: "nodes", namespaced: false };
    assert.equal(await status(as.delete(nodes, undefined, "any-node")), 403, "delete a Node");
    const kubeSystemConfig =
      "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication";
    // Namespace scope reaches no other namespace; cluster scope reads every
    // namespace's children (its caches list them anyway) but changes none
    // outside what it owns.
    if (scope === "Namespace")
      assert.equal(
        await status(as.rest.get(kubeSystemConfig)),
        403,
        "read a ConfigMap in kube-system",
      );
    assert.equal(
      await status(as.rest.request("PUT", kubeSystemConfig, { body: {} })),
      403,
      "update a ConfigMap in kube-system",
    );
    assert.equal(
      await status(
        as.rest.request("PUT", `/api/v1/namespaces/${watched}/secrets/shop-cache-credentials`, {
          body: {},
        }),
      ),
      403,
      "update a Secret (only created once, and patched to adopt or release)",
    );
    assert.equal(
      await status(as.delete(resourceFor("v1", "Secret"), watched, "shop-cache-credentials")),
      403,
      "delete a Secret",
    );
    assert.equal(
      await status(as.rest.get(`/apis/rbac.authorization.k8s.io/v1/clusterroles`)),
      403,
      "list ClusterRoles",
    );
    assert.equal(
      await status(
        as.create(
          {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name: "x", namespace: watched },
          },
          "test",
        ),
      ),
      403,
      "a Lease outside the operator's namespace",
    );
    if (scope === "Namespace") {
      // A Role on `namespaces` reaches only the namespace of the same name.
      assert.equal(await status(as.rest.get(`/api/v1/namespaces/${watched}`)), 200);
      assert.equal(
        await status(as.rest.get(`/api/v1/namespaces/${other}`)),
        403,
        "another namespace",
      );
      assert.equal(
        await status(as.rest.get(`/apis/archctl.io/v1alpha1/namespaces/${other}/architectures`)),
        403,
        "Architectures of an unwatched namespace",
      );
      assert.equal(
        await status(as.rest.get("/apis/archctl.io/v1alpha1/architectures")),
        403,
        "Architectures of all namespaces",
      );
      assert.equal(
        await status(as.rest.get("/apis/apps/v1/deployments")),
        403,
        "Deployments of all namespaces",
      );
    } else {
      assert.equal(
        await status(as.rest.get(`/apis/archctl.io/v1alpha1/namespaces/${other}/architectures`)),
        200,
      );
      assert.equal(
        await status(as.rest.get("/apis/keda.sh/v1alpha1")),
        404,
        "discovery allowed (the group is absent)",
      );
    }
  });
}

/** A JSON log line without its `ts` field, so only what the operator said is searched. */
function withoutTimestamp(line: string): string {
  try {
    const { ts: _ts, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch {
    return line;
  }
}

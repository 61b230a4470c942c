// `archctl install` and `archctl uninstall` on a live kube-apiserver: converges,
// says what changed, and uninstall protects Architectures.
// First: the cluster name, before test/support/cluster.ts is evaluated.
import "../support/chart-cluster.ts";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { FINALIZER } from "../../operator/api/names.ts";
import { installManifests } from "../../operator/install/manifests.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { waitEstablished } from "../cluster/kubectl.ts";
import type { TestCluster } from "../support/cluster.ts";
import { VERSION } from "../support/helm-chart.ts";
import { architecture, installCrd } from "../support/operator.ts";
import { archctl } from "../unit/cli/helpers.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

test("archctl install converges, says what changed, and uninstall protects Architectures", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "cli-install" });
  const apps = await cluster.namespace(t, { prefix: "cli-apps" });
  const kc = ["--kubeconfig", cluster.kubeconfig, "-n", ns];
  const clusterWide = ["clusterrolebinding/archctl-operator", "clusterrole/archctl-operator"];
  const cleanUp = () =>
    cluster.kubectl(["delete", ...clusterWide, "--ignore-not-found"], { reject: false });
  await cleanUp(); // left by an earlier, failed run
  t.after(cleanUp);
  const dry = await archctl(["install", ...kc, "--dry-run=server"]);
  assert.equal(dry.code, 0, dry.stderr);
  // The namespace exists (the test made it): left as it is, the other 10 checked.
  assert.match(dry.stderr, /Namespace\s+\S+: exists \(left as it is\)/);
  assert.match(dry.stderr, /The API server accepted all 12 objects; nothing was changed/);
  assert.equal(
    (await cluster.kubectl(["get", "deployment", "-n", ns, "-o", "name"])).stdout.trim(),
    "",
  );

  const first = await archctl(["install", ...kc]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /Deployment\s+\S+\/archctl: created/);
  assert.match(first.stderr, /ClusterRole\s+archctl-operator: created/);
  assert.match(first.stderr, /installed in namespace/);
  const again = await archctl(["install", ...kc]);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /: (created|configured)/, "a second install changes nothing");
  assert.match(again.stderr, /is already installed/);
  const labels = await cluster.kubectl([
    "get",
    "namespace",
    ns,
    "-o",
    "jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}",
  ]);
  assert.equal(labels.stdout, "", "an existing namespace is not taken over");
  const dep = await cluster.kubectl([
    "get",
    "deployment",
    "archctl",
    "-n",
    ns,
    "-o",
    "json",
    "--show-managed-fields",
  ]);
  const managers = (
    JSON.parse(dep.stdout) as { metadata: { managedFields: { manager: string }[] } }
  ).metadata.managedFields.map((m) => m.manager);
  assert.deepEqual(managers, ["archctl-cli"]);

  // This tier has no namespace controller: Architectures of finished tests stay
  // in their Terminating namespaces, some with the operator's finalizer. Clear
  // them, or --force below would wait on them and the CRD could not go.
  await clearLeftovers(cluster);

  // An Architecture exists (with the operator's finalizer, and no operator to
  // run it): uninstall refuses and says how many and where.
  await cluster.apply(apps, [
    {
      ...architecture("blog", apps, { components: [{ name: "db", type: "postgres" }] }),
      metadata: { name: "blog", namespace: apps, finalizers: [FINALIZER] },
    },
  ]);
  const refused = await archctl(["uninstall", ...kc]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`1 Architecture \\(1 in ${apps}\\) still exist`));
  assert.match(refused.stderr, /--force/);
  await cluster.kubectl(["get", "deployment", "archctl", "-n", ns]);

  const keep = await archctl(["uninstall", ...kc, "--keep-crd"]);
  assert.equal(keep.code, 0, keep.stderr);
  assert.equal(
    (
      await cluster.kubectl([
        "get",
        "deployment,service,serviceaccount,role",
        "-n",
        ns,
        "-o",
        "name",
      ])
    ).stdout.trim(),
    "",
  );
  assert.notEqual(
    (await cluster.kubectl(["get", "clusterrole", "archctl-operator"], { reject: false })).exitCode,
    0,
  );
  await cluster.kubectl(["get", "architecture", "blog", "-n", apps]);

  // --force deletes the Architectures first and waits for their finalizers: with
  // no operator running they stay, and uninstall stops before the CRD.
  const stuck = await archctl(["uninstall", ...kc, "--force", "--timeout", "2s"]);
  assert.equal(stuck.code, 3, stuck.stderr);
  assert.match(stuck.stderr, /warning: deleting 1 Architecture \(1 in /);
  assert.match(
    stuck.stderr,
    new RegExp(`still exist after 2s \\(${apps}/blog\\).*only while the operator runs`),
  );
  await cluster.kubectl(["get", "crd", "architectures.archctl.io"]);

  // Once the finalizer is gone (as the operator would do), --force removes the CRD.
  await cluster.kubectl([
    "patch",
    "architecture",
    "blog",
    "-n",
    apps,
    "--type=merge",
    "-p",
    '{"metadata":{"finalizers":null}}',
  ]);
  const force = await archctl(["uninstall", ...kc, "--force"]);
  assert.equal(force.code, 0, force.stderr);
  assert.match(force.stderr, /CustomResourceDefinition architectures\.archctl\.io: deleted/);
  await cluster.eventually(
    "the CRD to go",
    async () =>
      (await cluster.kubectl(["get", "crd", "architectures.archctl.io"], { reject: false }))
        .exitCode !== 0,
  );
  // Put the CRD back for whatever runs next on this cluster.
  await cluster.apply(undefined, [
    installManifests({
      namespace: ns,
      scope: "cluster",
      watchNamespaces: [],
      image: "x:1",
      replicas: 1,
      version: VERSION,
    })[0] as KubeObject,
  ]);
  await waitEstablished(cluster.kubectl, ["architectures.archctl.io"]);
});

/** Architectures left in Terminating namespaces by finished tests: finalizers off, deleted. */
async function clearLeftovers(c: TestCluster): Promise<void> {
  const list = await c.kubectl(["get", "architectures", "-A", "-o", "json"]);
  const terminating = new Set(
    (
      JSON.parse((await c.kubectl(["get", "namespaces", "-o", "json"])).stdout) as {
        items: { metadata: { name: string }; status?: { phase?: string } }[];
      }
    ).items
      .filter((n) => n.status?.phase === "Terminating")
      .map((n) => n.metadata.name),
  );
  for (const a of (JSON.parse(list.stdout) as { items: KubeObject[] }).items) {
    const ns = a.metadata.namespace ?? "";
    if (!terminating.has(ns)) continue;
    await c.kubectl([
      "patch",
      "architecture",
      a.metadata.name,
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    await c.kubectl([
      "delete",
      "architecture",
      a.metadata.name,
      "-n",
      ns,
      "--wait=false",
      "--ignore-not-found",
    ]);
  }
}

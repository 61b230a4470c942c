// The Helm chart against a real kube-apiserver: helm lint/template in both
// scopes, chart objects == install objects, the API server accepts them, and
// helm install/uninstall on a live cluster. The chart's RBAC at work is in
// chart-rbac.test.ts, `archctl install`/`uninstall` in install.test.ts.
// First: the cluster name, before test/support/cluster.ts is evaluated.
import "../support/chart-cluster.ts";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { installManifests } from "../../operator/install/manifests.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "../support/cluster.ts";
import { deleteClusterScoped } from "../support/cluster-roles.ts";
import { CHART, helm, prepareHelm, template, VERSION } from "../support/helm-chart.ts";
import { installCrd } from "../support/operator.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  await prepareHelm();
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

/** Labels only one of the two installers sets. */
function withoutInstallerLabels(o: KubeObject): KubeObject {
  const copy = structuredClone(o);
  const labels = copy.metadata.labels as Record<string, string> | undefined;
  if (
    labels &&
    labels["app.kubernetes.io/part-of"] === "archctl" &&
    copy.kind !== "CustomResourceDefinition"
  ) {
    delete labels["helm.sh/chart"];
    delete labels["app.kubernetes.io/managed-by"];
  }
  return copy;
}

const keyOf = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? "-"}/${o.metadata.name}`;
const byKey = (objs: KubeObject[]) =>
  new Map(objs.map((o) => [keyOf(o), withoutInstallerLabels(o)] as const));

test("helm lint passes in both scopes; namespace scope without namespaces is refused", async () => {
  const lint = await helm(["lint", "--strict", CHART]);
  assert.match(lint.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  await helm([
    "lint",
    "--strict",
    CHART,
    "--set",
    "rbac.scope=Namespace",
    "--set",
    "watchNamespaces={a,b}",
  ]);
  await helm([
    "lint",
    "--strict",
    CHART,
    "--set",
    "serviceMonitor.enabled=true",
    "--set",
    "replicaCount=1",
  ]);
  const bad = await helm(["template", "x", CHART, "--set", "rbac.scope=Namespace"], false);
  assert.notEqual(bad.exitCode, 0);
  assert.match(bad.stderr, /watchNamespaces/);
  const typo = await helm(["template", "x", CHART, "--set", "rbac.scope=Everything"], false);
  assert.notEqual(typo.exitCode, 0);
  assert.match(typo.stderr, /scope/);
  const sm = await template("archctl", "ops", ["serviceMonitor.enabled=true", "replicaCount=1"]);
  const monitor = sm.find((o) => o.kind === "ServiceMonitor") as
    | { spec: { endpoints: { honorLabels?: boolean }[] } }
    | undefined;
  assert.ok(monitor);
  // The metrics' namespace label is the Architecture's, which the alerts select on.
  assert.equal(monitor.spec.endpoints[0]?.honorLabels, true);
  assert.ok(!sm.some((o) => o.kind === "PodDisruptionBudget"), "no PDB for one replica");
});

test("helm template installs the same objects as archctl install (both scopes)", async () => {
  const cases = [
    { sets: [], opts: { scope: "cluster" as const, watchNamespaces: [] } },
    {
      sets: ["rbac.scope=Namespace", "watchNamespaces={team-a,team-b}", "replicaCount=3"],
      opts: { scope: "namespace" as const, watchNamespaces: ["team-a", "team-b"], replicas: 3 },
    },
  ];
  for (const c of cases) {
    const chart = byKey(await template("archctl", "archctl-system", c.sets, true));
    const installed = byKey(
      installManifests({
        namespace: "archctl-system",
        image: `ghcr.io/archctl/archctl:${VERSION}`,
        replicas: 2,
        version: VERSION,
        ...c.opts,
      }).filter((o) => o.kind !== "Namespace"), // helm install --create-namespace makes it
    );
    assert.deepEqual([...chart.keys()].sort(), [...installed.keys()].sort(), c.sets.join(" "));
    for (const [k, o] of installed) assert.deepEqual(chart.get(k), o, `${k} (${c.sets.join(" ")})`);
  }
});

test("shards=3: a Deployment and a PodDisruptionBudget per shard, each told its shard; the leader Role names each shard's Lease", async () => {
  type Dep = KubeObject & {
    spec: {
      replicas: number;
      selector: { matchLabels: Record<string, string> };
      template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
    };
  };
  const objs = await template("archctl", "ops", ["shards=3", "replicaCount=2"]);
  const deps = objs.filter((o) => o.kind === "Deployment") as Dep[];
  assert.deepEqual(
    deps.map((d) => d.metadata.name),
    ["archctl-shard-0", "archctl-shard-1", "archctl-shard-2"],
  );
  for (const [i, d] of deps.entries()) {
    assert.equal(d.spec.replicas, 2, "a leader and a standby per shard");
    assert.equal(d.spec.selector.matchLabels["archctl.io/shard"], String(i));
    const env = new Map(d.spec.template.spec.containers[0]?.env.map((e) => [e.name, e.value]));
    assert.equal(env.get("ARCHCTL_SHARD"), String(i));
    assert.equal(env.get("ARCHCTL_SHARDS"), "3");
    assert.equal(env.get("ARCHCTL_LEADER_ELECT"), "true");
  }
  const pdbs = objs.filter((o) => o.kind === "PodDisruptionBudget");
  assert.equal(pdbs.length, 3);
  const role = objs.find((o) => o.kind === "Role" && o.metadata.name.endsWith("leader-election")) as
    | (KubeObject & { rules: { resourceNames?: string[] }[] })
    | undefined;
  assert.deepEqual(
    role?.rules.flatMap((r) => r.resourceNames ?? []),
    ["archctl-operator-shard-0", "archctl-operator-shard-1", "archctl-operator-shard-2"],
  );
  const one = await template("archctl", "ops", []);
  assert.deepEqual(
    one.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name),
    ["archctl"],
    "shards=1 (the default): one Deployment, as before",
  );
});

test("the API server accepts the chart's objects: server-side dry run, then a real install", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "chart-apply" });
  const release = `r${Math.random().toString(36).slice(2, 8)}`;
  const objects = await template(release, ns, [], true);
  t.after(() => deleteClusterScoped(cluster, objects));
  const input = objects.map((o) => `---\n${stringify(o)}`).join("");
  const args = ["apply", "--server-side", "--field-manager=helm-test", "-f", "-"];
  const dry = await cluster.kubectl([...args, "--dry-run=server"], { input });
  assert.match(dry.stdout, /deployment.apps\/[a-z0-9]+ serverside-applied \(server dry run\)/);
  assert.equal(
    (await cluster.kubectl(["get", "deployment", "-n", ns, "-o", "name"])).stdout.trim(),
    "",
  );
  await cluster.kubectl(args, { input });
  const got = await cluster.kubectl([
    "get",
    "deployment,service,serviceaccount,poddisruptionbudget,configmap,role,rolebinding",
    "-n",
    ns,
    "-o",
    "name",
  ]);
  for (const want of [
    `deployment.apps/${release}`,
    `service/${release}-metrics`,
    `serviceaccount/${release}`,
    `poddisruptionbudget.policy/${release}`,
    `configmap/${release}-dashboard`,
    `role.rbac.authorization.k8s.io/${release}-leader-election`,
  ])
    assert.ok(got.stdout.includes(want), `${want} in\n${got.stdout}`);
  await cluster.kubectl(["get", "clusterrole", `${release}-operator`]);
});

test("helm install and helm uninstall on the cluster (the CRD stays, as Helm leaves crds/ alone)", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "helm-install" });
  const release = `h${Math.random().toString(36).slice(2, 8)}`;
  const kube = ["--kubeconfig", cluster.kubeconfig, "--namespace", ns];
  t.after(() => helm(["uninstall", release, ...kube], false));
  const installed = await helm(["install", release, CHART, ...kube]);
  assert.match(installed.stdout, /STATUS: deployed/);
  assert.match(installed.stdout, /archctl init post my-posts\.yaml/, "NOTES tell what to do next");
  await cluster.kubectl(["get", "deployment", release, "-n", ns]);
  await cluster.kubectl(["get", "clusterrolebinding", `${release}-operator`]);
  await helm(["uninstall", release, ...kube]);
  assert.equal(
    (
      await cluster.kubectl(["get", "deployment,serviceaccount,role", "-n", ns, "-o", "name"])
    ).stdout.trim(),
    "",
  );
  assert.notEqual(
    (await cluster.kubectl(["get", "clusterrole", `${release}-operator`], { reject: false }))
      .exitCode,
    0,
  );
  await cluster.kubectl(["get", "crd", "architectures.archctl.io"]);
});

// The Helm chart and `archctl install` against a real kube-apiserver: helm
// lint/template in both scopes, chart objects == install objects, the API
// server accepts them, the operator running with exactly the chart's RBAC
// (impersonating its ServiceAccount) reconciles an Architecture and is refused
// outside its role, and install/uninstall behave on a live cluster.
//
// Runs on its own apiserver cluster (archctl-test-chart-<checkout> unless
// ARCHCTL_TEST_APISERVER_NAME is set), because it installs and deletes
// cluster-wide objects (ClusterRoles, the CRD). Per checkout, like the shared
// test clusters, so that two checkouts on one machine never share (or restart)
// each other's cluster.
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

process.env.ARCHCTL_TEST_APISERVER_NAME ||= `archctl-test-chart-${createHash("sha256")
  .update(fileURLToPath(new URL("../../", import.meta.url)))
  .digest("hex")
  .slice(0, 6)}`;

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { parse, parseAllDocuments, stringify } from "yaml";
import { ARCHITECTURE_LABEL, FINALIZER } from "../../operator/api/names.ts";
import { installManifests } from "../../operator/install/manifests.ts";
import { loadKubeConfig } from "../../operator/kube/config.ts";
import { KubeApiError } from "../../operator/kube/errors.ts";
import { ObjectClient } from "../../operator/kube/objects.ts";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import { KubeRest } from "../../operator/kube/rest.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { ensureHelm, REPO_ROOT } from "../cluster/binaries.ts";
import type { TestCluster } from "../support/cluster.ts";
import {
  architecture,
  clientFor,
  converged,
  installCrd,
  logLines,
  startOperator,
} from "../support/operator.ts";
import { archctl } from "../unit/cli/helpers.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");

const CHART = join(REPO_ROOT, "charts", "archctl");
const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

let helmBin: string;
let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  helmBin = await ensureHelm({ onProgress: (l) => process.stderr.write(`# ${l}\n`) });
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

async function helm(args: string[], reject = true) {
  const r = await execa(helmBin, args, {
    reject: false,
    env: {
      HELM_CACHE_HOME: join(tmpdir(), "archctl-helm-cache"),
      HELM_CONFIG_HOME: join(tmpdir(), "archctl-helm-config"),
    },
  });
  if (reject && r.exitCode !== 0)
    throw new Error(`helm ${args.join(" ")} failed (${r.exitCode}):\n${r.stderr}`);
  return r;
}

async function template(release: string, namespace: string, sets: string[] = [], crds = false) {
  const r = await helm([
    "template",
    release,
    CHART,
    "--namespace",
    namespace,
    ...(crds ? ["--include-crds"] : []),
    ...sets.flatMap((s) => ["--set", s]),
  ]);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

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
  assert.ok(sm.some((o) => o.kind === "ServiceMonitor"));
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

async function deleteClusterScoped(c: TestCluster, objects: KubeObject[]) {
  for (const o of objects)
    if (o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding")
      await c.kubectl(["delete", o.kind.toLowerCase(), o.metadata.name, "--ignore-not-found"], {
        reject: false,
      });
}

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
      logLines(op).filter((l) => /forbidden|403/.test(l)),
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
  await cluster.kubectl([
    "wait",
    "--for=condition=Established",
    "crd/architectures.archctl.io",
    "--timeout=60s",
  ]);
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

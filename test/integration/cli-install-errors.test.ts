// install's answers against a real kube-apiserver: --dry-run=server into a
// namespace that does not exist, a team with admin rights in one namespace
// only (--scope namespace --skip-crd), and --scope namespace into a missing
// namespace.
//
// Each of the cli-*errors files runs on its own apiserver cluster (the
// clierr cluster of test/support/clierr-cluster.ts, which says why).
// First: the cluster name, before test/support/cluster.ts is evaluated.
import "../support/clierr-cluster.ts";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ensureCrd } from "../support/architecture-crd.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { errorLine, oneLine } from "../support/error-lines.ts";
import { impersonating } from "../support/impersonation.ts";
import { randomName } from "../support/random-name.ts";
import { archctl } from "../unit/cli/helpers.ts";

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(
  async () => {
    cluster = await getCluster("apiserver");
  },
  { timeout: 40 * 60_000 },
);

/** archctl with the admin kubeconfig (or another) and a namespace. */
function run(args: string[], opts: { kubeconfig?: string; ns?: string } = {}) {
  return archctl([
    "--kubeconfig",
    opts.kubeconfig ?? cluster.kubeconfig,
    ...(opts.ns ? ["-n", opts.ns] : []),
    ...args,
  ]);
}

test("install --dry-run=server into a namespace that does not exist says what it could not check", async () => {
  await ensureCrd(cluster);
  const ns = randomName("t-new-ns");
  const r = await run(["install", "--dry-run=server"], { ns });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Namespace\\s+${ns}: created \\(server dry run\\)`));
  assert.match(
    r.stderr,
    new RegExp(`Deployment\\s+${ns}/archctl: not checked: namespace ${ns} does not exist yet`),
  );
  assert.match(
    r.stderr,
    new RegExp(
      `The API server accepted 6 of 13 objects; the other 7 were not checked: they go into namespace ${ns}, which does not exist yet`,
    ),
  );
  assert.doesNotMatch(r.stderr, /accepted all/);
  assert.notEqual((await cluster.kubectl(["get", "namespace", ns], { reject: false })).exitCode, 0);
});

test("a team with admin rights in one namespace installs with --scope namespace --skip-crd; 403s name the flag", async (t) => {
  await ensureCrd(cluster); // by the cluster admin, beforehand
  const team = await cluster.namespace(t, { prefix: "team" });
  await cluster.apply(team, [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "namespace-admin", namespace: team },
      rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "jane-admin", namespace: team },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "namespace-admin" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "jane" }],
    },
  ]);
  const jane = impersonating(cluster, "jane");
  const as = (args: string[]) => run(args, { kubeconfig: jane, ns: team });
  const nothingWritten = async () => {
    const names = await cluster.kubectl([
      "get",
      "serviceaccount,deployment,role,rolebinding,configmap,service",
      "-n",
      team,
      "-o",
      "name",
    ]);
    assert.deepEqual(
      names.stdout.split("\n").filter((n) => n.includes("archctl")),
      [],
      "no archctl object in the namespace",
    );
  };

  // The defaults need cluster rights: the CRD first...
  const crd = await as(["install", "--scope", "namespace", "--watch-namespaces", team]);
  assert.equal(crd.code, 6, crd.stderr);
  assert.match(
    errorLine(crd.stderr),
    /^archctl: forbidden: user jane may not get CustomResourceDefinition architectures\.archctl\.io \(cluster-scoped, 403\)\. .*archctl crd \| kubectl apply --server-side -f -\), then run archctl install again with --skip-crd\.$/,
  );
  // ...then the ClusterRole of cluster scope.
  const scope = await as(["install", "--skip-crd"]);
  assert.equal(scope.code, 6, scope.stderr);
  assert.match(
    errorLine(scope.stderr),
    /^archctl: forbidden: user jane may not get ClusterRole archctl-operator \(cluster-scoped, 403\)\. .*use --scope namespace --watch-namespaces NS/,
  );
  await nothingWritten();

  const flags = ["--scope", "namespace", "--watch-namespaces", team, "--skip-crd"];
  const dry = await as(["install", ...flags, "--dry-run=server"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, /The API server accepted all 9 objects; nothing was changed\./);
  await nothingWritten();

  const first = await as(["install", ...flags]);
  assert.equal(first.code, 0, first.stderr);
  assert.doesNotMatch(first.stderr, /Namespace|CustomResourceDefinition|ClusterRole/);
  assert.match(first.stderr, /Deployment\s+\S+\/archctl: created/);
  assert.match(
    first.stderr,
    new RegExp(`installed in namespace ${team} .*scope namespace, watching ${team}; CRD skipped`),
  );
  await cluster.kubectl(["get", "deployment/archctl", "role/archctl-operator", "-n", team]);
  const again = await as(["install", ...flags]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /is already installed/);

  // Uninstall: cluster scope is refused before anything is deleted; namespace scope works.
  const refused = await as(["uninstall", "--keep-crd"]);
  assert.equal(refused.code, 6, refused.stderr);
  assert.match(
    errorLine(refused.stderr),
    /may not get ValidatingAdmissionPolicyBinding archctl-operator-limits \(cluster-scoped, 403\)\. If archctl was installed with --scope namespace, uninstall with --scope namespace --keep-crd.*Nothing was deleted\.$/,
  );
  await cluster.kubectl(["get", "deployment/archctl", "-n", team]);
  const removed = await as(["uninstall", "--scope", "namespace", "--keep-crd"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stderr, /is uninstalled from namespace/);
  await nothingWritten();
});

test("install --scope namespace into a namespace that does not exist: exit 5, how to create it, nothing applied", async () => {
  await ensureCrd(cluster);
  const ns = randomName("t-absent");
  const r = await run(["install", "--scope", "namespace", "--watch-namespaces", ns], { ns });
  assert.equal(r.code, 5, r.stderr);
  assert.match(
    oneLine(r.stderr),
    new RegExp(
      `^archctl: namespace ${ns} not found: create it: kubectl create namespace ${ns} \\(--scope namespace never creates namespaces`,
    ),
  );
});

// The operator's ValidatingAdmissionPolicy on a real kube-apiserver: the
// operator, authenticated as its own ServiceAccount (a token, not the admin),
// works as before (credentials and generated Secrets carry archctl's labels),
// and the same ServiceAccount is refused an unlabelled Secret and the deletion
// of a namespace without the ephemeral-environment label. Others are not
// affected: the policy matches that ServiceAccount only.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { parse, stringify } from "yaml";
import { EPHEMERAL_NAMESPACE_LABEL } from "../../operator/api/names.ts";
import { admissionPolicy } from "../../operator/install/admission-policy.ts";
import { discoveryRules, operatorRules } from "../../operator/install/rbac.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { installCrd, startOperator } from "../support/operator.ts";

let cluster: TestCluster;
before(
  async () => {
    cluster = await getCluster("apiserver");
    await installCrd(cluster);
  },
  { timeout: 40 * 60_000 },
);

/** A kubeconfig that authenticates with a token of ServiceAccount `sa` in `ns`. */
async function serviceAccountKubeconfig(ns: string, sa: string): Promise<string> {
  const token = (
    await cluster.kubectl(["create", "token", sa, "-n", ns, "--duration", "1h"])
  ).stdout.trim();
  const kc = parse(readFileSync(cluster.kubeconfig, "utf8")) as {
    users: { name: string; user: Record<string, unknown> }[];
  };
  for (const u of kc.users) u.user = { token };
  const file = join(mkdtempSync(join(tmpdir(), "archctl-sa-")), "kubeconfig.yaml");
  writeFileSync(file, stringify(kc));
  return file;
}

const secret = (name: string, ns: string, labels?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
  stringData: { k: "v" },
});

test("the operator's ServiceAccount: works as before, refused unlabelled Secrets and namespaces", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "vap" });
  const sa = "op";
  const name = `archctl-vap-${ns}`;
  await cluster.apply(ns, [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: ns } },
  ]);
  await cluster.apply(undefined, [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name },
      rules: [...operatorRules(), ...discoveryRules()],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
    },
    ...admissionPolicy({ namespace: ns, name: sa }, {}, name),
  ]);
  t.after(async () => {
    for (const kind of [
      "validatingadmissionpolicybinding",
      "validatingadmissionpolicy",
      "clusterrolebinding",
      "clusterrole",
    ])
      await cluster.kubectl(["delete", kind, name, "--ignore-not-found"], { reject: false });
  });
  const asOperator = await serviceAccountKubeconfig(ns, sa);
  const kubectlAs = (args: string[], input?: string) =>
    cluster.kubectl(["--kubeconfig", asOperator, ...args], {
      reject: false,
      ...(input ? { input } : {}),
    });

  // Refused once the API server has loaded the policy (RBAC alone would allow it).
  const refused = await cluster.eventually(
    "the policy to refuse an unlabelled Secret",
    async () => {
      const r = await kubectlAs(["create", "-f", "-"], JSON.stringify(secret("plain", ns)));
      return r.exitCode !== 0 && /archctl operator may create or change only Secrets/.test(r.stderr)
        ? r.stderr
        : undefined;
    },
  );
  assert.match(refused, /ValidatingAdmissionPolicy/);
  // A Secret with archctl's managed-by label is allowed; taking the label away is not.
  const labelled = await kubectlAs(
    ["create", "-f", "-"],
    JSON.stringify(secret("ours", ns, { "app.kubernetes.io/managed-by": "archctl-operator" })),
  );
  assert.equal(labelled.exitCode, 0, labelled.stderr);
  const unlabel = await kubectlAs([
    "label",
    "secret",
    "ours",
    "-n",
    ns,
    "app.kubernetes.io/managed-by-",
  ]);
  assert.notEqual(unlabel.exitCode, 0);
  assert.match(unlabel.stderr, /only Secrets labelled/);
  // Anyone else (the admin here) is not affected.
  await cluster.apply(ns, [secret("admins", ns)]);

  // Namespaces: only those of ephemeral environments may be deleted.
  const plainNs = `${ns}-plain`;
  const envNs = `${ns}-env`;
  await cluster.apply(undefined, [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: plainNs } },
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: envNs, labels: { [EPHEMERAL_NAMESPACE_LABEL]: "pr-1" } },
    },
  ]);
  t.after(async () => {
    await cluster.kubectl(
      ["delete", "namespace", plainNs, envNs, "--ignore-not-found", "--wait=false"],
      {
        reject: false,
      },
    );
  });
  const deletePlain = await kubectlAs(["delete", "namespace", plainNs, "--wait=false"]);
  assert.notEqual(deletePlain.exitCode, 0);
  assert.match(deletePlain.stderr, /may delete only namespaces labelled archctl\.io\/environment/);
  const deleteEnv = await kubectlAs(["delete", "namespace", envNs, "--wait=false"]);
  assert.equal(deleteEnv.exitCode, 0, deleteEnv.stderr);

  // The operator itself, as that ServiceAccount: credentials and a generated secret are made.
  await startOperator(t, { ...cluster, kubeconfig: asOperator }, ns);
  await cluster.apply(ns, [
    {
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      metadata: { name: "shop", namespace: ns },
      spec: {
        secrets: [{ name: "jwt", generate: { bytes: 32 } }],
        components: [
          { name: "db", type: "postgres" },
          {
            name: "api",
            type: "service",
            image: "ex/api:1",
            uses: ["db"],
            secretEnv: { JWT: "jwt" },
          },
        ],
      },
    },
  ]);
  for (const name of ["shop-db-credentials", "shop-jwt-secret"])
    await cluster.eventually(`Secret ${name}`, async () => {
      const r = await cluster.kubectl(["get", "secret", name, "-n", ns], { reject: false });
      return r.exitCode === 0;
    });
  await cluster.eventually("the Deployment", async () => {
    const r = await cluster.kubectl(["get", "deployment", "shop-api", "-n", ns], { reject: false });
    return r.exitCode === 0;
  });
});

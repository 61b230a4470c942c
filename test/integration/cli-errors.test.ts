// The CLI's answers when something is wrong, against a real kube-apiserver:
// archctl not installed (no CRD), no rights (RBAC, impersonating users), a
// missing namespace, a failing admission webhook under plan, a watch that
// times out; and a team with admin rights in one namespace only installing
// the operator. Also get -w and status without a NAME.
//
// Runs on its own apiserver cluster (archctl-test-clierr-<checkout> unless
// ARCHCTL_TEST_APISERVER_NAME is set), because its first test needs a cluster
// without the Architecture CRD and it writes cluster-wide objects (the CRD, a
// ValidatingWebhookConfiguration).
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const CHECKOUT = createHash("sha256")
  .update(fileURLToPath(new URL("../../", import.meta.url)))
  .digest("hex")
  .slice(0, 6);
process.env.ARCHCTL_TEST_APISERVER_NAME ||= `archctl-test-clierr-${CHECKOUT}`;

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { after, before, test } from "node:test";
import { parse, stringify } from "yaml";
import { buildCrd } from "../../operator/api/crd.ts";
import type { TestCluster } from "../support/cluster.ts";
import { quotaOfNoServices } from "../support/quota.ts";
import { archctl, MAIN, ROOT } from "../unit/cli/helpers.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");

const CRD = "architectures.archctl.io";
const BP = "blueprints/post.yaml";

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

/** A copy of the admin kubeconfig whose user impersonates `user` (plus system:authenticated). */
function impersonating(user: string): string {
  const kc = parse(readFileSync(cluster.kubeconfig, "utf8")) as {
    users: { user: Record<string, unknown> }[];
  };
  for (const u of kc.users) u.user.as = user;
  const file = join(mkdtempSync(join(tmpdir(), "archctl-as-")), "kubeconfig.yaml");
  writeFileSync(file, stringify(kc));
  return file;
}

/** A Role with these rules in `ns`, bound to the user `user`. */
async function grantRole(ns: string, user: string, rules: object[]): Promise<void> {
  await cluster.apply(ns, [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: user, namespace: ns },
      rules,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: user, namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: user },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    },
  ]);
}

async function crdPresent(): Promise<boolean> {
  return (await cluster.kubectl(["get", "crd", CRD], { reject: false })).exitCode === 0;
}

let crdReady = false;
async function ensureCrd(): Promise<void> {
  if (crdReady) return;
  await cluster.apply(undefined, [buildCrd()]);
  await cluster.kubectl(["wait", "--for=condition=Established", `crd/${CRD}`, "--timeout=60s"]);
  crdReady = true;
}

/** Exactly one line on stderr, `archctl: ...`, and never a stack trace. */
function oneLine(stderr: string): string {
  assert.doesNotMatch(stderr, /\n\s+at |internal error/, stderr);
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0] as string, /^archctl: /);
  return lines[0] as string;
}

/** The error of a command that printed progress first: its one `archctl: ` line, last, no trace. */
function errorLine(stderr: string): string {
  assert.doesNotMatch(stderr, /\n\s+at |internal error/, stderr);
  const errors = stderr.split("\n").filter((l) => l.startsWith("archctl: "));
  assert.equal(errors.length, 1, stderr);
  assert.equal(stderr.trim().split("\n").at(-1), errors[0], stderr);
  return errors[0] as string;
}

function randomName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}

test("without the CRD, get/status/delete NAME say archctl is not installed (exit 5), not 'architecture not found'", async (t: TestContext) => {
  if (await crdPresent()) {
    if (cluster.existing) {
      t.skip("the existing cluster has the CRD installed, and this test does not remove it");
      return;
    }
    // Our own cluster, kept from an earlier run: take the CRD away again.
    await cluster.kubectl(["delete", "crd", CRD, "--timeout=60s"]);
  }
  await cluster.eventually(
    "archctl.io/v1alpha1 to leave discovery",
    async () =>
      (await cluster.kubectl(["get", "--raw", "/apis/archctl.io/v1alpha1"], { reject: false }))
        .exitCode !== 0,
  );
  const ns = await cluster.namespace(t, { prefix: "no-crd" });
  for (const args of [
    ["get", "post"],
    ["status", "post"],
    ["delete", "post"],
    ["get"],
    ["status"],
  ]) {
    const r = await run(args, { ns });
    assert.equal(r.code, 5, `${args.join(" ")}: ${r.stderr}`);
    const line = oneLine(r.stderr);
    assert.match(
      line,
      /^archctl: archctl is not installed in this cluster \(no Architecture CRD\): run archctl install/,
      args.join(" "),
    );
    assert.doesNotMatch(line, /architecture post not found/);
  }
});

test("with the CRD, a NAME that does not exist is 'architecture NAME not found' (exit 5)", async (t) => {
  await ensureCrd();
  const ns = await cluster.namespace(t, { prefix: "not-found" });
  for (const args of [
    ["get", "nope"],
    ["status", "nope"],
    ["delete", "nope"],
  ]) {
    const r = await run(args, { ns });
    assert.equal(r.code, 5, `${args.join(" ")}: ${r.stderr}`);
    assert.match(
      oneLine(r.stderr),
      new RegExp(
        `^archctl: architecture nope not found in namespace ${ns} \\(list them with: archctl get -A\\)$`,
      ),
    );
  }
});

test("apply as a user with no rights: exit 6, one line naming the verb, the resource and what to ask for", async (t) => {
  await ensureCrd();
  const ns = await cluster.namespace(t, { prefix: "no-rights" });
  const r = await run(["apply", "-f", BP, "--env", "dev"], {
    kubeconfig: impersonating("nobody@example.com"),
    ns,
  });
  assert.equal(r.code, 6, r.stderr);
  const line = oneLine(r.stderr);
  assert.ok(
    line.startsWith(
      `archctl: forbidden: user nobody@example.com may not patch architectures.archctl.io in namespace ${ns}. Ask your cluster admin for a Role and RoleBinding allowing 'patch' on 'architectures' in API group 'archctl.io' in ${ns} (check with: kubectl auth can-i patch architectures.archctl.io -n ${ns})`,
    ),
    line,
  );
  assert.equal(
    (await cluster.kubectl(["get", "architectures", "-n", ns, "-o", "name"])).stdout.trim(),
    "",
  );
});

test("apply into a namespace that does not exist: exit 5, and how to create it", async () => {
  await ensureCrd();
  const ns = randomName("t-missing");
  const r = await run(["apply", "-f", BP, "--env", "dev"], { ns });
  assert.equal(r.code, 5, r.stderr);
  assert.match(
    oneLine(r.stderr),
    new RegExp(`^archctl: namespace ${ns} not found: create it: kubectl create namespace ${ns}`),
  );
});

test("plan exits 1 for changes, and 7 (never 1) when the API server fails (a broken admission webhook)", async (t) => {
  await ensureCrd();
  const ns = await cluster.namespace(t, { prefix: "plan-fail" });
  const applied = await run(["apply", "-f", BP, "--env", "dev"], { ns });
  assert.equal(applied.code, 0, applied.stderr);
  // No operator on this tier: every child object is still to be created.
  const changes = await run(["plan", "-f", BP, "--env", "dev"], { ns });
  assert.equal(changes.code, 1, changes.stderr);
  assert.match(changes.stdout, /to create/);

  // A webhook that cannot be reached, with failurePolicy Fail, for this namespace only.
  const webhook = `archctl-test-unreachable-${ns}`;
  await cluster.apply(undefined, [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: webhook },
      webhooks: [
        {
          name: "unreachable.archctl.test",
          clientConfig: { url: "https://127.0.0.1:1/validate" },
          rules: [
            {
              apiGroups: ["archctl.io"],
              apiVersions: ["v1alpha1"],
              operations: ["CREATE", "UPDATE"],
              resources: ["architectures"],
            },
          ],
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
          failurePolicy: "Fail",
          sideEffects: "None",
          admissionReviewVersions: ["v1"],
          timeoutSeconds: 2,
        },
      ],
    },
  ]);
  t.after(() =>
    cluster.kubectl(["delete", "validatingwebhookconfiguration", webhook, "--ignore-not-found"], {
      reject: false,
    }),
  );
  const edited = ["-f", BP, "--env", "dev", "--set", "apiMaxReplicas=7"];
  // The webhook configuration takes a moment to be used.
  const apply = await cluster.eventually("the webhook to refuse apply", async () => {
    const r = await run(["apply", ...edited], { ns });
    return r.code !== 0 ? r : undefined;
  });
  assert.equal(apply.code, 1, `apply reports a server failure with 1: ${apply.stderr}`);
  const plan = await run(["plan", ...edited], { ns });
  assert.equal(plan.code, 7, plan.stderr);
  const line = oneLine(plan.stderr);
  assert.match(
    line,
    new RegExp(
      `^archctl: patch architectures\\.archctl\\.io in namespace ${ns} failed: the API server answered 500 InternalError: .*failed calling webhook`,
    ),
  );
  assert.match(
    line,
    /problem on the server side: try again; if it persists, ask your cluster admin/,
  );
});

test("plan dry-runs the children on the server: a quota's refusals on top, the rest counted; no rights on children is a note", async (t) => {
  await ensureCrd();
  const ns = await cluster.namespace(t, { prefix: "plan-check" });
  const clean = await run(["plan", "-f", BP, "--env", "dev"], { ns });
  assert.equal(clean.code, 1, clean.stderr);
  // Every object to create but the generated Secrets, which the operator makes.
  const total = (clean.stdout.match(/^\+ (?!Secret |Architecture )/gm) ?? []).length;
  assert.ok(total > 10, clean.stdout);
  assert.match(clean.stdout, new RegExp(`the API server accepted ${total} of ${total} objects`));
  assert.doesNotMatch(clean.stdout, /would refuse/);

  // No Service may exist in this namespace: admission refuses each one (403).
  await quotaOfNoServices(cluster, ns);
  const quota = await cluster.eventually("the quota to refuse Services", async () => {
    const r = await run(["plan", "-f", BP, "--env", "dev"], { ns });
    return /would refuse Service/.test(r.stdout) ? r : undefined;
  });
  assert.equal(quota.code, 1, quota.stderr);
  const refused = quota.stdout.match(/the API server would refuse Service [a-z0-9-]+/g) ?? [];
  const services = quota.stdout.match(/^\+ Service /gm) ?? [];
  assert.ok(services.length >= 3, quota.stdout);
  assert.equal(refused.length, services.length, quota.stdout);
  assert.ok(
    quota.stdout.indexOf("would refuse") < quota.stdout.indexOf("+ Architecture"),
    "refusals come first, in the box",
  );
  assert.match(quota.stdout, /exceeded quota: no-services/);
  assert.match(
    quota.stdout,
    new RegExp(`the API server accepted ${total - services.length} of ${total} objects`),
  );
  // Nothing was stored by the dry runs.
  const left = await cluster.kubectl(["get", "deployments,services", "-n", ns, "-o", "name"]);
  assert.equal(left.stdout.trim(), "");

  // A user who may plan Architectures but not write their children: a note, not a failure.
  const user = randomName("planner");
  await grantRole(ns, user, [
    {
      apiGroups: ["archctl.io"],
      resources: ["architectures"],
      verbs: ["get", "list", "patch"],
    },
    { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list"] },
  ]);
  const limited = await cluster.eventually("the Role to apply", async () => {
    const r = await run(["plan", "-f", BP, "--env", "dev"], {
      ns,
      kubeconfig: impersonating(user),
    });
    return r.code === 1 ? r : undefined;
  });
  assert.match(limited.stdout, /children not checked on the API server: you may not patch /);
  assert.doesNotMatch(limited.stdout, /would refuse/);
});

test("status without NAME: the only Architecture; several are listed, exit 2; -w --timeout exits 3", async (t) => {
  await ensureCrd();
  const ns = await cluster.namespace(t, { prefix: "status" });
  assert.equal((await run(["apply", "-f", BP, "--env", "dev"], { ns })).code, 0);
  // The only one: shown (not Ready, no operator here: exit 1).
  const only = await run(["status"], { ns });
  assert.equal(only.code, 1, only.stderr);
  assert.match(only.stdout, new RegExp(`^Architecture post {2}namespace ${ns}`));

  const watched = await run(["status", "-w", "--timeout", "2s"], { ns });
  assert.equal(watched.code, 3, watched.stdout + watched.stderr);
  assert.match(watched.stdout, /post: phase Unknown/, "plain progress lines (not a terminal)");
  assert.match(
    oneLine(watched.stderr),
    new RegExp(
      `^archctl: stopped watching post after 2s \\(--timeout\\): it is Unknown, 0/\\d+ ready; run archctl status post -n ${ns} to look again$`,
    ),
  );

  assert.equal(
    (await run(["apply", "-f", BP, "--env", "dev", "--set", "metadata.name=blog"], { ns })).code,
    0,
  );
  const several = await run(["status"], { ns });
  assert.equal(several.code, 2, several.stderr);
  assert.match(several.stderr, /^NAME\s+PHASE\s+READY/m);
  assert.match(several.stderr, /^blog\s/m);
  assert.match(
    several.stderr,
    new RegExp(
      `\\narchctl: 2 Architectures in namespace ${ns} \\(blog, post\\): pick one: archctl status blog -n ${ns}\\n$`,
    ),
  );
});

test("get -w: the table, then a row when an Architecture changes and when it goes", async (t) => {
  await ensureCrd();
  const ns = await cluster.namespace(t, { prefix: "get-watch" });
  assert.equal((await run(["apply", "-f", BP, "--env", "dev"], { ns })).code, 0);
  const child = spawn(
    process.execPath,
    [MAIN, "--kubeconfig", cluster.kubeconfig, "-n", ns, "get", "-w"],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } },
  );
  t.after(() => child.kill("SIGKILL"));
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const seen = (re: RegExp, what: string) =>
    cluster
      .eventually(what, async () => re.test(out), 30_000)
      .catch((e: Error) => {
        throw new Error(`${e.message}\nstdout:\n${out}\nstderr:\n${err}`);
      });
  await seen(/^NAME\s+PHASE\s+READY\s+AGE\s+EXPIRES\npost\s+Unknown\s+0\/\d+\s/, "the table");
  await cluster.kubectl([
    "patch",
    "architecture",
    "post",
    "-n",
    ns,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: { phase: "Progressing", ready: "1/3" } }),
  ]);
  await seen(/\npost\s+Progressing\s+1\/3\s/, "a row for the change");
  await cluster.kubectl(["delete", "architecture", "post", "-n", ns]);
  await seen(/\npost\s+Deleted\s+1\/3\s/, "a row for the deletion");
  assert.equal(out.match(/^NAME/gm)?.length, 1, "the header once");
  child.kill("SIGINT");
  const code = await new Promise<number | null>((r) => child.on("close", r));
  assert.equal(code, 130);
  assert.equal(err, "");
});

test("install --dry-run=server into a namespace that does not exist says what it could not check", async () => {
  await ensureCrd();
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
      `The API server accepted 4 of 11 objects; the other 7 were not checked: they go into namespace ${ns}, which does not exist yet`,
    ),
  );
  assert.doesNotMatch(r.stderr, /accepted all/);
  assert.notEqual((await cluster.kubectl(["get", "namespace", ns], { reject: false })).exitCode, 0);
});

test("a team with admin rights in one namespace installs with --scope namespace --skip-crd; 403s name the flag", async (t) => {
  await ensureCrd(); // by the cluster admin, beforehand
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
  const jane = impersonating("jane");
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
    /may not get ClusterRoleBinding archctl-operator \(cluster-scoped, 403\)\. If archctl was installed with --scope namespace, uninstall with --scope namespace --keep-crd.*Nothing was deleted\.$/,
  );
  await cluster.kubectl(["get", "deployment/archctl", "-n", team]);
  const removed = await as(["uninstall", "--scope", "namespace", "--keep-crd"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stderr, /is uninstalled from namespace/);
  await nothingWritten();
});

test("install --scope namespace into a namespace that does not exist: exit 5, how to create it, nothing applied", async () => {
  await ensureCrd();
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

test("delete --delete-data that the API server refuses leaves deletionPolicy as it was", async (t) => {
  await ensureCrd();
  const ns = await cluster.namespace(t);
  const name = randomName("keep");
  await cluster.apply(ns, [
    {
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      metadata: { name, namespace: ns },
      spec: { components: [{ name: "db", type: "postgres" }] },
    },
  ]);
  // A user who may read and patch Architectures, but not delete them.
  const user = randomName("no-delete");
  await grantRole(ns, user, [
    {
      apiGroups: ["archctl.io"],
      resources: ["architectures"],
      verbs: ["get", "list", "patch"],
    },
    { apiGroups: [""], resources: ["persistentvolumeclaims", "secrets"], verbs: ["list"] },
  ]);
  const refused = await cluster.eventually("the Role to apply", async () => {
    const r = await run(["delete", name, "--delete-data", "--yes"], {
      ns,
      kubeconfig: impersonating(user),
    });
    return r.code === 6 ? r : undefined;
  });
  assert.match(errorLine(refused.stderr), /delete/);
  const stored = await cluster.kubectl([
    "get",
    "architecture",
    name,
    "-n",
    ns,
    "-o",
    "jsonpath={.spec.deletionPolicy}",
  ]);
  assert.equal(stored.stdout, "", "deletionPolicy stayed Delete after a delete that failed");
});

test("plan shows a name held by an object made by hand, before apply, as the operator would refuse it", async (t) => {
  await ensureCrd();
  const ns = await cluster.namespace(t, { prefix: "plan-taken" });
  await cluster.kubectl(["create", "service", "clusterip", "post-api", "-n", ns, "--tcp=80:80"]);
  const r = await run(["plan", "-f", BP, "--env", "dev"], { ns });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout.replace(/[│!]/g, " ").replace(/\s+/g, " "),
    /Service post-api: already exists and is not part of Architecture 'post' \(field manager kubectl-create\)/,
  );
  assert.match(r.stdout, /~ Service post-api\s+\(refused by the operator: the name is taken/);
  assert.match(r.stdout, /Plan: 17 to create, 0 to change, 0 to prune, 0 unchanged, 1 refused\./);
  const json = JSON.parse(
    (await run(["plan", "-f", BP, "--env", "dev", "-o", "json"], { ns })).stdout,
  );
  const taken = json.objects.filter((o: { refused?: boolean }) => o.refused);
  assert.deepEqual(
    taken.map((o: { kind: string; name: string }) => `${o.kind}/${o.name}`),
    ["Service/post-api"],
  );
});

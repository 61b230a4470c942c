// The CLI's answers when something is wrong, against a real kube-apiserver:
// archctl not installed (no CRD), no rights (RBAC, impersonating users), a
// missing namespace, a watch that times out, a delete the API server refuses.
// Also get -w and status without a NAME. plan's errors are in
// cli-plan-errors.test.ts, install's in cli-install-errors.test.ts.
//
// Each of the cli-*errors files runs on its own apiserver cluster (the
// clierr cluster of test/support/clierr-cluster.ts, which says why).
// First: the cluster name, before test/support/cluster.ts is evaluated.
import "../support/clierr-cluster.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { TestContext } from "node:test";
import { after, before, test } from "node:test";
import { CRD, crdPresent, ensureCrd } from "../support/architecture-crd.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { errorLine, oneLine } from "../support/error-lines.ts";
import { grantRole, impersonating } from "../support/impersonation.ts";
import { randomName } from "../support/random-name.ts";
import { archctl, MAIN, ROOT } from "../unit/cli/helpers.ts";

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

test("without the CRD, get/status/delete NAME say archctl is not installed (exit 5), not 'architecture not found'", async (t: TestContext) => {
  if (await crdPresent(cluster)) {
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
  await ensureCrd(cluster);
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
  await ensureCrd(cluster);
  const ns = await cluster.namespace(t, { prefix: "no-rights" });
  const r = await run(["apply", "-f", BP, "--env", "dev"], {
    kubeconfig: impersonating(cluster, "nobody@example.com"),
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
  await ensureCrd(cluster);
  const ns = randomName("t-missing");
  const r = await run(["apply", "-f", BP, "--env", "dev"], { ns });
  assert.equal(r.code, 5, r.stderr);
  assert.match(
    oneLine(r.stderr),
    new RegExp(`^archctl: namespace ${ns} not found: create it: kubectl create namespace ${ns}`),
  );
});

test("status without NAME: the only Architecture; several are listed, exit 2; -w --timeout exits 3", async (t) => {
  await ensureCrd(cluster);
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
  await ensureCrd(cluster);
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

test("delete --delete-data that the API server refuses leaves deletionPolicy as it was", async (t) => {
  await ensureCrd(cluster);
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
  await grantRole(cluster, ns, user, [
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
      kubeconfig: impersonating(cluster, user),
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

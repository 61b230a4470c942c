// plan's answers against a real kube-apiserver: exit 1 for changes and 7 when
// the API server fails (a broken admission webhook), the children dry-run on
// the server (a quota's refusals, no rights on children), and a name held by
// an object made by hand.
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
import { oneLine } from "../support/error-lines.ts";
import { grantRole, impersonating } from "../support/impersonation.ts";
import { quotaOfNoServices } from "../support/quota.ts";
import { randomName } from "../support/random-name.ts";
import { archctl } from "../unit/cli/helpers.ts";

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

test("plan exits 1 for changes, and 7 (never 1) when the API server fails (a broken admission webhook)", async (t) => {
  await ensureCrd(cluster);
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
  await ensureCrd(cluster);
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
  await grantRole(cluster, ns, user, [
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
      kubeconfig: impersonating(cluster, user),
    });
    return r.code === 1 ? r : undefined;
  });
  assert.match(limited.stdout, /children not checked on the API server: you may not patch /);
  assert.doesNotMatch(limited.stdout, /would refuse/);
});

test("plan shows a name held by an object made by hand, before apply, as the operator would refuse it", async (t) => {
  await ensureCrd(cluster);
  const ns = await cluster.namespace(t, { prefix: "plan-taken" });
  await cluster.kubectl(["create", "service", "clusterip", "post-api", "-n", ns, "--tcp=80:80"]);
  const r = await run(["plan", "-f", BP, "--env", "dev"], { ns });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout.replace(/[│!]/g, " ").replace(/\s+/g, " "),
    /Service post-api: already exists and is not part of Architecture 'post' \(field manager kubectl-create\)/,
  );
  assert.match(r.stdout, /~ Service post-api\s+\(refused by the operator: the name is taken/);
  assert.match(r.stdout, /Plan: 19 to create, 0 to change, 0 to prune, 0 unchanged, 1 refused\./);
  const json = JSON.parse(
    (await run(["plan", "-f", BP, "--env", "dev", "-o", "json"], { ns })).stdout,
  );
  const taken = json.objects.filter((o: { refused?: boolean }) => o.refused);
  assert.deepEqual(
    taken.map((o: { kind: string; name: string }) => `${o.kind}/${o.name}`),
    ["Service/post-api"],
  );
});

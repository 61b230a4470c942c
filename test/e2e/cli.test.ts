// The cluster commands end to end on the kwok cluster: the CLI runs as a user
// runs it (a subprocess with --kubeconfig), the operator in this process.
// Its own cluster (archctl-test-cli-<checkout> unless set): the name is read
// when test/support/cluster.ts is evaluated, so that module is imported
// dynamically below, after this line (static imports would run first).
// Over 400 lines on purpose: every cluster command against one cluster; a
// file per command would start a cluster (10-20 s on 2 cores) for each.
import { CHECKOUT_ID } from "../support/checkout-id.ts";

process.env.ARCHCTL_TEST_CLUSTER_NAME ||= `archctl-test-cli-${CHECKOUT_ID}`;

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { containsDesired } from "../../operator/reconcile/drift.ts";
import { render } from "../../operator/render/index.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import type { TestCluster } from "../support/cluster.ts";
import { teamSecretsOf } from "../support/team-secrets.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");
const { installCrd, startOperator } = await import("../support/operator.ts");

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

const MAIN = join(REPO_ROOT, "cli/main.ts");

async function archctl(args: string[], opts: { timeoutMs?: number; kubeconfig?: string } = {}) {
  const r = await execa(
    process.execPath,
    [MAIN, "--kubeconfig", opts.kubeconfig ?? cluster.kubeconfig, ...args],
    {
      reject: false,
      env: { NO_COLOR: "1", ARCHCTL_DEBUG: "" },
      timeout: opts.timeoutMs ?? 240_000,
      stdin: "ignore",
    },
  );
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

type Obj = KubeObject & { metadata: KubeObject["metadata"] & { deletionTimestamp?: string } };

async function list(kind: string, ns: string, selector?: string): Promise<Obj[]> {
  const r = await cluster.kubectl([
    "get",
    kind,
    "-n",
    ns,
    "-o",
    "json",
    ...(selector ? ["-l", selector] : []),
  ]);
  return (JSON.parse(r.stdout) as { items: Obj[] }).items;
}

const BLUEPRINTS = ["post", "task-queue", "chat", "trading", "rag"];
/** The cross-cutting objects checked against the local render. */
const PLANNED_KINDS: Record<string, string> = {
  HorizontalPodAutoscaler: "horizontalpodautoscalers.autoscaling",
  Ingress: "ingresses.networking.k8s.io",
  CronJob: "cronjobs.batch",
  ConfigMap: "configmaps",
  NetworkPolicy: "networkpolicies.networking.k8s.io",
};

function planned(name: string, ns: string, env = "dev"): KubeObject[] {
  const text = readFileSync(join(REPO_ROOT, "blueprints", `${name}.yaml`), "utf8");
  const loaded = loadBlueprint(text, { file: `${name}.yaml`, env });
  assert.ok(loaded.architecture);
  const arch = {
    ...loaded.architecture,
    metadata: { ...loaded.architecture.metadata, namespace: ns },
  };
  // The in-process operator finds neither KEDA nor the Prometheus Operator here.
  return render(arch, { keda: false, serviceMonitors: false }).objects;
}

/** Kinds (and dashboard ConfigMaps) the blueprints declared and the tests found. */
const covered = new Set<string>();

describe("apply --wait: every reference blueprint reaches Ready", () => {
  for (const name of BLUEPRINTS) {
    test(`${name}: apply --wait exits 0, planned objects exist, plan shows no changes`, async (t) => {
      const ns = await cluster.namespace(t, { prefix: `cli-${name}` });
      await startOperator(t, cluster, ns);
      const want = planned(name, ns);
      const text = readFileSync(join(REPO_ROOT, "blueprints", `${name}.yaml`), "utf8");
      const architecture = loadBlueprint(text, { file: `${name}.yaml`, env: "dev" }).architecture;
      assert.ok(architecture);
      if (teamSecretsOf(architecture, ns).length)
        await cluster.apply(ns, teamSecretsOf(architecture, ns));
      const r = await archctl([
        "-n",
        ns,
        "apply",
        "-f",
        `blueprints/${name}.yaml`,
        "--env",
        "dev",
        "--wait",
        "--timeout",
        "3m",
      ]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`architecture.archctl.io/${name} serverside-applied`));
      assert.match(r.stdout, new RegExp(`✓ ${name} is Ready \\((\\d+)/\\1 components\\)`));
      // Not a TTY: plain timestamped progress lines, no escape codes.
      assert.match(r.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /m);
      assert.ok(!r.stderr.includes("\u001b["), "no escape codes");

      const kinds = new Set(want.map((o) => o.kind));
      for (const [kind, resource] of Object.entries(PLANNED_KINDS)) {
        const desired = want.filter((o) => o.kind === kind);
        if (!desired.length) continue;
        const live = await list(resource, ns, `${ARCHITECTURE_LABEL}=${name}`);
        for (const d of desired) {
          const l = live.find((o) => o.metadata.name === d.metadata.name);
          assert.ok(l, `${kind} ${d.metadata.name} exists`);
          assert.ok(
            containsDesired(d.metadata.annotations ?? {}, l.metadata.annotations ?? {}),
            `${kind} ${d.metadata.name} annotations`,
          );
        }
      }
      if (name === "post" || name === "rag") {
        assert.ok(kinds.has("Ingress") && kinds.has("HorizontalPodAutoscaler"));
        const ing = (await list("ingresses.networking.k8s.io", ns))[0];
        assert.ok(
          Object.keys(ing?.metadata.annotations ?? {}).some((k) => /limit-r(p|ps|pm)/.test(k)),
          "rate-limit annotations",
        );
      }
      for (const o of want)
        if (o.kind in PLANNED_KINDS)
          covered.add(
            o.kind === "ConfigMap"
              ? `ConfigMap/${o.metadata.name.replace(`${name}-`, "")}`
              : o.kind,
          );

      const plan = await archctl([
        "-n",
        ns,
        "plan",
        "-f",
        `blueprints/${name}.yaml`,
        "--env",
        "dev",
      ]);
      assert.equal(plan.code, 0, `${plan.stdout}\n${plan.stderr}`);
      assert.match(plan.stdout, /No changes/);
      assert.match(plan.stdout, /0 to create, 0 to change, 0 to prune/);
    });
  }
});

test("post --env prod: the backup CronJob and its volume exist as planned", async (t) => {
  // dev overlays switch backups off; prod declares them.
  const ns = await cluster.namespace(t, { prefix: "cli-backup" });
  await startOperator(t, cluster, ns);
  const r = await archctl(["-n", ns, "apply", "-f", "blueprints/post.yaml", "--env", "prod"]);
  assert.equal(r.code, 0, r.stderr);
  const want = planned("post", ns, "prod").filter((o) => o.kind === "CronJob");
  assert.ok(want.some((o) => /backup/.test(o.metadata.name)));
  for (const w of want) {
    const live = await cluster.eventually(`CronJob ${w.metadata.name}`, async () =>
      (await list("cronjobs.batch", ns)).find((o) => o.metadata.name === w.metadata.name),
    );
    assert.ok(
      containsDesired((w as unknown as { spec: unknown }).spec, (live as { spec?: unknown }).spec),
    );
    covered.add("CronJob");
  }
});

test("together the blueprints planned HPAs, ingresses, backup CronJobs, dashboards and NetworkPolicies", () => {
  for (const kind of ["HorizontalPodAutoscaler", "Ingress", "CronJob", "NetworkPolicy"])
    assert.ok(covered.has(kind), `${kind} in ${[...covered].join(", ")}`);
  assert.ok(
    [...covered].some((k) => /^ConfigMap\/.*dashboard/.test(k)),
    `a dashboard ConfigMap in ${[...covered].join(", ")}`,
  );
});

test("get, status, kubectl printer columns, and plan of an edit shows exactly that edit", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "cli-get" });
  await startOperator(t, cluster, ns);
  const a = await archctl([
    "-n",
    ns,
    "apply",
    "-f",
    "blueprints/post.yaml",
    "--env",
    "dev",
    "--wait",
  ]);
  assert.equal(a.code, 0, a.stderr);

  const kubectl = await cluster.kubectl(["get", "architectures", "-n", ns]);
  assert.match(kubectl.stdout, /^NAME\s+PHASE\s+READY\s+AGE\s+EXPIRES/);
  const get = await archctl(["-n", ns, "get"]);
  assert.equal(get.code, 0);
  assert.match(get.stdout, /^NAME\s+PHASE\s+READY\s+AGE\s+EXPIRES\n/);
  assert.match(get.stdout, /\npost\s+Ready\s+3\/3\s+\d+s\s+-/);
  const wide = await archctl(["get", "-A", "-o", "wide"]);
  assert.match(wide.stdout, new RegExp(`${ns}\\s+post\\s+Ready.*AllComponentsReady`));
  const json = JSON.parse((await archctl(["-n", ns, "get", "post", "-o", "json"])).stdout);
  assert.equal(json.status.phase, "Ready");
  assert.equal(json.metadata.managedFields, undefined);
  const status = await archctl(["-n", ns, "status", "post"]);
  assert.equal(status.code, 0);
  assert.match(status.stdout, /COMPONENT\s+TYPE\s+READY\s+MESSAGE\napi\s+service\s+1\/1/);
  assert.match(status.stdout, /Ready\s+True\s+AllComponentsReady/);
  assert.match(status.stdout, /ENDPOINT\s+URL/);
  const missing = await archctl(["-n", ns, "status", "nope"]);
  assert.equal(missing.code, 5);
  assert.match(missing.stderr, /architecture nope not found in namespace/);

  const edit = await archctl([
    "-n",
    ns,
    "diff",
    "-f",
    "blueprints/post.yaml",
    "--env",
    "dev",
    "--set",
    "apiMaxReplicas=7",
  ]);
  assert.equal(edit.code, 1, edit.stderr);
  assert.match(edit.stdout, /~ Architecture/);
  assert.match(edit.stdout, /~ HorizontalPodAutoscaler post-api/);
  // Diff lines are indented by 4, then the +/- (context lines have a space there).
  const removed = edit.stdout.split("\n").filter((l) => /^ {4}-(?!--)/.test(l));
  const added = edit.stdout.split("\n").filter((l) => /^ {4}\+(?!\+\+)/.test(l));
  assert.deepEqual(
    removed.map((l) => l.trim()),
    ["-      maxReplicas: 2", "-  maxReplicas: 2"],
    edit.stdout,
  );
  assert.deepEqual(
    added.map((l) => l.trim()),
    ["+      maxReplicas: 7", "+  maxReplicas: 7"],
  );
  assert.match(edit.stdout, /0 to create, 1 to change, 0 to prune/);
  // Nothing was changed by the plan.
  assert.equal(
    (await archctl(["-n", ns, "plan", "-f", "blueprints/post.yaml", "--env", "dev"])).code,
    0,
  );
});

test("delete keeps data volumes and credentials unless --delete-data --yes", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "cli-delete" });
  await startOperator(t, cluster, ns);
  const apply = (extra: string[] = []) =>
    archctl([
      "-n",
      ns,
      "apply",
      "-f",
      "blueprints/post.yaml",
      "--env",
      "dev",
      "--set",
      "spec.deletionPolicy=Retain",
      "--wait",
      ...extra,
    ]);
  assert.equal((await apply()).code, 0);
  const claims = (await list("pvc", ns)).map((p) => p.metadata.name).sort();
  assert.ok(claims.length >= 2, `claims: ${claims}`);

  const del = await archctl(["-n", ns, "delete", "post", "--wait"]);
  assert.equal(del.code, 0, del.stderr);
  assert.match(
    del.stderr,
    new RegExp(`kept data volumes \\(deletionPolicy Retain\\): ${claims.join(", ")}`),
  );
  assert.match(del.stderr, /kept credential Secrets: .*post-mysql-credentials/);
  assert.match(del.stderr, /post is gone/);
  assert.deepEqual((await list("pvc", ns)).map((p) => p.metadata.name).sort(), claims);

  assert.equal((await apply()).code, 0);
  const gone = await archctl(["-n", ns, "delete", "post", "--delete-data", "--yes", "--wait"]);
  assert.equal(gone.code, 0, gone.stderr);
  assert.match(gone.stderr, /data volumes deleted with it/);
  // --wait returns once the Architecture is gone, and the operator deletes the
  // claims only after their StatefulSets' pods: they are gone, not Terminating.
  await cluster.eventually(
    "claims deleted",
    async () => (await list("pvc", ns)).length === 0,
    90_000,
  );
});

test("env create --ttl 20s: the environment deletes itself; env list shows it first", async (t) => {
  const name = `ttl-${Math.random().toString(36).slice(2, 7)}`;
  const ns = `archctl-env-${name}`;
  await startOperator(t, cluster, ns);
  t.after(() => archctl(["env", "destroy", name]).then(() => undefined));
  const r = await archctl([
    "env",
    "create",
    name,
    "-f",
    "blueprints/post.yaml",
    "--env",
    "dev",
    "--ttl",
    "20s",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`namespace/${ns} created`));
  const labels = JSON.parse((await cluster.kubectl(["get", "namespace", ns, "-o", "json"])).stdout)
    .metadata.labels;
  assert.equal(labels["archctl.io/environment"], name);
  const arch = JSON.parse(
    (await cluster.kubectl(["get", "architecture", "post", "-n", ns, "-o", "json"])).stdout,
  );
  assert.equal(arch.spec.ttl, "20s");
  assert.equal(arch.metadata.labels["archctl.io/environment"], name);

  const again = await archctl([
    "env",
    "create",
    name,
    "-f",
    "blueprints/post.yaml",
    "--env",
    "dev",
    "--ttl",
    "20s",
  ]);
  assert.equal(again.code, 0, "create is idempotent");
  const listed = await archctl(["env", "list"]);
  assert.match(listed.stdout, new RegExp(`${name}\\s+${ns}\\s+post\\s+\\w+`));

  await cluster.eventually(
    `namespace ${ns} gone`,
    async () => (await cluster.kubectl(["get", "namespace", ns], { reject: false })).exitCode !== 0,
    120_000,
  );
  const after = await archctl(["env", "destroy", name]);
  assert.equal(after.code, 5);
});

test("env destroy deletes the namespace; it refuses a namespace that is not an environment", async (t) => {
  const name = `gone-${Math.random().toString(36).slice(2, 7)}`;
  const ns = `archctl-env-${name}`;
  await startOperator(t, cluster, ns);
  const r = await archctl([
    "env",
    "create",
    name,
    "-f",
    "blueprints/post.yaml",
    "--env",
    "dev",
    "--ttl",
    "1h",
    "--wait",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const d = await archctl(["env", "destroy", name, "--wait", "--timeout", "2m"]);
  assert.equal(d.code, 0, d.stderr);
  assert.equal((await cluster.kubectl(["get", "namespace", ns], { reject: false })).exitCode, 1);

  const plain = `plain-${Math.random().toString(36).slice(2, 7)}`;
  await cluster.kubectl(["create", "namespace", `archctl-env-${plain}`]);
  t.after(() =>
    cluster
      .kubectl(["delete", "namespace", `archctl-env-${plain}`, "--wait=false"], { reject: false })
      .then(() => undefined),
  );
  const refused = await archctl(["env", "destroy", plain]);
  assert.equal(refused.code, 6);
  assert.match(refused.stderr, /is not archctl environment/);
});

test("apply --wait --timeout 3s on something that cannot become ready exits 3 and says what is not ready", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "cli-timeout" });
  await startOperator(t, cluster, ns);
  const dir = join(REPO_ROOT, ".cache");
  const file = join(dir, `stuck-${ns}.yaml`);
  const { writeFileSync, rmSync, mkdirSync } = await import("node:fs");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    file,
    `apiVersion: archctl.io/v1alpha1
kind: Architecture
metadata:
  name: stuck
spec:
  components:
    - name: api
      type: service
      image: ghcr.io/example/api:1
      gpu: { pool: nowhere, count: 1 }
  gpuPools:
    - name: nowhere
      nodeSelector: { archctl.io/no-such-node: "true" }
  monitoring: { serviceMonitors: false, dashboard: false }
`,
  );
  t.after(() => rmSync(file, { force: true }));
  const r = await archctl(["-n", ns, "apply", "-f", file, "--wait", "--timeout", "3s"]);
  assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /timed out after 3s waiting for stuck to be Ready; still not ready:/);
  // With the cause when the status has one by then (pods unscheduled: see status-causes.test.ts).
  assert.match(r.stderr, /\n {2}api 0\/2 ready( - [^\n]*)?\n/);
});

test("without an operator: --wait warns that nothing reconciles; unreachable cluster exits 4", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "cli-nooperator" });
  const r = await archctl([
    "-n",
    ns,
    "apply",
    "-f",
    "blueprints/post.yaml",
    "--env",
    "dev",
    "--wait",
    "--timeout",
    "13s",
  ]);
  assert.equal(r.code, 3);
  assert.match(
    r.stderr,
    /warning: no operator is reconciling: run archctl install or archctl operator run/,
  );
  assert.match(r.stderr, /has not reconciled generation 1 yet/);

  const { writeFileSync, rmSync } = await import("node:fs");
  const bad = join(REPO_ROOT, ".cache", `bad-${ns}.kubeconfig`);
  writeFileSync(
    bad,
    readFileSync(cluster.kubeconfig, "utf8").replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      "server: https://127.0.0.1:9",
    ),
  );
  t.after(() => rmSync(bad, { force: true }));
  const u = await archctl(["apply", "-f", "blueprints/post.yaml", "--env", "dev"], {
    kubeconfig: bad,
  });
  assert.equal(u.code, 4);
  assert.match(u.stderr, /^archctl: no cluster at https:\/\/127\.0\.0\.1:9 \(context [^)]+\)/);
  assert.equal(u.stderr.trim().split("\n").length, 1);
});

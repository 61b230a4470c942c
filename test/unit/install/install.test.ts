// archctl install's objects and the chart's generated files, without a cluster:
// RBAC and dashboard drift, the shape of both scopes, rules that cover every
// owned kind, dashboard queries that name real metrics, and flag errors.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { chartFiles } from "../../../operator/install/chart-files.ts";
import { operatorDashboard } from "../../../operator/install/dashboard.ts";
import type { InstallOptions } from "../../../operator/install/manifests.ts";
import { installManifests } from "../../../operator/install/manifests.ts";
import type { PolicyRule } from "../../../operator/install/rbac.ts";
import { LEASE_NAME, operatorRules } from "../../../operator/install/rbac.ts";
import { OWNED } from "../../../operator/kube/resources.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import { OperatorMetrics } from "../../../operator/runtime/metrics.ts";
import { archctl } from "../cli/helpers.ts";

const CHART = new URL("../../../charts/archctl/", import.meta.url);

const base: InstallOptions = {
  namespace: "archctl-system",
  scope: "cluster",
  watchNamespaces: [],
  image: "ghcr.io/archctl/archctl:0.1.0",
  replicas: 2,
  version: "0.1.0",
};

type Obj = KubeObject & { rules?: PolicyRule[]; spec?: Record<string, unknown> };

const find = (objs: KubeObject[], kind: string, ns?: string) =>
  objs.filter((o) => o.kind === kind && (ns === undefined || o.metadata.namespace === ns)) as Obj[];

test("the chart's generated files match operator/install (RBAC rules, dashboard)", () => {
  for (const [path, text] of Object.entries(chartFiles())) {
    const committed = readFileSync(new URL(path, CHART), "utf8");
    assert.ok(
      committed === text,
      `charts/archctl/${path} is out of date: run \`node operator/install/chart-files.ts\` and commit the result`,
    );
  }
});

test("Chart.yaml appVersion is the package version", () => {
  const chart = parse(readFileSync(new URL("Chart.yaml", CHART), "utf8")) as Record<string, string>;
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  assert.equal(chart.apiVersion, "v2");
  assert.equal(chart.appVersion, pkg.version);
  assert.equal(chart.version, pkg.version);
});

test("cluster scope: one ClusterRole with discovery, a leader Role in the operator's namespace only", () => {
  const objs = installManifests(base);
  const [cr] = find(objs, "ClusterRole");
  assert.ok(cr?.rules);
  assert.deepEqual(cr.rules.find((r) => r.nonResourceURLs)?.nonResourceURLs, [
    "/apis/cert-manager.io/v1",
    "/apis/external-secrets.io/v1",
    "/apis/gateway.envoyproxy.io/v1alpha1",
    "/apis/gateway.networking.k8s.io/v1",
    "/apis/gateway.networking.k8s.io/v1beta1",
    "/apis/keda.sh/v1alpha1",
    "/apis/monitoring.coreos.com/v1",
    "/apis/networking.istio.io/v1",
  ]);
  const roles = find(objs, "Role");
  assert.deepEqual(
    roles.map((r) => `${r.metadata.namespace}/${r.metadata.name}`),
    ["archctl-system/archctl-leader-election"],
  );
  const leases = roles[0]?.rules ?? [];
  // Only create is unnamed (RBAC cannot restrict create by name); get/update only the one Lease.
  assert.deepEqual(
    leases.map((r) => [r.verbs.join(","), r.resourceNames ?? []]),
    [
      ["create", []],
      ["get,update", [LEASE_NAME]],
    ],
  );
  // No rule anywhere grants a wildcard, or escalation verbs.
  const all = objs.flatMap((o) => (o as Obj).rules ?? []);
  for (const r of all) {
    assert.ok(!r.verbs.includes("*") && !r.resources?.includes("*") && !r.apiGroups?.includes("*"));
    assert.ok(!r.verbs.some((v) => ["escalate", "bind", "impersonate"].includes(v)));
  }
  assert.deepEqual(
    objs.map((o) => o.kind),
    [
      "CustomResourceDefinition",
      "Namespace",
      "ClusterRole",
      "ClusterRoleBinding",
      "ValidatingAdmissionPolicy",
      "ValidatingAdmissionPolicyBinding",
      "ServiceAccount",
      "Role",
      "RoleBinding",
      "ConfigMap",
      "Service",
      "Deployment",
      "PodDisruptionBudget",
    ],
  );
  // The admission policy holds for the operator's ServiceAccount only, and denies.
  const [policy] = find(objs, "ValidatingAdmissionPolicy") as unknown as {
    spec: { matchConditions: { expression: string }[] };
  }[];
  assert.deepEqual(
    policy?.spec.matchConditions.map((m) => m.expression),
    ["request.userInfo.username == 'system:serviceaccount:archctl-system:archctl'"],
  );
  const [policyBinding] = find(objs, "ValidatingAdmissionPolicyBinding") as unknown as {
    spec: unknown;
  }[];
  assert.deepEqual(policyBinding?.spec, {
    policyName: "archctl-operator-limits",
    validationActions: ["Deny"],
  });
});

test("namespace scope: a Role and RoleBinding per watched namespace, nothing cluster-wide but the CRD", () => {
  const team = {
    ...base,
    namespace: "team-ops",
    scope: "namespace" as const,
    watchNamespaces: ["team-a", "team-b"],
  };
  const objs = installManifests(team);
  const clusterScoped = objs.filter((o) => !o.metadata.namespace).map((o) => o.kind);
  // No Namespace: creating one needs cluster rights, so namespace scope expects it to exist.
  assert.deepEqual(clusterScoped, ["CustomResourceDefinition"]);
  // --skip-crd: nothing cluster-wide at all, so a namespace admin can apply every object.
  const skipped = installManifests({ ...team, skipCrd: true });
  assert.deepEqual(
    skipped.filter((o) => !o.metadata.namespace).map((o) => o.kind),
    [],
  );
  assert.deepEqual(
    skipped.map((o) => o.kind),
    objs.map((o) => o.kind).filter((k) => k !== "CustomResourceDefinition"),
  );
  for (const ns of ["team-a", "team-b"]) {
    const [role] = find(objs, "Role", ns);
    assert.deepEqual(role?.rules, operatorRules());
    const [rb] = find(objs, "RoleBinding", ns);
    assert.deepEqual(rb?.subjects, [
      { kind: "ServiceAccount", name: "archctl", namespace: "team-ops" },
    ]);
  }
  const [dep] = find(objs, "Deployment");
  const env = JSON.stringify(dep?.spec);
  assert.match(env, /"ARCHCTL_WATCH_NAMESPACES","value":"team-a,team-b"/);
  assert.throws(
    () => installManifests({ ...base, scope: "namespace" }),
    /namespace scope needs the namespaces to watch/,
  );
});

test("cluster-scoped objects come first (a user without cluster rights is refused before any write in a namespace); --skip-crd drops only the CRD", () => {
  for (const o of [base, { ...base, skipCrd: true }]) {
    const objs = installManifests(o);
    const firstNamespaced = objs.findIndex((x) => x.metadata.namespace);
    assert.ok(
      objs.slice(firstNamespaced).every((x) => x.metadata.namespace),
      objs.map((x) => x.kind).join(),
    );
  }
  const all = installManifests(base);
  const skipped = installManifests({ ...base, skipCrd: true });
  assert.deepEqual(
    skipped.map((o) => o.kind),
    all.map((o) => o.kind).filter((k) => k !== "CustomResourceDefinition"),
  );
});

test("the operator's rules cover every owned kind with the verbs the reconciler uses", () => {
  const rules = operatorRules();
  const allowed = (group: string, resource: string, verb: string) =>
    rules.some(
      (r) =>
        r.apiGroups?.includes(group) && r.resources?.includes(resource) && r.verbs.includes(verb),
    );
  for (const r of OWNED) {
    const group = r.apiVersion.includes("/") ? (r.apiVersion.split("/")[0] as string) : "";
    // Informers (list, watch), server-side apply of new objects (patch + create),
    // and a GET before a create: is the name someone else's (NameTaken)?
    for (const verb of ["get", "list", "watch", "create", "patch"])
      assert.ok(allowed(group, r.plural, verb), `${verb} ${r.plural}.${group}`);
    // Prune and recreate delete; Secrets are never deleted by the operator.
    assert.equal(allowed(group, r.plural, "delete"), r.plural !== "secrets", `delete ${r.plural}`);
  }
  assert.ok(allowed("archctl.io", "architectures/status", "patch"));
  assert.ok(allowed("archctl.io", "architectures/finalizers", "update"));
  assert.ok(allowed("archctl.io", "architectures", "delete"), "TTL expiry deletes");
  assert.ok(!allowed("archctl.io", "architectures", "update"));
  assert.ok(allowed("events.k8s.io", "events", "create"));
  assert.ok(!allowed("", "events", "create"), "only events.k8s.io/v1 events are written");
});

test("the Deployment: 2 replicas, leader election, restricted pod, probes, metrics on all interfaces", () => {
  const [dep] = find(installManifests(base), "Deployment");
  const spec = dep?.spec as {
    replicas: number;
    template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
  };
  assert.equal(spec.replicas, 2);
  const pod = spec.template.spec;
  const c = pod.containers[0] as Record<string, unknown> & {
    env: { name: string; value?: string; valueFrom?: unknown }[];
  };
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));
  assert.equal(env.ARCHCTL_LEADER_ELECT, "true");
  assert.equal(env.ARCHCTL_METRICS_ADDRESS, "0.0.0.0:8080");
  assert.deepEqual(env.POD_NAMESPACE, { fieldRef: { fieldPath: "metadata.namespace" } });
  assert.deepEqual(c.args, ["operator", "run"]);
  assert.deepEqual(c.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  });
  assert.equal((pod.securityContext as Record<string, unknown>).runAsNonRoot, true);
  assert.equal((c.livenessProbe as { httpGet: { path: string } }).httpGet.path, "/healthz");
  assert.equal((c.readinessProbe as { httpGet: { path: string } }).httpGet.path, "/readyz");
  // One replica: no PodDisruptionBudget (it would block every node drain).
  assert.equal(find(installManifests({ ...base, replicas: 1 }), "PodDisruptionBudget").length, 0);
});

test("every metric the dashboard queries is one the operator exports", async () => {
  const exported = new Set(
    (await new OperatorMetrics(true).registry.getMetricsAsJSON()).map((m) => m.name),
  );
  const panels = operatorDashboard().panels as { title: string; targets: { expr: string }[] }[];
  const titles = panels.map((p) => p.title).join(" | ");
  for (const want of ["Reconcile", "duration", "queue depth", "writes", "Leader", "Watch restarts"])
    assert.ok(titles.includes(want), `a panel about ${want}`);
  for (const p of panels)
    for (const t of p.targets) {
      const names = [...t.expr.matchAll(/\b((?:archctl|process)_[a-z_]+?)(?:_bucket)?\{/g)].map(
        (m) => m[1] as string,
      );
      assert.ok(names.length > 0, `${p.title}: ${t.expr}`);
      for (const n of names)
        assert.ok(exported.has(n), `${p.title} queries ${n}, which is not exported`);
    }
});

test("archctl install --dry-run prints the objects; bad flags exit 2 with the fix", async () => {
  const yaml = await archctl(["install", "--dry-run", "-n", "ops", "--replicas", "3"]);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.match(yaml.stdout, /kind: ClusterRole\n/);
  assert.match(yaml.stdout, /replicas: 3/);
  const json = await archctl([
    "install",
    "--dry-run=client",
    "-o",
    "json",
    "--scope",
    "namespace",
    "--watch-namespaces",
    "a,b",
  ]);
  assert.equal(json.code, 0, json.stderr);
  const list = JSON.parse(json.stdout) as { items: KubeObject[] };
  assert.deepEqual(
    list.items.filter((o) => o.kind === "Role").map((o) => o.metadata.namespace),
    ["a", "b", "archctl-system"],
  );
  // --skip-crd: the same objects without the CRD; --timeout takes apply's durations.
  const skip = await archctl(["install", "--dry-run", "--skip-crd", "--timeout", "1h30m"]);
  assert.equal(skip.code, 0, skip.stderr);
  assert.doesNotMatch(skip.stdout, /kind: CustomResourceDefinition/);
  assert.match(skip.stdout, /kind: ClusterRole\n/);
  const team = await archctl([
    "install",
    "--dry-run",
    "-n",
    "team",
    "--scope",
    "namespace",
    "--watch-namespaces",
    "team",
    "--skip-crd",
  ]);
  assert.equal(team.code, 0, team.stderr);
  assert.doesNotMatch(team.stdout, /kind: (CustomResourceDefinition|Namespace|ClusterRole)/);
  for (const [args, message] of [
    [["install", "--scope", "namespace"], /--watch-namespaces a,b/],
    [["install", "--dry-run=maybe"], /--dry-run must be client or server/],
    [["install", "--replicas", "0"], /replicas must be a positive whole number/],
    [
      ["install", "--watch-namespaces", "Team_A", "--dry-run"],
      /'Team_A' is not a valid namespace name/,
    ],
    [["install", "--dry-run", "-o", "xml"], /unknown output format 'xml'/],
    [["uninstall", "--timeout", "soon"], /--timeout must be a duration like 90s, 10m or 1h/],
    [
      ["install", "--timeout", "soon", "--dry-run"],
      /--timeout must be a duration like 90s, 10m or 1h/,
    ],
  ] as const) {
    const r = await archctl([...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

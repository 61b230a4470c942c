// The Reconciler against an in-memory live view (test/support/memory-cluster.ts):
// what users' own blueprints found — objects taken over, credentials of another
// engine adopted, a huge TTL that threw, a status the API server refused, a
// prune racing with discovery — each decided without an API server. The same
// cases run against a real one in test/integration/operator.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { computePlan } from "../../../cli/plan/plan.ts";
import { FINALIZER, MANAGED_BY } from "../../../operator/api/names.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { OWNED } from "../../../operator/kube/resources.ts";
import { ADOPT_ANNOTATION } from "../../../operator/reconcile/plan.ts";
import type { StoredArchitecture } from "../../../operator/reconcile/reconciler.ts";
import { Reconciler } from "../../../operator/reconcile/reconciler.ts";
import { render } from "../../../operator/render/index.ts";
import type { Capabilities } from "../../../operator/render/types.ts";
import type { Logger } from "../../../operator/runtime/logger.ts";
import { MemoryCluster } from "../../support/memory-cluster.ts";

const NS = "team";
const NOW = new Date("2026-06-01T12:00:00Z");

const quiet: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => quiet,
};

function architecture(spec: Architecture["spec"], name = "shop"): StoredArchitecture {
  return {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      generation: 1,
      creationTimestamp: "2026-06-01T11:00:00Z",
      finalizers: [FINALIZER],
    },
    spec,
  };
}

const API: Architecture["spec"] = {
  components: [{ name: "api", type: "service", image: "ghcr.io/acme/api:1.0" }],
};

function setup(
  arch: StoredArchitecture,
  capabilities: Capabilities = { keda: false, serviceMonitors: false },
) {
  const cluster = new MemoryCluster();
  cluster.put(arch);
  const reconciler = new Reconciler({
    objects: cluster.objects(),
    architectures: cluster.architectures(),
    children: cluster.caches() as never,
    capabilities,
    events: { record() {} },
    log: quiet,
    now: () => NOW,
    random: (n) => "x".repeat(n),
  });
  const run = () => reconciler.reconcile(NS, arch.metadata.name, "test");
  const status = () =>
    (cluster.get("Architecture", NS, arch.metadata.name) as StoredArchitecture | undefined)?.status;
  const condition = (type: string) => status()?.conditions?.find((c) => c.type === type);
  return { cluster, run, status, condition };
}

describe("never take what is not ours", () => {
  test("a Deployment made by hand is not applied over: Degraded, NameTaken, naming its manager", async () => {
    const { cluster, run, condition, status } = setup(architecture(API));
    cluster.put({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "shop-api",
        namespace: NS,
        managedFields: [{ manager: "kubectl-create", operation: "Update" }],
      },
      spec: { replicas: 1 },
    });
    const result = await run();
    assert.equal(result.requeueAfterMs, 30_000, "a taken name is looked at again");
    assert.ok(
      !cluster.calls.some((c) => c.verb === "apply" && c.kind === "Deployment"),
      "the operator wrote to a Deployment that is not its own",
    );
    assert.equal(cluster.get("Deployment", NS, "shop-api")?.metadata.labels, undefined);
    assert.equal(status()?.phase, "Degraded");
    const degraded = condition("Degraded");
    assert.equal(degraded?.reason, "NameTaken");
    assert.match(degraded?.message ?? "", /Deployment shop-api: already exists/);
    assert.match(degraded?.message ?? "", /kubectl-create/);
    assert.match(degraded?.message ?? "", new RegExp(`${ADOPT_ANNOTATION}=shop`));
    // The rest of the Architecture is still built.
    assert.ok(cluster.get("Service", NS, "shop-api"));
  });

  test("a Service of the same name is not taken over silently either", async () => {
    const { cluster, run, condition } = setup(architecture(API));
    cluster.put({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "shop-api", namespace: NS },
      spec: { ports: [{ port: 9999 }] },
    });
    await run();
    assert.deepEqual(cluster.get("Service", NS, "shop-api")?.spec, { ports: [{ port: 9999 }] });
    assert.equal(condition("Degraded")?.reason, "NameTaken");
  });

  test("an object annotated for adoption is taken over", async () => {
    const { cluster, run, status } = setup(architecture(API));
    cluster.put({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "shop-api", namespace: NS, annotations: { [ADOPT_ANNOTATION]: "shop" } },
      spec: { replicas: 1 },
    });
    await run();
    const live = cluster.get("Deployment", NS, "shop-api");
    assert.equal(live?.metadata.labels?.["app.kubernetes.io/managed-by"], MANAGED_BY);
    assert.notEqual(status()?.conditions?.find((c) => c.type === "Degraded")?.reason, "NameTaken");
  });

  test("an adoption annotation naming another Architecture does not count", async () => {
    const { cluster, run, condition } = setup(architecture(API));
    cluster.put({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "shop-api", namespace: NS, annotations: { [ADOPT_ANNOTATION]: "other" } },
    });
    await run();
    assert.equal(condition("Degraded")?.reason, "NameTaken");
  });

  test("a foreign Secret under a credentials name is not used", async () => {
    const spec: Architecture["spec"] = {
      components: [
        { name: "api", type: "service", image: "ghcr.io/acme/api:1.0", uses: ["db"] },
        { name: "db", type: "postgres" },
      ],
    };
    const { cluster, run, condition } = setup(architecture(spec));
    cluster.put({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "shop-db-credentials", namespace: NS },
      data: { password: "b3RoZXI=" },
    });
    await run();
    assert.equal(condition("Degraded")?.reason, "NameTaken");
    assert.match(condition("Degraded")?.message ?? "", /Secret shop-db-credentials/);
    assert.deepEqual(cluster.get("Secret", NS, "shop-db-credentials")?.data, {
      password: "b3RoZXI=",
    });
  });

  test("kept credentials of another engine are not adopted: CredentialsMismatch", async () => {
    const mysql: Architecture["spec"] = { components: [{ name: "db", type: "mysql" }] };
    const postgres: Architecture["spec"] = { components: [{ name: "db", type: "postgres" }] };
    // The Secret a mysql `db` left with deletionPolicy Retain: labels, no owner.
    const old = setup(architecture(mysql));
    await old.run();
    const kept = old.cluster.get("Secret", NS, "shop-db-credentials");
    assert.ok(kept);
    const { cluster, run, condition } = setup(architecture(postgres));
    cluster.put({ ...kept, metadata: { ...kept.metadata, ownerReferences: [] } });
    await run();
    assert.equal(condition("Degraded")?.reason, "CredentialsMismatch");
    assert.match(condition("Degraded")?.message ?? "", /Secret shop-db-credentials: was kept/);
    // Kept credentials of the same engine are adopted as they are.
    const same = setup(architecture(mysql));
    same.cluster.put({ ...kept, metadata: { ...kept.metadata, ownerReferences: [] } });
    await same.run();
    assert.notEqual(same.condition("Degraded")?.status, "True");
    assert.deepEqual(
      same.cluster
        .get("Secret", NS, "shop-db-credentials")
        ?.metadata.ownerReferences?.map((o) => (o as { uid: string }).uid),
      ["uid-shop"],
    );
  });

  test("plan and the operator agree: a taken name and a destructive change are refused by both", async () => {
    const spec: Architecture["spec"] = {
      components: [
        { name: "api", type: "service", image: "ghcr.io/acme/api:1.0" },
        { name: "db", type: "postgres", storage: { size: "10Gi" } },
      ],
    };
    const arch = architecture(spec);
    const first = setup(arch);
    await first.run();
    const bigger = structuredClone(spec);
    (bigger.components[1] as { storage?: { size: string } }).storage = { size: "20Gi" };
    const { cluster, run, condition } = setup({ ...arch, spec: bigger });
    for (const kind of ["StatefulSet", "Secret", "Service"])
      for (const o of first.cluster.all(kind)) cluster.put(o);
    cluster.put({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "shop-api", namespace: NS, managedFields: [{ manager: "helm" }] },
    });
    const rendered = render({ ...arch, spec: bigger }, { keda: false, serviceMonitors: false });
    const plan = computePlan({
      name: "shop",
      namespace: NS,
      storedSpec: spec,
      appliedSpec: bigger,
      storedUid: "uid-shop",
      newObjects: rendered.objects,
      secrets: rendered.secrets,
      live: OWNED.flatMap((r) => cluster.all(r.kind)).map((o) => ({ ...o })),
      now: NOW,
    });
    const refused = plan.objects.filter((o) => o.refused).map((o) => `${o.kind}/${o.name}`);
    assert.deepEqual(refused.sort(), ["Deployment/shop-api", "StatefulSet/shop-db"]);
    await run();
    const degraded = condition("Degraded");
    assert.equal(degraded?.status, "True");
    assert.match(degraded?.message ?? "", /Deployment shop-api: already exists.*helm/);
    assert.match(degraded?.message ?? "", /StatefulSet shop-db: the data volume template changed/);
    assert.ok(
      !cluster.calls.some(
        (c) =>
          c.verb === "apply" &&
          ((c.name === "shop-api" && c.kind === "Deployment") || c.kind === "StatefulSet"),
      ),
    );
  });
});

describe("status always lands", () => {
  test("a huge ttl stored past the bound (an older CRD) gives InvalidSpec, never a throw", async () => {
    const { run, condition } = setup(architecture({ ...API, ttl: "100000000d" }));
    await run();
    assert.equal(condition("Ready")?.reason, "InvalidSpec");
    assert.match(condition("Ready")?.message ?? "", /at most 365d/);
  });

  test("an expired ttl deletes the Architecture even when its spec is invalid", async () => {
    const invalid = { ...API, ttl: "30m", components: [{ name: "api", type: "service" }] };
    const { cluster, run } = setup(architecture(invalid as Architecture["spec"]));
    await run();
    assert.equal(
      cluster.get("Architecture", NS, "shop"),
      undefined,
      "the expired Architecture is still there",
    );
  });

  test("an invalid spec with a ttl still to run is woken up when it expires", async () => {
    const invalid = { ...API, ttl: "2h", components: [{ name: "api", type: "service" }] };
    const { run } = setup(architecture(invalid as Architecture["spec"]));
    const result = await run();
    assert.equal(result.requeueAfterMs, 3_600_000);
  });

  test("a status the API server refuses is replaced by a minimal one: Degraded, StatusRefused", async () => {
    const { cluster, run, status, condition } = setup(architecture(API));
    // The API server's list-map rule, as a test stand-in: refuse any status with a component entry.
    cluster.refuse = (call, body) =>
      call.subresource === "status" &&
      ((body as { status?: { components?: unknown } }).status?.components ?? null) !== null
        ? 'status.components[0]: Duplicate value: {"name":"api"}'
        : undefined;
    await run();
    assert.equal(status()?.phase, "Degraded");
    assert.equal(condition("Degraded")?.reason, "StatusRefused");
    assert.match(condition("Degraded")?.message ?? "", /Duplicate value/);
    assert.equal(status()?.observedGeneration, 1);
  });
});

describe("prune and discovery", () => {
  test("a ScaledObject is not pruned while the KEDA capability is off (discovery in flux)", async () => {
    const spec: Architecture["spec"] = {
      components: [
        { name: "api", type: "service", image: "ghcr.io/acme/api:1.0", uses: ["q"] },
        { name: "q", type: "redis" },
        { name: "work", type: "worker", image: "ghcr.io/acme/work:1.0", uses: ["q"] },
      ],
      autoscaling: [
        {
          component: "work",
          minReplicas: 1,
          maxReplicas: 5,
          queue: { component: "q", name: "jobs", targetLength: 10 },
        },
      ],
    };
    // Built while KEDA was there: a ScaledObject exists.
    const before = setup(architecture(spec), { keda: true, serviceMonitors: false });
    await before.run();
    const scaled = before.cluster.all("ScaledObject");
    assert.equal(scaled.length, 1);
    // Now discovery says KEDA is gone, but its caches are still there.
    const { cluster, run } = setup(architecture(spec), { keda: false, serviceMonitors: false });
    for (const kind of OWNED.map((r) => r.kind))
      for (const o of before.cluster.all(kind)) cluster.put(o);
    await run();
    assert.equal(cluster.all("ScaledObject").length, 1, "a live ScaledObject was pruned");
    assert.ok(!cluster.calls.some((c) => c.verb === "delete" && c.kind === "ScaledObject"));
  });
});

describe("a refusal that lasts", () => {
  test("a child refused for now (a quota) is named in status, then the pass fails to be retried", async () => {
    const spec: Architecture["spec"] = {
      components: [
        { name: "api", type: "service", image: "ghcr.io/acme/api:1.0", uses: ["db"] },
        { name: "db", type: "postgres" },
      ],
    };
    const { cluster, run, condition } = setup(architecture(spec));
    const quota =
      'services "shop-api" is forbidden: exceeded quota: no-services, requested: services=1, used: services=0, limited: services=0';
    cluster.refuse = (call) =>
      call.verb === "apply" && call.kind === "Service" ? { code: 403, message: quota } : undefined;
    await assert.rejects(run(), /exceeded quota/);
    const degraded = condition("Degraded");
    assert.equal(degraded?.status, "True", "no status said why");
    assert.equal(degraded?.reason, "ApplyFailed");
    assert.match(degraded?.message ?? "", /Service shop-api: .*exceeded quota/);
    // Everything else was still applied.
    assert.ok(cluster.get("StatefulSet", NS, "shop-db"));
  });

  test("an Architecture deleted while its pass runs ends the pass quietly", async () => {
    const { cluster, run } = setup(architecture(API));
    cluster.refuse = (call) =>
      call.kind === "Architecture" && call.subresource === "status"
        ? { code: 404, message: 'architectures.archctl.io "shop" not found' }
        : undefined;
    const result = await run();
    assert.equal(typeof result.writes, "number");
    // A child's 404 is not the Architecture's: that one still fails the pass.
    const other = setup(architecture(API));
    other.cluster.refuse = (call) =>
      call.verb === "apply" && call.kind === "Service"
        ? { code: 404, message: 'namespaces "team" not found' }
        : undefined;
    await assert.rejects(other.run(), /not found/);
  });
});

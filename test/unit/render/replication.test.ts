// Replicated datastores: PostgreSQL primary + streaming replicas, Redis with
// Sentinel, member spread and disruption budgets, probes, client env.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import { connectionEnv } from "../../../operator/render/connection.ts";
import { createContext } from "../../../operator/render/context.ts";
import { render } from "../../../operator/render/index.ts";
import { container, find, type Json, podSpecs } from "./datastore-helpers.ts";

function arch(components: Json[], annotations?: Record<string, string>): Architecture {
  return {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "prod", ...(annotations ? { annotations } : {}) },
    spec: {
      components: [
        { name: "api", type: "service", image: "ex/api:1", uses: ["db", "cache"] },
        ...components,
      ],
    },
  };
}

const HA = [
  { name: "db", type: "postgres", replicas: 3 },
  { name: "cache", type: "redis", replicas: 3 },
];

/** What a probe checks, without its timing. */
function check(probe: Json): Json {
  return probe.exec ?? probe.httpGet ?? probe.tcpSocket ?? probe.grpc;
}

function objectsOf(a: Architecture): KubeObject[] {
  return render(a).objects;
}

test("postgres replicas: the read-write Service selects the primary pod, -ro every member", () => {
  const objects = objectsOf(arch(HA));
  const rw = find(objects, "Service", "shop-db");
  assert.equal(rw.spec.selector["statefulset.kubernetes.io/pod-name"], "shop-db-0");
  const ro = find(objects, "Service", "shop-db-ro");
  assert.equal(ro.spec.selector["statefulset.kubernetes.io/pod-name"], undefined);
  assert.equal(ro.spec.selector["archctl.io/role"], "server");
  assert.deepEqual(ro.spec.ports, [
    { name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" },
    // Prometheus scrapes every member through it (the read-write Service reaches one).
    { name: "metrics", port: 9187, targetPort: "metrics", protocol: "TCP" },
  ]);
});

test("postgres replicas: a failover's annotation moves the read-write Service", () => {
  const objects = objectsOf(arch(HA, { "primary.archctl.io/db": "2" }));
  const rw = find(objects, "Service", "shop-db");
  assert.equal(rw.spec.selector["statefulset.kubernetes.io/pod-name"], "shop-db-2");
  // The pod template does not depend on the primary: moving it restarts nothing.
  const before = find(objectsOf(arch(HA)), "StatefulSet", "shop-db").spec.template;
  assert.deepEqual(find(objects, "StatefulSet", "shop-db").spec.template, before);
});

test("postgres replicas: bootstrap script, replication secret, replica-aware readiness", () => {
  const result = render(arch(HA));
  const sts = find(result.objects, "StatefulSet", "shop-db");
  const pg = container(sts.spec.template.spec, "postgres");
  assert.deepEqual(pg.command, ["sh", "/etc/archctl/start.sh"]);
  assert.ok(pg.args.includes("wal_keep_size=512MB"));
  assert.deepEqual(pg.readinessProbe.exec.command, ["sh", "/etc/archctl/ready.sh"]);
  assert.deepEqual(pg.livenessProbe.tcpSocket, { port: "postgres" });
  const env = Object.fromEntries(pg.env.map((e: Json) => [e.name, e]));
  assert.equal(env.PRIMARY_HOST.value, "shop-db.prod.svc");
  assert.deepEqual(env.REPLICATION_PASSWORD.valueFrom.secretKeyRef, {
    name: "shop-db-replication",
    key: "password",
  });
  const scripts = find(result.objects, "ConfigMap", "shop-db-scripts");
  assert.match(scripts.data["start.sh"], /pg_basebackup/);
  assert.match(scripts.data["10-replication.sh"], /CREATE ROLE replicator WITH REPLICATION/);
  assert.match(scripts.data["ready.sh"], /pg_stat_wal_receiver where status = 'streaming'/);
  const secret = result.secrets.find((s) => s.name === "shop-db-replication");
  assert.ok(secret);
  assert.deepEqual(Object.keys(secret.keys).sort(), ["password", "username"]);
  // The app credentials Secret keeps its keys: one made before stays usable.
  const creds = result.secrets.find((s) => s.name === "shop-db-credentials");
  assert.deepEqual(Object.keys(creds?.keys ?? {}).sort(), [
    "database",
    "password",
    "url",
    "username",
  ]);
});

test("a single postgres or redis renders as before: no scripts, no -ro, no Sentinel, no PDB", () => {
  const objects = objectsOf(
    arch([
      { name: "db", type: "postgres" },
      { name: "cache", type: "redis" },
    ]),
  );
  const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  for (const absent of [
    "Service/shop-db-ro",
    "ConfigMap/shop-db-scripts",
    "StatefulSet/shop-cache-sentinel",
    "PodDisruptionBudget/shop-db",
    "PodDisruptionBudget/shop-cache",
  ])
    assert.ok(!names.includes(absent), absent);
  assert.equal(
    find(objects, "Service", "shop-db").spec.selector["statefulset.kubernetes.io/pod-name"],
    undefined,
  );
});

test("redis replicas: members start through member.sh, three Sentinels, quorum 2", () => {
  const objects = objectsOf(arch(HA));
  const members = find(objects, "StatefulSet", "shop-cache");
  const redis = container(members.spec.template.spec, "redis");
  assert.deepEqual(redis.command, ["sh", "/etc/archctl/member.sh"]);
  assert.deepEqual(redis.readinessProbe.exec.command, ["sh", "/etc/archctl/member-ready.sh"]);
  const sentinels = find(objects, "StatefulSet", "shop-cache-sentinel");
  assert.equal(sentinels.spec.replicas, 3);
  assert.equal(sentinels.spec.podManagementPolicy, "Parallel");
  const s = container(sentinels.spec.template.spec, "sentinel");
  const env = Object.fromEntries(s.env.map((e: Json) => [e.name, e.value]));
  assert.equal(env.SENTINEL_QUORUM, "2");
  assert.equal(env.MASTER_NAME, "cache");
  assert.equal(env.FIRST_MEMBER, "shop-cache-0.shop-cache-headless.prod.svc");
  const scripts = find(objects, "ConfigMap", "shop-cache-scripts");
  assert.match(
    scripts.data["sentinel.sh"],
    /sentinel monitor \$MASTER_NAME \$master \$SENTINEL_QUORUM/,
  );
  // Sentinels may reach the members through the NetworkPolicy.
  const policy = find(objects, "NetworkPolicy", "shop-cache");
  const own = policy.spec.ingress[0].from.map(
    (f: Json) => f.podSelector.matchLabels["app.kubernetes.io/instance"],
  );
  assert.deepEqual(own, ["shop-cache", "shop-cache-sentinel"]);
});

test("clients: postgres READ_URL/READ_HOST, redis Sentinel hosts, master and a Sentinel URL", () => {
  const a = arch(HA);
  const ctx = createContext(applyDefaults(a), { keda: true, serviceMonitors: true });
  const api = ctx.component("api");
  assert.ok(api);
  const env = connectionEnv(ctx, api);
  const by = Object.fromEntries(env.map((e) => [e.name, e]));
  assert.equal((by.DB_READ_HOST as Json).value, "shop-db-ro.prod.svc");
  assert.equal(
    (by.DB_READ_URL as Json).value,
    "postgresql://$(DB_USERNAME):$(DB_PASSWORD)@shop-db-ro.prod.svc:5432/app",
  );
  assert.equal((by.CACHE_SENTINEL_MASTER as Json).value, "cache");
  const hosts = (by.CACHE_SENTINEL_HOSTS as Json).value.split(",");
  assert.equal(hosts.length, 3);
  assert.equal(hosts[0], "shop-cache-sentinel-0.shop-cache-sentinel-headless.prod.svc:26379");
  assert.match(
    (by.CACHE_URL as Json).value,
    /^redis\+sentinel:\/\/:\$\(CACHE_PASSWORD\)@.*\/cache\/0$/,
  );
  // $(VAR) expands only from vars listed before: every composed var comes after them.
  const names = env.map((e) => e.name);
  for (const composed of ["DB_READ_URL", "CACHE_URL"])
    for (const used of ["DB_USERNAME", "DB_PASSWORD", "CACHE_PASSWORD"])
      if ((by[composed] as Json).value.includes(`$(${used})`))
        assert.ok(names.indexOf(used) < names.indexOf(composed), `${used} before ${composed}`);
  // The app's own pod gets them in the same order.
  const deploy = find(render(a).objects, "Deployment", "shop-api");
  const podEnv = deploy.spec.template.spec.containers[0].env.map((e: Json) => e.name);
  assert.ok(podEnv.indexOf("DB_PASSWORD") < podEnv.indexOf("DB_READ_URL"));
});

test("members spread over nodes (required) and zones (preferred), one down at a time", () => {
  const objects = objectsOf(arch(HA));
  for (const name of ["shop-db", "shop-cache", "shop-cache-sentinel"]) {
    const sts = find(objects, "StatefulSet", name);
    const [host, zone] = sts.spec.template.spec.topologySpreadConstraints;
    assert.equal(host.topologyKey, "kubernetes.io/hostname");
    assert.equal(host.whenUnsatisfiable, "DoNotSchedule");
    assert.equal(host.nodeTaintsPolicy, "Honor");
    assert.equal(zone.topologyKey, "topology.kubernetes.io/zone");
    assert.equal(zone.whenUnsatisfiable, "ScheduleAnyway");
    assert.deepEqual(host.labelSelector.matchLabels, sts.spec.selector.matchLabels);
    const pdb = find(objects, "PodDisruptionBudget", name);
    assert.equal(pdb.spec.maxUnavailable, 1);
    // Only server pods count: a backup Job's pod never holds a drain.
    assert.equal(pdb.spec.selector.matchLabels["archctl.io/role"], "server");
  }
});

test("every container of every blueprint-like workload requests ephemeral storage; liveness differs from readiness", () => {
  const objects = objectsOf(
    arch([
      ...HA,
      { name: "q", type: "rabbitmq", replicas: 3 },
      { name: "log", type: "kafka", replicas: 3 },
      { name: "vec", type: "milvus" },
      { name: "docs", type: "mongodb" },
      { name: "posts", type: "mysql" },
    ]),
  );
  const pods: Json[] = [...podSpecs(objects)];
  for (const o of objects as Json[]) if (o.kind === "Deployment") pods.push(o.spec.template.spec);
  assert.ok(pods.length >= 10);
  for (const pod of pods)
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      assert.ok(
        c.resources?.requests?.["ephemeral-storage"],
        `${c.name} requests ephemeral-storage`,
      );
      if (c.livenessProbe && c.readinessProbe)
        assert.notDeepEqual(
          check(c.livenessProbe),
          check(c.readinessProbe),
          `${c.name}: liveness != readiness`,
        );
    }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { renderService } from "../../../operator/render/components/service.ts";
import { assertRestricted, comp, ctxOf, find, type Json } from "./app-fixtures.ts";

const spec: ArchitectureSpec = {
  components: [
    {
      name: "api",
      type: "service",
      image: "ex/api:1.2.0",
      port: 3000,
      healthPath: "/ready",
      replicas: 3,
      env: { LOG_LEVEL: "info", APP_MODE: "prod" },
      uses: ["db", "notifier"],
      resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1" } },
    },
    { name: "notifier", type: "gateway", image: "ex/ws:1", replicas: 1 },
    { name: "admin", type: "service", image: "ex/admin:1", replicas: 1 },
    { name: "db", type: "postgres" },
  ],
  autoscaling: [
    { component: "notifier", minReplicas: 2, maxReplicas: 10, targetCPUUtilization: 60 },
  ],
};

function renderOf(name: string) {
  const ctx = ctxOf(spec);
  return renderService(comp(ctx, name), ctx).objects;
}

test("service: Deployment with replicas, rolling update, probes, resources and restricted pod", () => {
  const objects = renderOf("api");
  const d = find(objects, "Deployment", "shop-api") as Json;
  assert.equal(d.apiVersion, "apps/v1");
  assert.equal(d.metadata.namespace, "prod");
  assert.equal(d.metadata.labels["app.kubernetes.io/component"], "api");
  assert.equal(d.spec.replicas, 3);
  assert.equal(d.spec.revisionHistoryLimit, 5);
  assert.deepEqual(d.spec.selector.matchLabels, {
    "app.kubernetes.io/instance": "shop-api",
    "archctl.io/architecture": "shop",
  });
  assert.deepEqual(d.spec.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" },
  });
  const pod = d.spec.template.spec;
  assertRestricted(pod);
  // Template labels must include the selector.
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels))
    assert.equal(d.spec.template.metadata.labels[k], v);
  assert.equal(pod.terminationGracePeriodSeconds, 30);
  assert.equal(pod.topologySpreadConstraints.length, 2);
  assert.equal(pod.nodeSelector, undefined);
  assert.equal(pod.tolerations, undefined);
  const c = pod.containers[0];
  assert.equal(c.image, "ex/api:1.2.0");
  assert.deepEqual(c.ports, [{ name: "http", containerPort: 3000, protocol: "TCP" }]);
  assert.deepEqual(c.readinessProbe.httpGet, { path: "/ready", port: 3000 });
  // Alive while the port accepts: a loaded server failing /ready is not restarted for it.
  assert.deepEqual(c.livenessProbe.tcpSocket, { port: 3000 });
  assert.equal(c.livenessProbe.httpGet, undefined);
  assert.deepEqual(c.lifecycle, { preStop: { sleep: { seconds: 5 } } });
  assert.deepEqual(c.resources, {
    requests: { cpu: "250m", memory: "256Mi", "ephemeral-storage": "256Mi" },
    limits: { cpu: "1", memory: "256Mi" },
  });
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
});

test("service: env is the plain env plus connection details, sorted, secrets by reference", () => {
  const c = (find(renderOf("api"), "Deployment", "shop-api") as Json).spec.template.spec
    .containers[0];
  const names = c.env.map((e: Json) => e.name);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes("APP_MODE") && names.includes("LOG_LEVEL"));
  const password = c.env.find((e: Json) => e.name === "DB_PASSWORD");
  assert.deepEqual(password, {
    name: "DB_PASSWORD",
    valueFrom: { secretKeyRef: { name: "shop-db-credentials", key: "password" } },
  });
  // Another application is reached through its Service on port 80.
  assert.deepEqual(
    c.env.find((e: Json) => e.name === "NOTIFIER_URL"),
    { name: "NOTIFIER_URL", value: "http://shop-notifier.prod.svc:80" },
  );
  for (const e of c.env) assert.ok("value" in e || e.valueFrom.secretKeyRef, e.name);
});

test("service: ClusterIP Service on port 80 to the http port, selecting only selector labels", () => {
  const s = find(renderOf("api"), "Service", "shop-api") as Json;
  assert.deepEqual(s.spec, {
    type: "ClusterIP",
    selector: { "app.kubernetes.io/instance": "shop-api", "archctl.io/architecture": "shop" },
    ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
  });
});

test("service: PDB with maxUnavailable 1 when more than one replica, none for one", () => {
  const pdb = find(renderOf("api"), "PodDisruptionBudget", "shop-api") as Json;
  assert.equal(pdb.apiVersion, "policy/v1");
  assert.equal(pdb.spec.maxUnavailable, 1);
  assert.deepEqual(pdb.spec.selector.matchLabels, {
    "app.kubernetes.io/instance": "shop-api",
    "archctl.io/architecture": "shop",
  });
  assert.equal(
    renderOf("admin").some((o) => o.kind === "PodDisruptionBudget"),
    false,
  );
});

test("gateway: autoscaled, so no replicas (the HPA owns them) but a PDB; sticky Service; long drain", () => {
  const objects = renderOf("notifier");
  const d = find(objects, "Deployment", "shop-notifier") as Json;
  assert.equal("replicas" in d.spec, false);
  find(objects, "PodDisruptionBudget", "shop-notifier");
  const s = find(objects, "Service", "shop-notifier") as Json;
  assert.equal(s.spec.sessionAffinity, "ClientIP");
  const pod = d.spec.template.spec;
  assert.ok(pod.terminationGracePeriodSeconds >= 60);
  assert.ok(pod.containers[0].lifecycle.preStop.sleep.seconds < pod.terminationGracePeriodSeconds);
  assert.deepEqual(pod.containers[0].ports, [
    { name: "http", containerPort: 8080, protocol: "TCP" },
  ]);
  assert.equal(pod.containers[0].readinessProbe.httpGet.path, "/healthz");
  assertRestricted(pod);
});

test("a plain service has no session affinity", () => {
  assert.equal(
    (find(renderOf("admin"), "Service", "shop-admin") as Json).spec.sessionAffinity,
    undefined,
  );
});

test("rendering is deterministic", () => {
  assert.equal(JSON.stringify(renderOf("api")), JSON.stringify(renderOf("api")));
});

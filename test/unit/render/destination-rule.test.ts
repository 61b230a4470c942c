import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { renderDestinationRules } from "../../../operator/render/destination-rule.ts";
import { ctxOf, find, type Json } from "./app-fixtures.ts";

const spec: ArchitectureSpec = {
  components: [
    { name: "api", type: "service", image: "ex/api:1", uses: ["users", "db"] },
    { name: "users", type: "service", image: "ex/users:1" },
    { name: "lonely", type: "service", image: "ex/l:1" },
    { name: "bus", type: "kafka", replicas: 3 },
    { name: "db", type: "postgres" },
  ],
  mesh: {
    connectionPool: { maxConnections: 100, maxPendingRequests: 10, maxRequestsPerConnection: 50 },
    outlierDetection: { consecutive5xx: 3 },
  },
};

test("one DestinationRule per datastore and internal service; HTTP pools and ejection where they apply", () => {
  const { objects, notices } = renderDestinationRules(ctxOf(spec));
  assert.equal(notices, undefined);
  assert.deepEqual(
    objects.map((o) => o.metadata.name),
    ["shop-bus", "shop-db", "shop-users"],
    "api and lonely are used by nobody",
  );
  const users = find(objects, "DestinationRule", "shop-users") as Json;
  assert.equal(users.apiVersion, "networking.istio.io/v1");
  assert.deepEqual(users.spec, {
    host: "shop-users.prod.svc.cluster.local",
    trafficPolicy: {
      connectionPool: {
        tcp: { maxConnections: 100 },
        http: { http1MaxPendingRequests: 10, maxRequestsPerConnection: 50 },
      },
      outlierDetection: {
        consecutive5xxErrors: 3,
        interval: "10s",
        baseEjectionTime: "30s",
        maxEjectionPercent: 50,
      },
    },
  });
  const db = find(objects, "DestinationRule", "shop-db") as Json;
  assert.deepEqual(db.spec.trafficPolicy, { connectionPool: { tcp: { maxConnections: 100 } } });
  const bus = find(objects, "DestinationRule", "shop-bus") as Json;
  assert.ok(bus.spec.trafficPolicy.outlierDetection, "three brokers: ejection applies");
});

test("without Istio: nothing rendered, a notice; without spec.mesh: nothing at all", () => {
  const r = renderDestinationRules(ctxOf(spec, { keda: false, serviceMonitors: false }));
  assert.deepEqual(r.objects, []);
  assert.deepEqual(
    r.notices?.map((n) => n.reason),
    ["IstioMissing"],
  );
  assert.match(r.notices?.[0]?.message ?? "", /install Istio/);
  const { mesh: _m, ...noMesh } = spec;
  assert.deepEqual(renderDestinationRules(ctxOf(noMesh)), { objects: [] });
});

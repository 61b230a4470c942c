// provider gateway: HTTPRoutes on a user's Gateway, the TLS objects the Gateway
// needs, Envoy Gateway BackendTrafficPolicies, and notices when an
// integration is not served.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { renderGateway, routeName } from "../../../operator/render/gateway.ts";
import { render } from "../../../operator/render/index.ts";
import { renderIngress } from "../../../operator/render/ingress.ts";
import { renderTrafficPolicies } from "../../../operator/render/traffic-policy.ts";
import { ALL_CAPABILITIES } from "../../../operator/render/types.ts";
import { ctxOf, find, type Json } from "./app-fixtures.ts";

const spec: ArchitectureSpec = {
  components: [
    { name: "api", type: "service", image: "ex/api:1", port: 3000 },
    { name: "ws", type: "gateway", image: "ex/ws:1" },
  ],
  ingress: {
    provider: "gateway",
    gateway: { name: "edge", namespace: "infra", sectionName: "https" },
    hosts: [
      {
        host: "shop.example.com",
        routes: [
          { path: "/api", component: "api" },
          { path: "/live", component: "ws" },
        ],
      },
      { host: "admin.example.com", routes: [{ path: "/", component: "api" }] },
    ],
    tls: { clusterIssuer: "letsencrypt" },
    rateLimit: { rps: 20, rpm: 600 },
    circuitBreaker: {
      maxConnections: 500,
      maxPendingRequests: 100,
      maxParallelRequests: 400,
      outlierDetection: { consecutive5xx: 5, interval: "10s", baseEjectionTime: "30s" },
    },
    retry: { attempts: 2, perTryTimeout: "2s", budgetPercent: 25 },
    timeouts: { request: "15s", idle: "90s" },
  },
};

test("one HTTPRoute per host and kind of backend, attached to the named Gateway", () => {
  const { objects } = renderGateway(ctxOf(spec));
  const routes = objects.filter((o) => o.kind === "HTTPRoute");
  assert.deepEqual(
    routes.map((r) => r.metadata.name),
    ["shop-shop-example-com", "shop-shop-example-com-ws", "shop-admin-example-com"],
  );
  const api = find(objects, "HTTPRoute", "shop-shop-example-com") as Json;
  assert.equal(api.apiVersion, "gateway.networking.k8s.io/v1");
  assert.deepEqual(api.spec.parentRefs, [
    {
      group: "gateway.networking.k8s.io",
      kind: "Gateway",
      name: "edge",
      namespace: "infra",
      sectionName: "https",
    },
  ]);
  assert.deepEqual(api.spec.hostnames, ["shop.example.com"]);
  assert.deepEqual(api.spec.rules, [
    {
      matches: [{ path: { type: "PathPrefix", value: "/api" } }],
      backendRefs: [{ name: "shop-api", port: 80 }],
      timeouts: { request: "15s" },
    },
  ]);
  const ws = find(objects, "HTTPRoute", "shop-shop-example-com-ws") as Json;
  assert.deepEqual(ws.spec.rules[0].timeouts, { request: "0s" }, "websockets are not cut");
  assert.equal(ws.metadata.namespace, "prod");
});

test("TLS: a Certificate for every host, and a ReferenceGrant for the Gateway's namespace", () => {
  const { objects } = renderGateway(ctxOf(spec));
  const cert = find(objects, "Certificate", "shop-ingress-tls") as Json;
  assert.deepEqual(cert.spec, {
    secretName: "shop-tls",
    dnsNames: ["shop.example.com", "admin.example.com"],
    issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt" },
  });
  const grant = find(objects, "ReferenceGrant", "shop-ingress-tls") as Json;
  assert.deepEqual(grant.spec, {
    from: [{ group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "infra" }],
    to: [{ group: "", kind: "Secret", name: "shop-tls" }],
  });
  const sameNs = {
    ...spec,
    ingress: { ...spec.ingress, gateway: { name: "edge" } },
  } as ArchitectureSpec;
  const kinds = renderGateway(ctxOf(sameNs)).objects.map((o) => o.kind);
  assert.ok(!kinds.includes("ReferenceGrant"), "a Gateway in the same namespace needs no grant");
});

test("BackendTrafficPolicy: per-IP limits, circuit breaker with retry budget, outlier detection, retries, timeouts", () => {
  const { objects } = renderTrafficPolicies(ctxOf(spec));
  assert.equal(objects.length, 3, "one per route");
  const p = find(objects, "BackendTrafficPolicy", "shop-shop-example-com") as Json;
  assert.equal(p.apiVersion, "gateway.envoyproxy.io/v1alpha1");
  assert.deepEqual(p.spec.targetRefs, [
    { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "shop-shop-example-com" },
  ]);
  assert.equal(p.spec.rateLimit.type, "Local");
  assert.deepEqual(
    p.spec.rateLimit.local.rules.map((r: Json) => [
      r.clientSelectors[0].sourceCIDR.type,
      r.clientSelectors[0].sourceCIDR.value,
      r.limit.requests,
      r.limit.unit,
    ]),
    [
      ["Distinct", "0.0.0.0/0", 20, "Second"],
      ["Distinct", "::/0", 20, "Second"],
      ["Distinct", "0.0.0.0/0", 600, "Minute"],
      ["Distinct", "::/0", 600, "Minute"],
    ],
  );
  assert.deepEqual(p.spec.circuitBreaker, {
    maxConnections: 500,
    maxPendingRequests: 100,
    maxParallelRequests: 400,
    retryBudget: { percent: { numerator: 25 } },
  });
  assert.deepEqual(p.spec.healthCheck, {
    passive: { consecutive5XxErrors: 5, interval: "10s", baseEjectionTime: "30s" },
  });
  assert.deepEqual(p.spec.retry, {
    numRetries: 2,
    retryOn: { triggers: ["connect-failure", "reset", "gateway-error"] },
    perRetry: { timeout: "2s" },
  });
  assert.deepEqual(p.spec.timeout, { http: { connectionIdleTimeout: "90s" } });
  assert.equal(p.spec.loadBalancer, undefined);
  const ws = find(objects, "BackendTrafficPolicy", "shop-shop-example-com-ws") as Json;
  assert.deepEqual(ws.spec.timeout, {
    http: { connectionIdleTimeout: "3600s", streamIdleTimeout: "3600s" },
  });
  assert.deepEqual(ws.spec.loadBalancer, {
    type: "ConsistentHash",
    consistentHash: { type: "Cookie", cookie: { name: "archctl-affinity", ttl: "0s" } },
  });
});

test("a websocket route gets its policy even when the spec asks for no limits", () => {
  const bare = {
    ...spec,
    ingress: { provider: "gateway", gateway: { name: "edge" }, hosts: spec.ingress?.hosts },
  } as ArchitectureSpec;
  const names = renderTrafficPolicies(ctxOf(bare)).objects.map((o) => o.metadata.name);
  assert.deepEqual(names, ["shop-shop-example-com-ws"]);
});

test("provider gateway renders no Ingress; provider nginx no route or policy", () => {
  const kinds = (s: ArchitectureSpec) =>
    render({
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      metadata: { name: "shop", namespace: "prod" },
      spec: s,
    }).objects.map((o) => o.kind);
  const gw = kinds(spec);
  assert.ok(!gw.includes("Ingress"));
  for (const k of ["HTTPRoute", "BackendTrafficPolicy", "Certificate", "ReferenceGrant"])
    assert.ok(gw.includes(k), k);
  const {
    provider: _p,
    gateway: _g,
    circuitBreaker: _c,
    retry: _r,
    timeouts: _t,
    ...rest
  } = spec.ingress as NonNullable<ArchitectureSpec["ingress"]>;
  const nginx = kinds({ ...spec, ingress: rest });
  assert.ok(nginx.includes("Ingress"));
  for (const k of ["HTTPRoute", "BackendTrafficPolicy", "Certificate", "ReferenceGrant"])
    assert.ok(!nginx.includes(k), k);
  assert.deepEqual(renderIngress(ctxOf(spec)).objects, []);
});

test("integrations not served: nothing of theirs rendered, a notice naming what to install", () => {
  const none = { keda: false, serviceMonitors: false };
  const g = renderGateway(ctxOf(spec, none));
  assert.deepEqual(g.objects, []);
  assert.deepEqual(
    g.notices?.map((n) => n.reason),
    ["GatewayApiMissing"],
  );
  const routesOnly = { ...none, gatewayApi: true };
  const g2 = renderGateway(ctxOf(spec, routesOnly));
  assert.deepEqual(
    g2.notices?.map((n) => n.reason),
    ["CertManagerMissing"],
  );
  assert.ok(!g2.objects.some((o) => o.kind === "Certificate"));
  const t = renderTrafficPolicies(ctxOf(spec, routesOnly));
  assert.deepEqual(t.objects, []);
  assert.deepEqual(
    t.notices?.map((n) => n.reason),
    ["EnvoyGatewayMissing"],
  );
  assert.match(t.notices?.[0]?.message ?? "", /install Envoy Gateway/);
  assert.equal(renderTrafficPolicies(ctxOf(spec, ALL_CAPABILITIES)).notices, undefined);
});

test("route names: by host, stable, and bounded", () => {
  assert.equal(routeName("a", "*.example.com", false), "a-wildcard-example-com");
  const long = `${"x".repeat(60)}.${"y".repeat(60)}.${"z".repeat(60)}.${"w".repeat(60)}.example.com`;
  const name = routeName("a".repeat(40), long, true);
  assert.ok(name.length <= 253, `${name.length}`);
  assert.ok(name.endsWith("-ws"));
  assert.equal(routeName("a".repeat(40), long, true), name);
});

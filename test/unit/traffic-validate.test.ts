// What each traffic provider can carry: validate refuses or warns, never drops.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../operator/api/schema.ts";
import { formatPath, validateArchitecture } from "../../operator/api/validate.ts";

const base: ArchitectureSpec = {
  components: [
    { name: "api", type: "service", image: "ex/api:1" },
    { name: "ws", type: "gateway", image: "ex/ws:1" },
    { name: "db", type: "postgres" },
    { name: "jobs", type: "worker", image: "ex/w:1", uses: ["db"] },
  ],
  ingress: {
    hosts: [
      {
        host: "shop.example.com",
        routes: [
          { path: "/", component: "api" },
          { path: "/live", component: "ws" },
        ],
      },
    ],
  },
};

function issues(ingress: Record<string, unknown>, extra: Partial<ArchitectureSpec> = {}) {
  const r = validateArchitecture({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop" },
    spec: { ...base, ...extra, ingress: { ...base.ingress, ...ingress } },
  });
  return r.issues.map((i) => ({
    at: formatPath(i.path),
    severity: i.severity,
    message: i.message,
    hint: i.hint ?? "",
  }));
}

const errorsAt = (list: ReturnType<typeof issues>) =>
  list.filter((i) => i.severity === "error").map((i) => i.at);
const warningsAt = (list: ReturnType<typeof issues>) =>
  list.filter((i) => i.severity === "warning").map((i) => i.at);

test("nginx cannot break circuits: refused, naming the gateway provider", () => {
  const r = issues({ circuitBreaker: { maxConnections: 100 } });
  assert.deepEqual(errorsAt(r), ["spec.ingress.circuitBreaker"]);
  assert.match(r[0]?.message ?? "", /needs provider gateway/);
  assert.match(r[0]?.hint ?? "", /provider: gateway/);
  assert.deepEqual(errorsAt(issues({ retry: { attempts: 2 }, timeouts: { request: "5s" } })), [
    "spec.ingress.retry",
    "spec.ingress.timeouts",
  ]);
});

test("provider gateway without a Gateway is refused", () => {
  const r = issues({ provider: "gateway" });
  assert.ok(errorsAt(r).includes("spec.ingress.gateway"), JSON.stringify(r));
});

test("an unknown provider is refused, listing the known ones", () => {
  const r = issues({ provider: "traefik" });
  assert.deepEqual(errorsAt(r), ["spec.ingress.provider"]);
  assert.match(`${r[0]?.message} ${r[0]?.hint}`, /nginx.*gateway|gateway.*nginx/);
});

test("what Envoy Gateway cannot express is warned about, each at its path", () => {
  const r = issues({
    provider: "gateway",
    gateway: { name: "edge" },
    className: "nginx",
    annotations: { "nginx.ingress.kubernetes.io/x": "1" },
    rateLimit: { rps: 10, connections: 5, burstMultiplier: 3, whitelist: ["10.0.0.0/8"] },
    timeouts: { request: "30s" },
  });
  assert.deepEqual(errorsAt(r), []);
  assert.deepEqual(warningsAt(r).sort(), [
    "spec.ingress.annotations",
    "spec.ingress.className",
    "spec.ingress.rateLimit.burstMultiplier",
    "spec.ingress.rateLimit.connections",
    "spec.ingress.rateLimit.whitelist",
    "spec.ingress.timeouts.request",
  ]);
});

test("conflicting limits are refused", () => {
  const r = issues({
    provider: "gateway",
    gateway: { name: "edge" },
    rateLimit: { rps: 100, rpm: 60 },
    retry: { attempts: 2, perTryTimeout: "1m" },
    timeouts: { request: "10s" },
  });
  assert.deepEqual(errorsAt(r), ["spec.ingress.rateLimit.rpm", "spec.ingress.retry.perTryTimeout"]);
  assert.match(r.find((i) => i.at.endsWith("rpm"))?.message ?? "", /conflicting limits/);
});

test("a route to a component that serves no HTTP is refused for both providers", () => {
  for (const provider of ["nginx", "gateway"]) {
    const r = issues({
      provider,
      gateway: { name: "edge" },
      hosts: [{ host: "shop.example.com", routes: [{ path: "/", component: "jobs" }] }],
    });
    assert.deepEqual(errorsAt(r), ["spec.ingress.hosts[0].routes[0].component"], provider);
    assert.match(r.find((i) => i.severity === "error")?.message ?? "", /a worker/);
  }
});

test("more routes on one host than an HTTPRoute holds are refused", () => {
  const routes = Array.from({ length: 17 }, (_, i) => ({ path: `/p${i}`, component: "api" }));
  const r = issues({
    provider: "gateway",
    gateway: { name: "edge" },
    hosts: [{ host: "a.example.com", routes }],
  });
  assert.deepEqual(errorsAt(r), ["spec.ingress.hosts[0].routes"]);
});

test("egress: a host name is refused (NetworkPolicies match addresses); CIDRs pass", () => {
  const withEgress = (cidr: string) =>
    issues(
      {},
      {
        components: base.components.map((c) =>
          c.name === "jobs" ? { ...c, egress: [{ cidr }] } : c,
        ),
      },
    );
  const host = withEgress("api.stripe.com");
  assert.deepEqual(errorsAt(host), ["spec.components[3].egress[0].cidr"]);
  assert.match(host[0]?.message ?? "", /host name/);
  assert.match(host[0]?.hint ?? "", /networkPolicy.egress: false/);
  assert.deepEqual(errorsAt(withEgress("not a cidr")), ["spec.components[3].egress[0].cidr"]);
  assert.deepEqual(errorsAt(withEgress("203.0.113.0/24")), []);
});

// Gateway API, Envoy Gateway and Istio appear and go while the operator runs,
// with their real CRDs (test/cluster/integration-crds.ts): the HTTPRoute, the
// BackendTrafficPolicy and the DestinationRules are created when the kinds are
// served and the *Missing conditions clear; when the CRDs go, the conditions
// return. Their controllers do not run here: this checks archctl's side.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Architecture } from "../../operator/api/schema.ts";
import type { ResourceType } from "../../operator/kube/resources.ts";
import { resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { type IntegrationName, installIntegrationCrds } from "../cluster/integration-crds.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import {
  architecture,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  startOperator,
} from "../support/operator.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const ROUTES = resourceFor("gateway.networking.k8s.io/v1", "HTTPRoute");
const POLICIES = resourceFor("gateway.envoyproxy.io/v1alpha1", "BackendTrafficPolicy");
const RULES = resourceFor("networking.istio.io/v1", "DestinationRule");
const INGRESSES = resourceFor("networking.k8s.io/v1", "Ingress");
const MISSING = ["GatewayApiMissing", "EnvoyGatewayMissing", "IstioMissing"];
const INTEGRATIONS: IntegrationName[] = ["gateway-api", "envoy-gateway", "istio"];

test("Gateway API, Envoy Gateway and Istio installed while the operator runs: routes, policies and DestinationRules appear; removed, the conditions return", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-gw" });
  const client = clientFor(cluster);
  await startOperator(t, cluster, ns, { discoverySeconds: 1 });
  const arch: Architecture = architecture("shop", ns, {
    components: [
      { name: "api", type: "service", image: "ghcr.io/example/shop-api:1.0", uses: ["cache"] },
      { name: "cache", type: "redis" },
    ],
    ingress: {
      provider: "gateway",
      gateway: { name: "edge" },
      hosts: [{ host: "shop.example.com", routes: [{ path: "/", component: "api" }] }],
      rateLimit: { rps: 10 },
      circuitBreaker: { maxConnections: 100 },
    },
    mesh: { connectionPool: { maxConnections: 50 } },
    monitoring: { serviceMonitors: false, dashboard: false },
  });
  await client.apply(arch as unknown as KubeObject, { fieldManager: "archctl-test", force: true });
  const conditions = async () =>
    new Set(
      ((await getArchitecture(client, ns, "shop"))?.status?.conditions ?? [])
        .filter((c) => c.status === "True")
        .map((c) => c.type),
    );
  const has = async (r: ResourceType, name: string) =>
    (await client.find(r, ns, name)) !== undefined;
  await converged(cluster, client, ns, "shop");
  await cluster.eventually(
    "GatewayApiMissing and IstioMissing, no Ingress",
    async () => {
      const c = await conditions();
      return c.has("GatewayApiMissing") && c.has("IstioMissing") && !(await has(INGRESSES, "shop"));
    },
    30_000,
  );

  const created = await installIntegrationCrds(cluster.kubectl, INTEGRATIONS);
  const removeCrds = async () => {
    if (created.length)
      await cluster.kubectl(
        ["delete", "--ignore-not-found", "--wait=true", ...created.map((c) => `crd/${c}`)],
        { reject: false, timeoutMs: 120_000 },
      );
  };
  t.after(removeCrds);
  assert.ok(created.length > 0, "the CRDs were not there before");
  const installed = Date.now();
  await cluster.eventually(
    "HTTPRoute, BackendTrafficPolicy, DestinationRule; no *Missing condition",
    async () => {
      const c = await conditions();
      return (
        (await has(ROUTES, "shop-shop-example-com")) &&
        (await has(POLICIES, "shop-shop-example-com")) &&
        (await has(RULES, "shop-cache")) &&
        MISSING.every((m) => !c.has(m))
      );
    },
    60_000,
  );
  const noticedMs = Date.now() - installed;

  await removeCrds();
  const removed = Date.now();
  await cluster.eventually(
    "GatewayApiMissing and IstioMissing back",
    async () => {
      const c = await conditions();
      return c.has("GatewayApiMissing") && c.has("IstioMissing");
    },
    60_000,
  );
  t.diagnostic(
    `${created.length} real CRDs: used ${noticedMs} ms after they were created; their removal handled in ${Date.now() - removed} ms (discovery every 1 s here)`,
  );
});

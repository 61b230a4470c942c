// Which optional integrations discovery finds (pure: discovery documents in, capabilities out).
import assert from "node:assert/strict";
import { test } from "node:test";
import { capabilitiesFrom } from "../../../operator/integrations.ts";

// The integrations added with Gateway API, all absent unless a test serves them.
const OTHERS = {
  gatewayApi: false,
  envoyGateway: false,
  certManager: false,
  istio: false,
  externalSecrets: false,
};

const served =
  (groups: Record<string, string[]>) =>
  (gv: string): string[] | undefined =>
    groups[gv];

test("no optional groups: neither KEDA nor ServiceMonitors", () => {
  assert.deepEqual(capabilitiesFrom(served({})), {
    keda: false,
    serviceMonitors: false,
    ...OTHERS,
  });
});

test("KEDA needs both kinds the renderer emits; a ScaledObject CRD alone is not enough", () => {
  assert.deepEqual(capabilitiesFrom(served({ "keda.sh/v1alpha1": ["scaledobjects"] })), {
    keda: false,
    serviceMonitors: false,
    ...OTHERS,
  });
  assert.deepEqual(
    capabilitiesFrom(
      served({
        "keda.sh/v1alpha1": ["scaledobjects", "scaledobjects/status", "triggerauthentications"],
        "monitoring.coreos.com/v1": ["servicemonitors", "podmonitors", "prometheusrules"],
      }),
    ),
    { keda: true, serviceMonitors: true, ...OTHERS },
  );
});

test("a group that is served without the kind (another version's CRD) does not count", () => {
  assert.deepEqual(capabilitiesFrom(served({ "monitoring.coreos.com/v1": ["prometheusrules"] })), {
    keda: false,
    serviceMonitors: false,
    ...OTHERS,
  });
});

test("Gateway API needs HTTPRoute and ReferenceGrant; Envoy Gateway, cert-manager and Istio their one kind", () => {
  const onlyRoutes = capabilitiesFrom(served({ "gateway.networking.k8s.io/v1": ["httproutes"] }));
  assert.equal(onlyRoutes.gatewayApi, false, "ReferenceGrant (v1beta1) missing");
  const all = capabilitiesFrom(
    served({
      "gateway.networking.k8s.io/v1": ["httproutes", "gateways"],
      "gateway.networking.k8s.io/v1beta1": ["referencegrants"],
      "gateway.envoyproxy.io/v1alpha1": ["backendtrafficpolicies", "clienttrafficpolicies"],
      "cert-manager.io/v1": ["certificates"],
      "networking.istio.io/v1": ["destinationrules"],
    }),
  );
  assert.deepEqual(all, {
    keda: false,
    serviceMonitors: false,
    gatewayApi: true,
    envoyGateway: true,
    certManager: true,
    istio: true,
    externalSecrets: false,
  });
});

test("the External Secrets Operator counts when its ExternalSecret kind is served at v1", () => {
  assert.equal(
    capabilitiesFrom(served({ "external-secrets.io/v1": ["externalsecrets", "secretstores"] }))
      .externalSecrets,
    true,
  );
  assert.equal(
    capabilitiesFrom(served({ "external-secrets.io/v1beta1": ["externalsecrets"] }))
      .externalSecrets,
    false,
  );
});

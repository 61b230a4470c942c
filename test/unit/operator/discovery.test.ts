// Which optional integrations discovery finds (pure: discovery documents in, capabilities out).
import assert from "node:assert/strict";
import { test } from "node:test";
import { capabilitiesFrom } from "../../../operator/integrations.ts";

const served =
  (groups: Record<string, string[]>) =>
  (gv: string): string[] | undefined =>
    groups[gv];

test("no optional groups: neither KEDA nor ServiceMonitors", () => {
  assert.deepEqual(capabilitiesFrom(served({})), {
    keda: false,
    serviceMonitors: false,
    externalSecrets: false,
  });
});

test("KEDA needs both kinds the renderer emits; a ScaledObject CRD alone is not enough", () => {
  assert.deepEqual(capabilitiesFrom(served({ "keda.sh/v1alpha1": ["scaledobjects"] })), {
    keda: false,
    serviceMonitors: false,
    externalSecrets: false,
  });
  assert.deepEqual(
    capabilitiesFrom(
      served({
        "keda.sh/v1alpha1": ["scaledobjects", "scaledobjects/status", "triggerauthentications"],
        "monitoring.coreos.com/v1": ["servicemonitors", "podmonitors"],
      }),
    ),
    { keda: true, serviceMonitors: true, externalSecrets: false },
  );
});

test("a group that is served without the kind (another version's CRD) does not count", () => {
  assert.deepEqual(capabilitiesFrom(served({ "monitoring.coreos.com/v1": ["prometheusrules"] })), {
    keda: false,
    serviceMonitors: false,
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

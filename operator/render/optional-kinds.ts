// The kinds the renderer emits only when the cluster serves them, and how an
// offline render chooses them from `--api-versions` (as `helm template
// --api-versions` does). Pure.
import { type Capabilities, noCapabilities } from "./types.ts";

export interface OptionalKind {
  capability: keyof Capabilities;
  apiVersion: string;
  kind: string;
  /** What installs it, for messages. */
  from: string;
}

export const OPTIONAL_KINDS: readonly OptionalKind[] = [
  {
    capability: "serviceMonitors",
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    from: "the Prometheus Operator",
  },
  {
    capability: "serviceMonitors",
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    from: "the Prometheus Operator",
  },
  { capability: "keda", apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", from: "KEDA" },
  {
    capability: "externalSecrets",
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    from: "the External Secrets Operator",
  },
  {
    capability: "gatewayApi",
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    from: "Gateway API",
  },
  {
    capability: "envoyGateway",
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "BackendTrafficPolicy",
    from: "Envoy Gateway",
  },
  {
    capability: "certManager",
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    from: "cert-manager",
  },
  {
    capability: "istio",
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    from: "Istio",
  },
];

/** `monitoring.coreos.com/v1/ServiceMonitor`: the form --api-versions takes and notes print. */
export function kindId(k: OptionalKind): string {
  return `${k.apiVersion}/${k.kind}`;
}

export interface ApiVersionChoice {
  capabilities: Capabilities;
  /** Entries that name an optional kind's group wrongly (a typo would otherwise mean "absent"). */
  problems: string[];
}

/**
 * The capabilities an `--api-versions` list describes. Each entry (commas also
 * separate) is GROUP/VERSION or GROUP/VERSION/KIND; `none` lists nothing. An
 * optional kind is present when its group/version or group/version/kind is
 * listed, absent otherwise. Entries for other APIs (apps/v1) are accepted and
 * change nothing, as in Helm.
 */
export function capabilitiesFromApiVersions(values: readonly string[]): ApiVersionChoice {
  const entries = values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "" && v !== "none");
  const capabilities: Capabilities = noCapabilities();
  const problems: string[] = [];
  for (const entry of entries) {
    const group = entry.split("/")[0];
    const sameGroup = OPTIONAL_KINDS.filter((k) => k.apiVersion.split("/")[0] === group);
    if (sameGroup.length === 0) continue;
    const match = sameGroup.find((k) => entry === k.apiVersion || entry === kindId(k));
    if (match) capabilities[match.capability] = true;
    else
      problems.push(
        `--api-versions ${entry}: archctl renders ${sameGroup.map(kindId).join(", ")} from that group; use that form`,
      );
  }
  return { capabilities, problems };
}

/** One line per state: which optional kinds a render assumed present and absent. */
export function assumedKindsLines(capabilities: Capabilities): string[] {
  const present = OPTIONAL_KINDS.filter((k) => capabilities[k.capability]).map(kindId);
  const absent = OPTIONAL_KINDS.filter((k) => !capabilities[k.capability]).map(kindId);
  return [
    ...(present.length ? [`assumed present: ${present.join(", ")}`] : []),
    ...(absent.length ? [`assumed absent (not rendered): ${absent.join(", ")}`] : []),
  ];
}

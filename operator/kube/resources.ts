// The API resources archctl reads and writes, as a static table: the set is fixed
// by the renderer, so discovery round-trips are not needed on the hot path.
import type { Capabilities, CapabilityName } from "../render/types.ts";

export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** An optional integration whose CRD may be absent (KEDA, Prometheus Operator). */
  optional?: boolean;
}

const t = (
  apiVersion: string,
  kind: string,
  plural: string,
  namespaced = true,
  optional = false,
): ResourceType =>
  optional
    ? { apiVersion, kind, plural, namespaced, optional }
    : { apiVersion, kind, plural, namespaced };

export const ARCHITECTURES = t("archctl.io/v1alpha1", "Architecture", "architectures");
export const NAMESPACES = t("v1", "Namespace", "namespaces", false);
export const LEASES = t("coordination.k8s.io/v1", "Lease", "leases");
export const EVENTS = t("events.k8s.io/v1", "Event", "events");
export const CRDS = t(
  "apiextensions.k8s.io/v1",
  "CustomResourceDefinition",
  "customresourcedefinitions",
  false,
);
export const PODS = t("v1", "Pod", "pods");

/** Every kind the operator owns, in the order the renderer applies them. */
export const OWNED: ResourceType[] = [
  t("v1", "ServiceAccount", "serviceaccounts"),
  t("v1", "Secret", "secrets"),
  t("v1", "ConfigMap", "configmaps"),
  t("v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
  t("v1", "Service", "services"),
  t("apps/v1", "StatefulSet", "statefulsets"),
  t("apps/v1", "Deployment", "deployments"),
  t("batch/v1", "Job", "jobs"),
  t("batch/v1", "CronJob", "cronjobs"),
  t("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
  t("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  t("networking.k8s.io/v1", "Ingress", "ingresses"),
  t("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
  t("keda.sh/v1alpha1", "ScaledObject", "scaledobjects", true, true),
  t("keda.sh/v1alpha1", "TriggerAuthentication", "triggerauthentications", true, true),
  t("monitoring.coreos.com/v1", "ServiceMonitor", "servicemonitors", true, true),
  t("monitoring.coreos.com/v1", "PrometheusRule", "prometheusrules", true, true),
  t("external-secrets.io/v1", "ExternalSecret", "externalsecrets", true, true),
  t("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes", true, true),
  t("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", "referencegrants", true, true),
  t("gateway.envoyproxy.io/v1alpha1", "BackendTrafficPolicy", "backendtrafficpolicies", true, true),
  t("cert-manager.io/v1", "Certificate", "certificates", true, true),
  t("networking.istio.io/v1", "DestinationRule", "destinationrules", true, true),
];

/** API group -> the optional integration that serves it. */
const CAPABILITY_OF_GROUP: Record<string, CapabilityName> = {
  "keda.sh": "keda",
  "monitoring.coreos.com": "serviceMonitors",
  "gateway.networking.k8s.io": "gatewayApi",
  "gateway.envoyproxy.io": "envoyGateway",
  "cert-manager.io": "certManager",
  "networking.istio.io": "istio",
  "external-secrets.io": "externalSecrets",
};

const BY_KIND = new Map(
  [...OWNED, ARCHITECTURES, NAMESPACES, LEASES, EVENTS, CRDS, PODS].map((r) => [
    `${r.apiVersion}/${r.kind}`,
    r,
  ]),
);

/** Which optional integration an optional kind belongs to (KEDA, Gateway API, ...). */
export function capabilityOf(r: ResourceType): CapabilityName {
  const cap = CAPABILITY_OF_GROUP[r.apiVersion.split("/")[0] as string];
  if (!cap) throw new Error(`${r.apiVersion} ${r.kind} belongs to no optional integration`);
  return cap;
}

/** "apiVersion/kind" of every owned kind the renderer may emit with these integrations present. */
export function ownedKinds(capabilities: Capabilities): Set<string> {
  return new Set(
    OWNED.filter((r) => !r.optional || capabilities[capabilityOf(r)] === true).map(
      (r) => `${r.apiVersion}/${r.kind}`,
    ),
  );
}

export function resourceFor(apiVersion: string, kind: string): ResourceType {
  const r = BY_KIND.get(`${apiVersion}/${kind}`);
  if (!r) throw new Error(`archctl does not know the resource ${apiVersion} ${kind}`);
  return r;
}

/** REST path of a collection (namespace undefined = all namespaces) or of one object. */
export function resourcePath(
  r: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const base = r.apiVersion.includes("/") ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const obj = name ? `/${encodeURIComponent(name)}` : "";
  const sub = subresource ? `/${subresource}` : "";
  return `${base}${ns}/${r.plural}${obj}${sub}`;
}

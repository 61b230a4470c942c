// Names and labels of every object an Architecture owns, in one place, so that
// the renderer and the length checks cannot disagree.
import type { ComponentType } from "./schema.ts";
import { API_VERSION, isAppType, KIND } from "./schema.ts";

export const MANAGED_BY = "archctl-operator";
export const PART_OF = "archctl";
export const ARCHITECTURE_LABEL = "archctl.io/architecture";
export const COMPONENT_LABEL = "app.kubernetes.io/component";
export const FINALIZER = "archctl.io/cleanup";
/** Set by `archctl env create` on a namespace and its Architecture: the namespace goes when the Architecture expires. */
export const EPHEMERAL_NAMESPACE_LABEL = "archctl.io/environment";

/** The reference every child carries to its Architecture (controller, blocks deletion). */
export function ownerReference(architecture: string, uid: string) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: architecture,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** `<architecture>-<component>[-suffix]`. */
export function childName(architecture: string, component: string, suffix?: string): string {
  return suffix ? `${architecture}-${component}-${suffix}` : `${architecture}-${component}`;
}

/** The Secret that holds a datastore's generated credentials. */
export function credentialsSecretName(architecture: string, component: string): string {
  return childName(architecture, component, "credentials");
}

/** Labels every child carries (selector labels are a stable subset of these). */
export function childLabels(architecture: string, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/instance": `${architecture}-${component}`,
    [COMPONENT_LABEL]: component,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": MANAGED_BY,
    [ARCHITECTURE_LABEL]: architecture,
  };
}

/** The labels a workload's selector matches on: never changed after creation. */
export function selectorLabels(architecture: string, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/instance": `${architecture}-${component}`,
    [ARCHITECTURE_LABEL]: architecture,
  };
}

// Kubernetes limits: most names are DNS-1123 subdomains (253), Services and
// labels 63; a StatefulSet's name goes into the controller-revision-hash label
// with an 11-character suffix and a CronJob's into its Jobs' names the same way,
// so both must stay within 52.
export interface NameBudget {
  name: string;
  max: number;
  what: string;
}

/** Every name with a tight limit that a component of this type produces. */
export function namesWithLimits(
  architecture: string,
  component: string,
  type: ComponentType,
  backedUp: boolean,
): NameBudget[] {
  const base = childName(architecture, component);
  const out: NameBudget[] = [{ name: base, max: 63, what: "Service" }];
  const datastore = !isAppType(type);
  if (datastore) {
    out.push({ name: base, max: 52, what: "StatefulSet" });
    out.push({
      name: childName(architecture, component, "headless"),
      max: 63,
      what: "headless Service",
    });
  }
  if (type === "cron") out.push({ name: base, max: 52, what: "CronJob" });
  if (type === "milvus") {
    out.push({
      name: childName(architecture, component, "minio"),
      max: 52,
      what: "MinIO StatefulSet",
    });
    out.push({
      name: childName(architecture, component, "minio-headless"),
      max: 63,
      what: "MinIO headless Service",
    });
  }
  if (type === "kafka")
    out.push({ name: childName(architecture, component, "topics"), max: 63, what: "topics Job" });
  if (backedUp)
    out.push({
      name: childName(architecture, component, "backup"),
      max: 52,
      what: "backup CronJob",
    });
  return out;
}

/**
 * Every object name a component produces, whatever the kind: two components
 * must not share one (`db`'s headless Service and a component `db-headless`
 * would both be `<architecture>-db-headless`).
 */
export function derivedNames(
  architecture: string,
  component: string,
  type: ComponentType,
  opts: { backedUp: boolean; queueScaled: boolean },
): string[] {
  const suffixes: string[] = [];
  const datastore = !isAppType(type);
  if (datastore) suffixes.push("headless", "credentials");
  if (type === "rabbitmq") suffixes.push("config");
  if (type === "kafka") suffixes.push("topics");
  if (type === "postgres") suffixes.push("ro", "replication", "scripts");
  if (type === "redis") suffixes.push("sentinel", "sentinel-headless", "scripts");
  if (type === "milvus") suffixes.push("etcd", "etcd-headless", "minio", "minio-headless");
  if (opts.backedUp) suffixes.push("backup", "backups");
  if (opts.queueScaled) suffixes.push("queue");
  return [
    childName(architecture, component),
    ...suffixes.map((s) => childName(architecture, component, s)),
  ];
}

// The operator's RBAC rules, written once. `archctl install` builds its Roles
// from these, and the Helm chart reads the same rules from
// charts/archctl/files/rbac-rules.yaml, which is generated from this module
// (operator/install/chart-files.ts) and checked for drift by a test.
//
// Least privilege, derived from what the operator sends (see the README of the
// chart for the reason behind every rule):
// - caches (informers) of Architectures and of every owned kind: list + watch;
//   the operator reads its caches, and GETs one object of an owned kind only
//   when it is about to create it: the caches hold only what archctl labelled,
//   and a name someone else holds must not be applied over (NameTaken);
// - owned children: server-side apply (patch, and create when the object is
//   new), delete to prune and to recreate a Job whose template changed;
// - Secrets: created once, patched to adopt/release, never deleted or pruned;
// - PersistentVolumeClaims: deleted only under deletionPolicy: Delete;
// - Pods: list + watch only, for a cache of the pods of Architectures (the
//   status says why a component is not ready: unschedulable, crash loop, ...);
// - Architectures: patch (finalizer), delete (TTL expiry), status patch, and
//   update of the finalizers subresource, which the OwnerReferencesPermission-
//   Enforcement admission plugin requires for blockOwnerDeletion owner refs;
// - events.k8s.io Events: create; Namespaces: get + delete (ephemeral
//   environments whose TTL ran out);
// - the leader Lease only in the operator's own namespace, and only the Lease
//   named archctl-operator may be read or renewed.
import { GROUP, PLURAL } from "../api/schema.ts";
import { OWNED } from "../kube/resources.ts";

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

export const LEASE_NAME = "archctl-operator";

const groupOf = (apiVersion: string): string =>
  apiVersion.includes("/") ? (apiVersion.split("/")[0] as string) : "";

/** Owned kinds grouped by API group, in a stable order (sorted group, then OWNED order). */
function ownedRules(skip: (plural: string) => boolean, verbs: string[]): PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const r of OWNED) {
    if (skip(r.plural)) continue;
    const g = groupOf(r.apiVersion);
    byGroup.set(g, [...(byGroup.get(g) ?? []), r.plural]);
  }
  return [...byGroup.keys()]
    .sort()
    .map((g) => ({ apiGroups: [g], resources: byGroup.get(g) ?? [], verbs: [...verbs] }));
}

const SPECIAL = new Set(["secrets", "persistentvolumeclaims"]);

/**
 * What the operator needs in every namespace it watches (a ClusterRole in
 * cluster scope, one Role per watched namespace in namespace scope).
 */
export function operatorRules(): PolicyRule[] {
  return [
    {
      apiGroups: [GROUP],
      resources: [PLURAL],
      verbs: ["list", "watch", "patch", "delete"],
    },
    { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ["patch"] },
    { apiGroups: [GROUP], resources: [`${PLURAL}/finalizers`], verbs: ["update"] },
    ...ownedRules((p) => SPECIAL.has(p), ["get", "list", "watch", "create", "patch", "delete"]),
    {
      apiGroups: [""],
      resources: ["secrets"],
      verbs: ["get", "list", "watch", "create", "patch"],
    },
    {
      apiGroups: [""],
      resources: ["persistentvolumeclaims"],
      verbs: ["get", "list", "watch", "create", "patch", "delete"],
    },
    { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
    { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "delete"] },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create"] },
  ];
}

/** Discovery of the optional integrations (KEDA, Prometheus Operator): cluster scope only. */
export function discoveryRules(): PolicyRule[] {
  const urls = [
    ...new Set(OWNED.filter((r) => r.optional).map((r) => `/apis/${r.apiVersion}`)),
  ].sort();
  return [{ nonResourceURLs: urls, verbs: ["get"] }];
}

/** Leader election, in the operator's own namespace. */
export function leaderElectionRules(): PolicyRule[] {
  return [
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    {
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      resourceNames: [LEASE_NAME],
      verbs: ["get", "update"],
    },
  ];
}

/** The document written to charts/archctl/files/rbac-rules.yaml. */
export function rbacRulesDocument(): {
  operator: PolicyRule[];
  discovery: PolicyRule[];
  leaderElection: PolicyRule[];
} {
  return {
    operator: operatorRules(),
    discovery: discoveryRules(),
    leaderElection: leaderElectionRules(),
  };
}

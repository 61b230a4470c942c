// Changes Kubernetes can only carry out by deleting and recreating an object.
// For a StatefulSet that would orphan or lose its data volumes, so the operator
// refuses them and says what to do instead. Pure.
import { COMPONENT_LABEL } from "../api/names.ts";
import { ALLOW_SHRINK_ANNOTATION, memberChangeRefusal } from "../api/semantics/membership.ts";
import type { KubeObject } from "../kube/types.ts";
import { ENGINE_ANNOTATION } from "../render/datastores/statefulset.ts";
import type { BlockedChange } from "../status/rollup.ts";
import { canonicalJson, containsDesired } from "./drift.ts";
import { desiredOwnedDigest } from "./owned-digest.ts";

export type { BlockedChange } from "../status/rollup.ts";

interface StatefulSetLike {
  metadata?: { annotations?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: unknown;
    serviceName?: string;
    podManagementPolicy?: string;
    volumeClaimTemplates?: {
      metadata?: { name?: string };
      spec?: { resources?: { requests?: { storage?: string } }; storageClassName?: string };
    }[];
  };
}

function describeClaims(sts: StatefulSetLike): string {
  return (sts.spec?.volumeClaimTemplates ?? [])
    .map(
      (t) =>
        `${t.metadata?.name}=${t.spec?.resources?.requests?.storage ?? "?"}${t.spec?.storageClassName ? `/${t.spec.storageClassName}` : ""}`,
    )
    .join(", ");
}

export function destructiveChange(
  desired: KubeObject,
  live: KubeObject | undefined,
): BlockedChange | undefined {
  if (!live || desired.kind !== "StatefulSet") return undefined;
  const want = desired as StatefulSetLike;
  const have = live as StatefulSetLike;
  const name = desired.metadata.name;
  const component = desired.metadata.labels?.[COMPONENT_LABEL];
  const of = component ? ` of component ${component}` : "";
  const where = component ? { component } : {};
  const claimsWant = (want.spec?.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata?.name,
    spec: t.spec,
  }));
  const claimsHave = (have.spec?.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata?.name,
    spec: t.spec,
  }));
  if (!containsDesired(claimsWant, claimsHave)) {
    return {
      kind: "StatefulSet",
      name,
      field: "spec.volumeClaimTemplates",
      ...where,
      message: `StatefulSet ${name}: the data volume template changed (${describeClaims(have)} -> ${describeClaims(want)}), which Kubernetes cannot do in place. Revert the storage change${of}, or resize the PVCs directly (if the storage class allows expansion) and then delete the StatefulSet with --cascade=orphan so archctl recreates it on the same volumes.`,
    };
  }
  const engine = want.metadata?.annotations?.[ENGINE_ANNOTATION];
  const from = have.spec?.replicas;
  const to = want.spec?.replicas;
  if (engine && from !== undefined && to !== undefined) {
    const forced = want.metadata?.annotations?.[ALLOW_SHRINK_ANNOTATION] === "true";
    const refusal = memberChangeRefusal(engine, component ?? name, from, to, forced);
    if (refusal)
      return {
        kind: "StatefulSet",
        name,
        field: "spec.replicas",
        ...where,
        message: `StatefulSet ${name}: ${refusal.message}. ${refusal.hint}.`,
      };
  }
  for (const field of ["selector", "serviceName", "podManagementPolicy"] as const) {
    const w = want.spec?.[field];
    const h = have.spec?.[field];
    if (
      w !== undefined &&
      h !== undefined &&
      canonicalJson(w) !== canonicalJson(h) &&
      !containsDesired(w, h)
    ) {
      return {
        kind: "StatefulSet",
        name,
        field: `spec.${field}`,
        ...where,
        message: `StatefulSet ${name}: spec.${field} cannot change in place. Revert the change${of}, or delete the StatefulSet with --cascade=orphan so archctl recreates it on the same volumes.`,
      };
    }
  }
  return undefined;
}

/**
 * A Job's pod template cannot change in place; unlike a StatefulSet it holds no
 * data, so a changed Job (a new ingestion image, say) is deleted and created
 * again, which runs it again: what a user changing a one-shot job means.
 */
export function needsRecreate(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (!live || desired.kind !== "Job") return false;
  const want = (desired as { spec?: { template?: unknown } }).spec?.template;
  if (want === undefined) return false;
  // The operator's cache keeps the digest of the template it applied (runtime/child-entry.ts).
  const spec = (live as { spec?: { template?: unknown; templateDigest?: unknown } }).spec;
  if (typeof spec?.templateDigest === "string")
    return spec.templateDigest !== desiredOwnedDigest(desired, ["spec", "template"]);
  return !containsDesired(want, spec?.template);
}

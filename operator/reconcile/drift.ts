// Deciding, without a request, whether a child needs to be applied: its desired
// content changed since the operator last applied it (a hash annotation), or
// someone changed it by hand (the live object no longer contains every field
// the operator wants). Pure.
import { createHash } from "node:crypto";
import { quantityValue } from "../api/quantity.ts";
import type { KubeObject } from "../kube/types.ts";
import { desiredOwnedDigest } from "./owned-digest.ts";

export { quantityValue } from "../api/quantity.ts";

export const HASH_ANNOTATION = "archctl.io/applied-hash";

/** Canonical JSON: object keys sorted, so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

export function contentHash(obj: KubeObject): string {
  return createHash("sha256").update(canonicalJson(obj)).digest("hex").slice(0, 16);
}

/** The object as it is applied: its content hash recorded in an annotation. */
export function withHash(obj: KubeObject): KubeObject {
  const hash = contentHash(obj);
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      annotations: { ...obj.metadata.annotations, [HASH_ANNOTATION]: hash },
    },
  };
}

function sameScalar(want: unknown, have: unknown): boolean {
  if (want === have) return true;
  // The API server normalises quantities ("1000m" -> "1") and int-or-strings.
  const a = quantityValue(want);
  const b = quantityValue(have);
  if (a !== undefined && b !== undefined) return Math.abs(a - b) <= Math.abs(a) * 1e-9;
  return String(want) === String(have) && (typeof want === "number" || typeof have === "number");
}

/** Does `live` contain every field of `desired` with the same value? Lists must match item by item. */
export function containsDesired(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => containsDesired(d, live[i]));
  }
  if (desired !== null && typeof desired === "object") {
    if (live === null || typeof live !== "object" || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    for (const [k, v] of Object.entries(desired as Record<string, unknown>)) {
      if (v === undefined) continue;
      if (!(k in l)) {
        // The API server drops empty maps and lists: absent equals empty.
        if (
          (Array.isArray(v) && v.length === 0) ||
          (v !== null && typeof v === "object" && Object.keys(v).length === 0)
        )
          continue;
        return false;
      }
      if (!containsDesired(v, l[k])) return false;
    }
    return true;
  }
  return sameScalar(desired, live);
}

/** Fields the API server owns or sets; never compared. */
function comparable(obj: KubeObject): Record<string, unknown> {
  const { status: _status, ...rest } = obj as KubeObject & { status?: unknown };
  return rest;
}

export interface ApplyDecision {
  apply: boolean;
  reason: "missing" | "changed" | "drifted" | "unchanged";
}

/**
 * `desired` must already carry its hash annotation (see withHash). `live` is
 * either a whole object (the CLI reads them from the API server) or an
 * operator cache entry, which carries `ownedDigest` in place of its content
 * (runtime/child-entry.ts, reconcile/owned-digest.ts).
 */
export function decideApply(desired: KubeObject, live: KubeObject | undefined): ApplyDecision {
  if (!live) return { apply: true, reason: "missing" };
  const want = desired.metadata.annotations?.[HASH_ANNOTATION];
  const have = live.metadata.annotations?.[HASH_ANNOTATION];
  if (want !== have) return { apply: true, reason: "changed" };
  const drifted =
    typeof live.ownedDigest === "string"
      ? live.ownedDigest !== desiredOwnedDigest(desired)
      : !containsDesired(comparable(desired), live);
  if (drifted) return { apply: true, reason: "drifted" };
  return { apply: false, reason: "unchanged" };
}

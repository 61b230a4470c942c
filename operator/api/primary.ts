// Which member of a primary/replica datastore is the primary. The first member
// (ordinal 0) until `archctl failover` records another in an annotation of the
// Architecture, `primary.archctl.io/<component>: "<ordinal>"`: the renderer
// points the read-write Service at it, and a reconcile keeps it there.

export const PRIMARY_ANNOTATION_PREFIX = "primary.archctl.io/";

export function primaryAnnotation(component: string): string {
  return `${PRIMARY_ANNOTATION_PREFIX}${component}`;
}

/** component -> primary ordinal, from the Architecture's annotations (bad values ignored). */
export function primaryOrdinals(
  annotations: Record<string, string> | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(PRIMARY_ANNOTATION_PREFIX)) continue;
    if (!/^(0|[1-9][0-9]{0,3})$/.test(value)) continue;
    out[key.slice(PRIMARY_ANNOTATION_PREFIX.length)] = Number(value);
  }
  return out;
}

/** The primary's ordinal, clamped into the member range (a scale-down below it falls back to 0). */
export function primaryOrdinal(
  primaries: Record<string, number> | undefined,
  component: string,
  members: number,
): number {
  const ordinal = primaries?.[component] ?? 0;
  return ordinal < members ? ordinal : 0;
}

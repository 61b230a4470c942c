// An experiment measured by cache-entry.ts, not used by the operator: a cached
// child projected onto archctl-operator's managed fields (metadata.managedFields,
// fieldsV1) — the values the operator applied, nothing the API server
// defaulted or other managers added. Drift detection would still see every
// owned field (a field another manager changes leaves the operator's set).
// Measured: 5% less heap per cached child than the whole lean entry, not the
// 80% the issue asks for (ANALYSIS.md, "Heap per cached child"); so the
// operator does not use it.

/** A fieldsV1 set: "f:<field>", "k:<key json>", "v:<value json>", "i:<index>", "." keys. */
export type FieldSet = { [key: string]: FieldSet };

interface ManagedFieldsEntry {
  manager?: string;
  subresource?: string;
  fieldsV1?: FieldSet;
}

function merge(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? merge(out[k], v) : v;
  return out;
}

/** The union of `manager`'s sets on the object itself (not on its status subresource). */
export function ownedFieldSet(managedFields: unknown, manager: string): FieldSet | undefined {
  if (!Array.isArray(managedFields)) return undefined;
  let set: FieldSet | undefined;
  for (const e of managedFields as ManagedFieldsEntry[]) {
    if (e?.manager !== manager || e.subresource || !e.fieldsV1) continue;
    set = set ? merge(set, e.fieldsV1) : e.fieldsV1;
  }
  return set;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** JSON values equal for a list key (the API server's key values are scalars). */
function sameKeyValue(a: unknown, b: unknown): boolean {
  return a === b || (a !== undefined && b !== undefined && String(a) === String(b));
}

function itemMatches(item: unknown, index: number, key: string): boolean {
  if (key.startsWith("i:")) return Number(key.slice(2)) === index;
  try {
    if (key.startsWith("k:")) {
      const want = JSON.parse(key.slice(2)) as Record<string, unknown>;
      return isObject(item) && Object.entries(want).every(([k, v]) => sameKeyValue(item[k], v));
    }
    if (key.startsWith("v:"))
      return JSON.stringify(item) === JSON.stringify(JSON.parse(key.slice(2)));
  } catch {} // a key this code does not understand matches nothing
  return false;
}

/**
 * `value` reduced to the fields of `set`. A set with no children (a leaf, or an
 * atomic map or list) keeps the value whole; list items are kept in their
 * order, those the set names only.
 */
export function projectFields(value: unknown, set: FieldSet): unknown {
  const keys = Object.keys(set).filter((k) => k !== ".");
  if (keys.length === 0) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const key = keys.find((k) => itemMatches(item, i, k));
      if (key !== undefined) out.push(projectFields(item, set[key] as FieldSet));
    });
    return out;
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (!k.startsWith("f:")) continue;
    const name = k.slice(2);
    if (name in value) out[name] = projectFields(value[name], set[k] as FieldSet);
  }
  return out;
}

/** A served object reduced to archctl-operator's fields, identity, the hash annotation and status. */
export function ownedProjection(o: Record<string, unknown>): Record<string, unknown> {
  const meta = o.metadata as Record<string, unknown>;
  const owned = ownedFieldSet(meta.managedFields, "archctl-operator");
  if (!owned) return o;
  const { apiVersion, kind, metadata: _m, status, ...body } = o;
  const projected = projectFields(body, owned) as Record<string, unknown>;
  const { managedFields: _f, annotations, ...identity } = meta;
  const kept = (
    owned["f:metadata"]?.["f:annotations"] && annotations
      ? projectFields(annotations, owned["f:metadata"]["f:annotations"])
      : {}
  ) as Record<string, string>;
  // Re-parsed: objects built key by key take more heap than JSON.parse makes.
  return JSON.parse(
    JSON.stringify({
      apiVersion,
      kind,
      metadata: { ...identity, annotations: kept },
      ...projected,
      ...(status !== undefined ? { status } : {}),
    }),
  );
}

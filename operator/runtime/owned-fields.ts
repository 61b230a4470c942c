// What of a cached child the operator owns: the API server records, per field
// manager, the set of fields each one set (metadata.managedFields, fieldsV1).
// The cache keeps an owned child projected onto archctl-operator's set: the
// values the operator applied, and nothing the API server defaulted or other
// managers added, which is most of a workload's bytes. Drift detection
// (reconcile/drift.ts: containsDesired) still sees every owned field: a field
// another manager changes (kubectl edit, a forced apply) leaves the operator's
// set, so it is missing from the projection and the child counts as drifted.
// Pure.

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

// Drift detection without keeping the object: a digest of the fields
// archctl-operator owns, with their values, that a cache entry keeps in place
// of the object's content. Pure.
//
// Why it works. With server-side apply, a field the operator applied stays in
// its managedFields entry only while it holds the value the operator applied:
// another writer that changes it (a forced apply, an update or patch such as
// `kubectl edit` or `kubectl scale`) takes it out of the operator's set, and a
// field someone removes leaves every set. So the live object projected onto
// the operator's set equals the desired object exactly when nothing drifted,
// up to the API server's normalisation (quantities such as "1000m" -> "1",
// numbers sent as strings, empty maps and lists dropped), which the digest
// folds away. Both sides are computed from what is at hand when needed: the
// live side when the watch event arrives (liveOwnedDigest), the desired side
// when a reconcile renders (desiredOwnedDigest). Nothing is recorded between
// the two, so an operator restart needs no re-apply and misses no drift that
// happened while it was down.
import { createHash } from "node:crypto";
import { quantityValue } from "../api/quantity.ts";

/** A fieldsV1 set: "f:<field>", "k:<key json>", "v:<value json>", "i:<index>" and "." keys. */
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

/** The union of `manager`'s sets on the object itself (not on a subresource such as status). */
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

/** Key values of a list item: the API server writes them as JSON scalars. */
function sameKeyValue(a: unknown, b: unknown): boolean {
  return a === b || (a !== undefined && b !== undefined && String(a) === String(b));
}

/** A test of list items for one item key of a set, its JSON parsed once. */
function itemMatcher(key: string): (item: unknown, index: number) => boolean {
  if (key.startsWith("i:")) {
    const n = Number(key.slice(2));
    return (_item, index) => index === n;
  }
  try {
    if (key.startsWith("k:")) {
      const want = Object.entries(JSON.parse(key.slice(2)) as Record<string, unknown>);
      return (item) => isObject(item) && want.every(([k, v]) => sameKeyValue(item[k], v));
    }
    if (key.startsWith("v:")) {
      const want = JSON.stringify(JSON.parse(key.slice(2)));
      return (item) => JSON.stringify(item) === want;
    }
  } catch {} // a key this code does not understand matches nothing: read as drift
  return () => false;
}

/**
 * Paths the API server treats as atomic (a list or map owned as one value), by
 * "apiVersion/kind", learnt from the sets seen: a structured value under a set
 * with no children. Only these are compared by presence, not value: the API
 * server fills defaults inside them (a StatefulSet's volumeClaimTemplates get
 * apiVersion, kind, status and volumeMode), and any change by another writer
 * moves the whole value out of the operator's set anyway. Schema facts, so the
 * table only grows, to a few dozen paths per kind; a restart learns them again
 * from the initial list, before any reconcile reads an entry.
 */
const atomicPaths = new Map<string, Set<string>>();

/** Stands for an atomic value the operator owns. */
const ATOMIC = "\u0000atomic";

const isEmpty = (v: unknown) =>
  v === null ||
  v === undefined ||
  (Array.isArray(v) ? v.length === 0 : typeof v === "object" && Object.keys(v).length === 0);

/**
 * `value` reduced to the fields of `set`, atomic values replaced by ATOMIC
 * (and their paths learnt into `atomic`). List items stay in their order, those
 * the set names only.
 */
function projectOwned(value: unknown, set: FieldSet, path: string, atomic: Set<string>): unknown {
  const keys = Object.keys(set).filter((k) => k !== ".");
  if (keys.length === 0) {
    if (value === null || typeof value !== "object") return value;
    if (isEmpty(value)) return undefined;
    atomic.add(path);
    return ATOMIC;
  }
  if (Array.isArray(value)) {
    const matchers = keys.map((k) => ({ set: set[k] as FieldSet, matches: itemMatcher(k) }));
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const m = matchers.find((x) => x.matches(item, i));
      if (m) out.push(projectOwned(item, m.set, `${path}[]`, atomic));
    });
    return out;
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (!k.startsWith("f:")) continue;
    const name = k.slice(2);
    if (name in value)
      out[name] = projectOwned(value[name], set[k] as FieldSet, `${path}.${name}`, atomic);
  }
  return out;
}

/** `value` with the atomic values at `atomic`'s paths replaced by ATOMIC, as projectOwned does. */
function markAtomic(value: unknown, path: string, atomic: ReadonlySet<string>): unknown {
  if (value === null || typeof value !== "object") return value;
  if (atomic.has(path)) return isEmpty(value) ? undefined : ATOMIC;
  if (Array.isArray(value)) return value.map((v) => markAtomic(v, `${path}[]`, atomic));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = markAtomic(v, `${path}.${k}`, atomic);
  return out;
}

function atomicOf(obj: Record<string, unknown>): Set<string> {
  const kind = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  let set = atomicPaths.get(kind);
  if (!set) {
    set = new Set();
    atomicPaths.set(kind, set);
  }
  return set;
}

/**
 * Canonical text of a JSON value: keys sorted; null, empty maps and empty
 * lists left out (the API server drops them); numbers and quantities by their
 * value, so "1000m" and "1", or 8080 and "8080", read the same.
 */
function canonical(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return `[${value.map((v) => canonical(v) ?? "null").join(",")}]`;
  }
  if (typeof value === "object") {
    const parts: string[] = [];
    for (const k of Object.keys(value).sort()) {
      const c = canonical((value as Record<string, unknown>)[k]);
      if (c !== undefined) parts.push(`${JSON.stringify(k)}:${c}`);
    }
    return parts.length ? `{${parts.join(",")}}` : undefined;
  }
  const q = quantityValue(value);
  if (q !== undefined) return `#${q}`;
  return JSON.stringify(value);
}

/** Identity and what the API server owns: not compared. */
function comparable(obj: Record<string, unknown>): Record<string, unknown> {
  const { apiVersion: _v, kind: _k, status: _s, metadata, ...body } = obj;
  if (!isObject(metadata)) return body;
  const { name: _n, namespace: _ns, managedFields: _f, ...meta } = metadata;
  return { ...body, metadata: meta };
}

/** The value at `path` of a JSON value (undefined when absent). */
const at = (value: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), value);

function digestAt(value: unknown, path: readonly string[]): string {
  const text = path.length
    ? canonical(at(value, path))
    : canonical(comparable(value as Record<string, unknown>));
  // 16 hex digits made from 8 bytes, not sliced from 64: a slice would keep
  // the whole 64-digit string alive in every cache entry.
  return createHash("sha256")
    .update(text ?? "")
    .digest()
    .toString("hex", 0, 8);
}

/**
 * The digest of what `manager` owns of a served object (with its
 * managedFields), of the whole object or of the part at `path` (a Job's
 * spec.template), or undefined when it owns nothing there (it never applied
 * the object: an apply is due anyway).
 */
export function liveOwnedDigest(
  obj: Record<string, unknown>,
  manager: string,
  path: readonly string[] = [],
): string | undefined {
  const metadata = obj.metadata;
  if (!isObject(metadata)) return undefined;
  const set = ownedFieldSet(metadata.managedFields, manager);
  if (!set) return undefined;
  return digestAt(projectOwned(obj, set, "", atomicOf(obj)), path);
}

/** The digest the live object has (at `path`) when it holds every field of `desired` as applied. */
export function desiredOwnedDigest(
  desired: Record<string, unknown>,
  path: readonly string[] = [],
): string {
  const atomic = atomicOf(desired);
  return digestAt(atomic.size ? markAtomic(desired, "", atomic) : desired, path);
}

// What the cache keeps of a child: only what the operator reads of it, and a
// digest standing for the rest. A cached child was ~2.3 KB of heap as the
// whole object (ANALYSIS.md, issue 17); most of that was the V8 objects of
// its nested spec, which nothing reads once drift is decided by the digest of
// the fields archctl-operator owns (reconcile/owned-digest.ts). Kept:
// - identity: name, namespace, uid, resourceVersion, generation, and
//   deletionTimestamp when set (the plan, prune and delete preconditions);
// - the labels the operator selects by (architecture, component, managed-by)
//   and the annotations it reads (applied hash, adopt, engine);
// - owner references: the uids only (prune checks the Architecture's uid),
//   whole on Secrets (keeping credentials patches them with a test of the list);
// - per kind, the spec and status fields the plan and the status roll-up read:
//   replicas and rollout counters of Deployments and StatefulSets, the
//   StatefulSet fields Kubernetes cannot change in place, a Job's outcome and
//   the digest of its pod template, a CronJob's last run, a claim's phase, and a Secret's key names;
// - ownedDigest: the digest of the fields archctl-operator owns, for drift.
// Pods are kept by leanPod (pod-cache.ts), Architectures whole (lean).
import { ARCHITECTURE_LABEL, COMPONENT_LABEL } from "../api/names.ts";
import { HASH_ANNOTATION } from "../reconcile/drift.ts";
import { liveOwnedDigest } from "../reconcile/owned-digest.ts";
import { ADOPT_ANNOTATION, ENGINE_ANNOTATION } from "../reconcile/plan.ts";
import { FIELD_MANAGER } from "../reconcile/types.ts";
import { internString, internStrings, lean } from "./informer.ts";

const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
const LABELS = [ARCHITECTURE_LABEL, COMPONENT_LABEL, MANAGED_BY_LABEL];
const ANNOTATIONS = [HASH_ANNOTATION, ADOPT_ANNOTATION, ENGINE_ANNOTATION];

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw | undefined =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : undefined;
const arr = (v: unknown): Raw[] =>
  Array.isArray(v) ? (v.filter((x) => obj(x) !== undefined) as Raw[]) : [];

/** The entries of `src` named in `keys`, strings shared; undefined when none is set. */
function only(src: unknown, keys: readonly string[]): Record<string, string> | undefined {
  const from = obj(src);
  if (!from) return undefined;
  let out: Record<string, string> | undefined;
  for (const k of keys) {
    const v = from[k];
    if (typeof v === "string") {
      out ??= {};
      out[k] = internString(v);
    }
  }
  return out;
}

/** Copies the keys of `src` that are set (strings shared), or undefined when none is. */
function pick(src: unknown, keys: readonly string[]): Raw | undefined {
  const from = obj(src);
  if (!from) return undefined;
  let out: Raw | undefined;
  for (const k of keys) {
    const v = from[k];
    if (v === undefined || v === null) continue;
    out ??= {};
    out[k] = typeof v === "string" ? internString(v) : v;
  }
  return out;
}

const CONDITION = ["type", "status", "reason", "message"];

function conditions(status: Raw | undefined, keep: (c: Raw) => boolean): Raw[] | undefined {
  const list = arr(status?.conditions)
    .filter(keep)
    .map((c) => pick(c, CONDITION) as Raw);
  return list.length ? list : undefined;
}

const REPLICA_STATUS = [
  "readyReplicas",
  "updatedReplicas",
  "observedGeneration",
  "currentRevision",
  "updateRevision",
];

// Children of one Architecture and component carry the same labels read, and
// all children of one Architecture the same owner reference: one shared
// (frozen) object for each, from a table cleared when full (as internString's),
// so it keeps nothing of deleted Architectures alive for long.
const MAX_SHARED = 5_000;
const shared = new Map<string, unknown>();

function share<V>(key: string, make: () => V): V {
  const known = shared.get(key);
  if (known !== undefined) return known as V;
  if (shared.size >= MAX_SHARED) shared.clear();
  const made = Object.freeze(make());
  shared.set(key, made);
  return made;
}

/** The annotations read; the usual case (the applied hash alone) as a one-field literal, the smallest object. */
function keptAnnotations(src: unknown): Record<string, string> | undefined {
  const kept = only(src, ANNOTATIONS);
  if (!kept) return undefined;
  const hash = kept[HASH_ANNOTATION];
  if (hash !== undefined && Object.keys(kept).length === 1)
    return { "archctl.io/applied-hash": hash };
  return kept;
}

function sharedLabels(src: unknown): Record<string, string> | undefined {
  const labels = only(src, LABELS);
  if (!labels) return undefined;
  const key = `l\u0000${LABELS.map((k) => labels[k] ?? "\u0001").join("\u0000")}`;
  return share(key, () => labels);
}

function sharedOwners(owners: Raw[]): { uid: string }[] {
  const uids = owners.map((r) => String(r.uid));
  return share(`o\u0000${uids.join("\u0000")}`, () =>
    uids.map((uid) => Object.freeze({ uid: internString(uid) })),
  );
}

/** The spec and status fields of one kind that the plan and the roll-up read. */
function specAndStatus(kind: string, o: Raw): { spec?: Raw; status?: Raw; data?: Raw } {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const withConditions = (s: Raw | undefined, keep: (c: Raw) => boolean): Raw | undefined => {
    const c = conditions(status, keep);
    return c ? { ...s, conditions: c } : s;
  };
  switch (kind) {
    case "Deployment":
    case "StatefulSet": {
      const kept: { spec?: Raw; status?: Raw } = {};
      const s =
        kind === "Deployment"
          ? pick(spec, ["replicas"])
          : pick(spec, ["replicas", "selector", "serviceName", "podManagementPolicy"]);
      const claims = arr(spec?.volumeClaimTemplates).map((t) => ({
        metadata: { name: obj(t.metadata)?.name },
        spec: t.spec,
      }));
      if (claims.length) kept.spec = { ...s, volumeClaimTemplates: claims };
      else if (s) kept.spec = s;
      const st = withConditions(
        pick(status, REPLICA_STATUS),
        (c) => c.reason === "ProgressDeadlineExceeded",
      );
      if (st) kept.status = st;
      return kept;
    }
    case "Job": {
      const st = withConditions(
        pick(status, ["succeeded"]),
        (c) => (c.type === "Failed" || c.type === "Complete") && c.status === "True",
      );
      // Not the pod template (~2.7 KB): its digest, for needsRecreate.
      const template = liveOwnedDigest(o, FIELD_MANAGER, ["spec", "template"]);
      return {
        ...(template !== undefined ? { spec: { templateDigest: template } } : {}),
        ...(st ? { status: st } : {}),
      };
    }
    case "CronJob": {
      const st = pick(status, ["lastScheduleTime"]);
      return st ? { status: st } : {};
    }
    case "PersistentVolumeClaim": {
      const s = pick(spec, ["storageClassName"]);
      const st = withConditions(
        pick(status, ["phase"]),
        (c) => c.status === "True" && typeof c.message === "string",
      );
      return { ...(s ? { spec: s } : {}), ...(st ? { status: st } : {}) };
    }
    case "Secret": {
      // Key names only (empty values): a kept Secret is adopted only if its keys fit.
      const data = obj(o.data);
      if (!data) return {};
      const keys: Raw = {};
      for (const k of Object.keys(data)) keys[k] = "";
      return { data: keys };
    }
    default:
      return {};
  }
}

/** The cache entry of a child as served (see the file comment). */
export function compactChild<T>(served: T): T {
  const o = served as Raw;
  const kind = typeof o.kind === "string" ? o.kind : "";
  if (kind === "Pod" || kind === "Architecture") return lean(served);
  const meta = obj(o.metadata) ?? {};
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const owners = arr(meta.ownerReferences);
  // One literal in a fixed order (a field absent is undefined, never deleted:
  // deleting turns an object into a larger dictionary-mode one).
  const metadata: Raw = {
    name: internString(String(meta.name ?? "")),
    namespace: internString(String(meta.namespace ?? "")),
    uid: str(meta.uid),
    resourceVersion: str(meta.resourceVersion),
    generation: typeof meta.generation === "number" ? meta.generation : undefined,
    deletionTimestamp: str(meta.deletionTimestamp),
    labels: sharedLabels(meta.labels),
    annotations: keptAnnotations(meta.annotations),
    ownerReferences: owners.length
      ? kind === "Secret"
        ? owners
        : sharedOwners(owners)
      : undefined,
  };
  if (kind === "PersistentVolumeClaim" && str(meta.creationTimestamp))
    metadata.creationTimestamp = meta.creationTimestamp;
  const { spec, status, data } = specAndStatus(kind, o);
  internStrings(spec);
  const entry: Raw = {
    apiVersion: internString(String(o.apiVersion ?? "")),
    kind: internString(kind),
    metadata,
    spec,
    status,
    // "" when archctl-operator owns nothing of it (it never applied it): that
    // matches no desired digest, so the plan applies it.
    ownedDigest: liveOwnedDigest(o, FIELD_MANAGER) ?? "",
  };
  if (data) entry.data = data;
  return entry as T;
}

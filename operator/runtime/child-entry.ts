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
//   StatefulSet fields Kubernetes cannot change in place, a Job's pod template
//   and outcome, a CronJob's last run, a claim's phase, and a Secret's key names;
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
      return {
        ...(spec?.template ? { spec: { template: spec.template } } : {}),
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
  const metadata: Raw = { name: internString(String(meta.name ?? "")) };
  for (const k of ["namespace", "uid", "resourceVersion", "deletionTimestamp"]) {
    const v = meta[k];
    if (typeof v === "string") metadata[k] = k === "namespace" ? internString(v) : v;
  }
  if (typeof meta.generation === "number") metadata.generation = meta.generation;
  if (kind === "PersistentVolumeClaim" && typeof meta.creationTimestamp === "string")
    metadata.creationTimestamp = meta.creationTimestamp;
  const labels = only(meta.labels, LABELS);
  if (labels) metadata.labels = labels;
  const annotations = only(meta.annotations, ANNOTATIONS);
  if (annotations) metadata.annotations = annotations;
  const owners = arr(meta.ownerReferences);
  if (owners.length)
    metadata.ownerReferences =
      kind === "Secret" ? owners : owners.map((r) => ({ uid: internString(String(r.uid)) }));
  const entry: Raw = {
    apiVersion: internString(String(o.apiVersion ?? "")),
    kind: internString(kind),
    metadata,
    ...specAndStatus(kind, o),
  };
  // "" when archctl-operator owns nothing of it (it never applied it): that
  // matches no desired digest, so the plan applies it.
  entry.ownedDigest = liveOwnedDigest(o, FIELD_MANAGER) ?? "";
  internStrings(entry.spec);
  return entry as T;
}

// The pods of Architectures, for the status to say why a component is not
// ready. Pods are the most numerous and the largest objects the operator
// watches (a status alone is a few KB), so the cache keeps only what the
// roll-up reads (operator/status/causes.ts, PodView), and an index by
// architecture and component makes its lookup one map read.
import { ARCHITECTURE_LABEL, COMPONENT_LABEL } from "../api/names.ts";
import type { ContainerStatusView, PodView, TerminatedView } from "../status/causes.ts";
import type { EventType } from "./informer.ts";

/** A Pod as cached: PodView plus what the cache itself needs (namespace, resourceVersion). */
export type CachedPod = PodView & {
  apiVersion: string;
  kind: string;
  metadata: PodView["metadata"] & { namespace?: string; uid?: string; resourceVersion?: string };
};

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw | undefined =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : undefined;
const arr = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter((x) => obj(x)) : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Copies only the keys that are set, so an absent field costs nothing. */
function pick<T>(src: Raw | undefined, keys: string[]): T | undefined {
  if (!src) return undefined;
  const out: Raw = {};
  for (const k of keys) if (src[k] !== undefined && src[k] !== null) out[k] = src[k];
  return out as T;
}

function terminated(v: unknown): TerminatedView | undefined {
  return pick<TerminatedView>(obj(v), ["exitCode", "reason", "message"]);
}

function containerStatus(c: Raw): ContainerStatusView {
  const out: ContainerStatusView = { name: str(c.name) ?? "" };
  if (str(c.image)) out.image = c.image as string;
  if (typeof c.ready === "boolean") out.ready = c.ready;
  const state = obj(c.state);
  const waiting = pick<{ reason?: string; message?: string }>(obj(state?.waiting), [
    "reason",
    "message",
  ]);
  const ended = terminated(state?.terminated);
  if (waiting || ended)
    out.state = { ...(waiting ? { waiting } : {}), ...(ended ? { terminated: ended } : {}) };
  const last = terminated(obj(c.lastState)?.terminated);
  if (last) out.lastState = { terminated: last };
  return out;
}

/** The projection the pod cache keeps (see the file comment). */
export function leanPod(pod: Raw): CachedPod {
  const meta = obj(pod.metadata) ?? {};
  const labels = obj(meta.labels) ?? {};
  const kept: Record<string, string> = {};
  for (const k of [ARCHITECTURE_LABEL, COMPONENT_LABEL]) {
    const v = str(labels[k]);
    if (v !== undefined) kept[k] = v;
  }
  const metadata: CachedPod["metadata"] = { name: str(meta.name) ?? "", labels: kept };
  for (const k of ["namespace", "uid", "resourceVersion", "creationTimestamp"] as const) {
    const v = str(meta[k]);
    if (v !== undefined) metadata[k] = v;
  }
  const owners = arr(meta.ownerReferences).map((o) => ({
    kind: str(o.kind) ?? "",
    name: str(o.name) ?? "",
  }));
  if (owners.length) metadata.ownerReferences = owners;
  const out: CachedPod = { apiVersion: "v1", kind: "Pod", metadata };
  const containers = arr(obj(pod.spec)?.containers).map((c) => ({
    name: str(c.name) ?? "",
    ...(str(c.image) ? { image: c.image as string } : {}),
  }));
  if (containers.length) out.spec = { containers };
  const status = obj(pod.status);
  if (status) {
    const s: NonNullable<PodView["status"]> = {};
    if (str(status.phase)) s.phase = status.phase as string;
    const conditions = arr(status.conditions)
      .filter((c) => c.type === "PodScheduled" || c.type === "Ready")
      .map(
        (c) =>
          pick<NonNullable<NonNullable<PodView["status"]>["conditions"]>[number]>(c, [
            "type",
            "status",
            "reason",
            "message",
            "lastTransitionTime",
          ]) as NonNullable<NonNullable<PodView["status"]>["conditions"]>[number],
      );
    if (conditions.length) s.conditions = conditions;
    const init = arr(status.initContainerStatuses).map(containerStatus);
    if (init.length) s.initContainerStatuses = init;
    const main = arr(status.containerStatuses).map(containerStatus);
    if (main.length) s.containerStatuses = main;
    out.status = s;
  }
  return out;
}

/** Pods by namespace, architecture and component, kept current from the pod informers' events. */
export class PodIndex {
  private readonly byComponent = new Map<string, Map<string, CachedPod>>();
  /** namespace/name -> the key it is indexed under, to move or drop it. */
  private readonly keyOfPod = new Map<string, string>();

  private static key(namespace: string, architecture: string, component: string): string {
    return `${namespace}/${architecture}/${component}`;
  }

  apply(type: EventType, pod: CachedPod): void {
    const id = `${pod.metadata.namespace ?? ""}/${pod.metadata.name}`;
    const old = this.keyOfPod.get(id);
    if (old !== undefined) {
      const bucket = this.byComponent.get(old);
      bucket?.delete(pod.metadata.name);
      if (bucket?.size === 0) this.byComponent.delete(old);
      this.keyOfPod.delete(id);
    }
    if (type === "delete") return;
    const arch = pod.metadata.labels?.[ARCHITECTURE_LABEL];
    const component = pod.metadata.labels?.[COMPONENT_LABEL];
    if (arch === undefined || component === undefined) return;
    const key = PodIndex.key(pod.metadata.namespace ?? "", arch, component);
    let bucket = this.byComponent.get(key);
    if (!bucket) {
      bucket = new Map();
      this.byComponent.set(key, bucket);
    }
    bucket.set(pod.metadata.name, pod);
    this.keyOfPod.set(id, key);
  }

  pods(namespace: string, architecture: string, component: string): CachedPod[] {
    return [
      ...(this.byComponent.get(PodIndex.key(namespace, architecture, component))?.values() ?? []),
    ];
  }

  get size(): number {
    return this.keyOfPod.size;
  }
}

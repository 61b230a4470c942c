// Why a component's pods are not running, read from the pods and claims
// themselves: what `kubectl describe pod` would make a person look for, said
// in one sentence. Pure: the caller passes the objects and the clock reading.
import type { ResolvedArchitecture, ResolvedComponent } from "../api/defaults.ts";
import { childName } from "../api/names.ts";

/** What the roll-up reads of a Pod (the operator's pod cache keeps only this). */
export interface PodView {
  metadata: {
    name: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec?: { containers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
    initContainerStatuses?: ContainerStatusView[];
    containerStatuses?: ContainerStatusView[];
  };
}

export interface TerminatedView {
  exitCode?: number;
  reason?: string;
  message?: string;
}

export interface ContainerStatusView {
  name: string;
  image?: string;
  ready?: boolean;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: TerminatedView };
  lastState?: { terminated?: TerminatedView };
}

/** What the roll-up reads of a PersistentVolumeClaim. */
export interface ClaimView {
  metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec?: { storageClassName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface Cause {
  /** One sentence, naming the pod or claim. */
  message: string;
  /** Since when it has kept the component from running (RFC 3339), for the stall rule. */
  since?: string;
}

/**
 * How long a named cause may keep a pod from running before the component
 * counts as stalled: the Deployment controller's default progressDeadlineSeconds.
 */
export const STALL_SECONDS = 600;

const IMAGE_PULL = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
]);

function exitText(t: TerminatedView): string {
  const reason = t.reason ? ` (${t.reason}${t.message ? `: ${t.message.trim()}` : ""})` : "";
  return `exit code ${t.exitCode ?? "unknown"}${reason}`;
}

function containerCause(pod: PodView, c: ContainerStatusView, init: boolean): string | undefined {
  const what = `pod ${pod.metadata.name}: ${init ? "init container" : "container"} '${c.name}'`;
  const waiting = c.state?.waiting;
  const reason = waiting?.reason;
  if (reason && IMAGE_PULL.has(reason)) {
    const image = c.image || pod.spec?.containers?.find((x) => x.name === c.name)?.image;
    return `${what} cannot pull image '${image ?? "unknown"}' (${reason}${waiting?.message ? `: ${waiting.message}` : ""}): check the image name and tag, and the registry's credentials`;
  }
  if (reason === "CrashLoopBackOff") {
    const last = c.lastState?.terminated;
    // No restart count: it grows with every restart, and the status would be
    // written again each time for nothing new.
    return `${what} keeps crashing (CrashLoopBackOff)${last ? `: last ${exitText(last)}` : ""}; see its log: kubectl logs ${pod.metadata.name} -c ${c.name} --previous`;
  }
  if (reason === "CreateContainerConfigError")
    return `${what} cannot start (CreateContainerConfigError): ${waiting?.message ?? "a Secret or ConfigMap it reads is missing"}`;
  if (reason && reason !== "ContainerCreating" && reason !== "PodInitializing")
    return `${what} is waiting (${reason}${waiting?.message ? `: ${waiting.message}` : ""})`;
  const ended = c.state?.terminated;
  if (ended && ended.exitCode !== 0) return `${what} failed: ${exitText(ended)}`;
  return undefined;
}

/** Why this pod is not running, or undefined when nothing names a cause (it may just be starting). */
export function podCause(pod: PodView): Cause | undefined {
  const since = pod.metadata.creationTimestamp;
  const at = since ? { since } : {};
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable")
    return {
      message: `pod ${pod.metadata.name} cannot be scheduled: ${scheduled.message ?? "no node fits it"}`,
      ...at,
    };
  for (const [list, init] of [
    [pod.status?.initContainerStatuses, true],
    [pod.status?.containerStatuses, false],
  ] as const) {
    for (const c of list ?? []) {
      const message = containerCause(pod, c, init);
      if (message) return { message, ...at };
    }
  }
  return undefined;
}

/** Why this claim holds its pods back, or undefined once it is bound. */
export function claimCause(claim: ClaimView): Cause | undefined {
  if (claim.status?.phase !== "Pending") return undefined;
  const at = claim.metadata.creationTimestamp ? { since: claim.metadata.creationTimestamp } : {};
  const cls = claim.spec?.storageClassName;
  const condition = claim.status.conditions?.find((c) => c.status === "True" && c.message);
  const why = cls
    ? `no volume provisioned by StorageClass '${cls}' (check that it exists: kubectl get storageclass ${cls})`
    : "it names no StorageClass and the cluster has no default StorageClass (set storage.storageClassName, or mark a StorageClass as default)";
  return {
    message: `claim ${claim.metadata.name} is Pending: ${why}${condition ? `; ${condition.message}` : ""}`,
    ...at,
  };
}

/** Whether `pod` counts as ready (its Ready condition, or, without one, all containers ready). */
export function podReady(pod: PodView): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  if (ready) return ready.status === "True";
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.length > 0 && statuses.every((c) => c.ready === true);
}

/**
 * The first cause among a component's not-ready pods and its claims. A
 * Pending claim is named when a pod waits for it (the scheduler says so) or
 * when no pod names anything else: a claim also waits, normally, for its
 * first pod to be scheduled (WaitForFirstConsumer), so a pod's own cause wins.
 */
export function firstCause(pods: PodView[], claims: ClaimView[]): Cause | undefined {
  const claim = claims.map(claimCause).find((c) => c !== undefined);
  const byName = [...pods].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const pod of byName) {
    if (podReady(pod) || pod.status?.phase === "Succeeded") continue;
    const cause = podCause(pod);
    if (!cause) continue;
    if (claim && /PersistentVolumeClaim/i.test(cause.message)) return claim;
    return cause;
  }
  return claim;
}

/** Whether a cause has held the component back for STALL_SECONDS or more at `now`. */
export function stalled(cause: Cause, now: Date): boolean {
  if (!cause.since) return false;
  const since = Date.parse(cause.since);
  return Number.isFinite(since) && now.getTime() - since >= STALL_SECONDS * 1000;
}

/** The workloads whose pods and claims are the component's own (not, say, its backup Job's). */
export function owners(
  c: ResolvedComponent,
  arch: ResolvedArchitecture,
): (pod: PodView) => boolean {
  const name = childName(arch.name, c.name);
  const owned = (kind: string, test: (owner: string) => boolean) => (pod: PodView) =>
    pod.metadata.ownerReferences?.some((o) => o.kind === kind && test(o.name)) ?? false;
  switch (c.type) {
    case "service":
    case "gateway":
    case "worker":
      // A Deployment's pods belong to its ReplicaSets, <deployment>-<hash>.
      return owned(
        "ReplicaSet",
        (o) => o.startsWith(`${name}-`) && !o.slice(name.length + 1).includes("-"),
      );
    case "job":
      return owned("Job", (o) => o === name);
    case "milvus":
      return owned("StatefulSet", (o) =>
        [
          name,
          childName(arch.name, c.name, "etcd"),
          childName(arch.name, c.name, "minio"),
        ].includes(o),
      );
    default:
      return owned("StatefulSet", (o) => o === name);
  }
}

/** Claims a StatefulSet made from its templates: <template>-<statefulset>-<ordinal>. */
export function templateClaim(c: ResolvedComponent, arch: ResolvedArchitecture) {
  const sets =
    c.type === "milvus"
      ? [
          childName(arch.name, c.name),
          childName(arch.name, c.name, "etcd"),
          childName(arch.name, c.name, "minio"),
        ]
      : [childName(arch.name, c.name)];
  return (claim: ClaimView) => {
    const unnumbered = claim.metadata.name.replace(/-[0-9]+$/, "");
    return unnumbered !== claim.metadata.name && sets.some((set) => unnumbered.endsWith(`-${set}`));
  };
}

/** A GPU component that cannot be scheduled: say which pool and which node labels it needs. */
export function poolHint(c: ResolvedComponent, arch: ResolvedArchitecture, cause: Cause): string {
  if (!c.gpu || !/cannot be scheduled/.test(cause.message)) return "";
  const pool = arch.gpuPools.find((p) => p.name === c.gpu?.pool);
  const labels = Object.entries(pool?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
  return ` (GPU pool '${c.gpu.pool}' needs nodes${labels.length ? ` labelled ${labels.join(",")}` : ""} with free ${pool?.resourceName ?? "nvidia.com/gpu"}: kubectl get nodes${labels.length ? ` -l ${labels.join(",")}` : ""})`;
}

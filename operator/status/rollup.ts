// Rolls the state of an Architecture's children up into its status: one entry
// per component, a phase, and conditions that say why (which component, which
// replica count, which failure). Pure: the caller passes the clock reading.
// Over 400 lines on purpose: the phase's precedence and the conditions are
// decided together in rollup(); each component's state, members, restores and
// drills already come from their own files (members.ts, restore-state.ts,
// drill-results.ts, causes.ts, conditions.ts).

import type { ResolvedArchitecture, ResolvedComponent } from "../api/defaults.ts";
import { durationSeconds, timestampAfter } from "../api/duration.ts";
import { childName } from "../api/names.ts";
import type { ArchitectureStatus, ComponentStatus } from "../api/schema.ts";
import type { KubeObject } from "../kube/types.ts";
import { SENTINEL_PART } from "../render/datastores/redis-sentinel-names.ts";
import type { RenderNotice } from "../render/types.ts";
import { backupCondition } from "./backup-results.ts";
import type { ClaimView, PodView } from "./causes.ts";
import { firstCause, owners, poolHint, STALL_SECONDS, stalled, templateClaim } from "./causes.ts";
import type { ConditionInput } from "./conditions.ts";
import { clip, MAX_COMPONENT_MESSAGE, setConditions } from "./conditions.ts";
import { drillCondition } from "./drill-results.ts";
import { withMembers } from "./members.ts";
import { restoreState } from "./restore-state.ts";

/** A change the reconcile refused because Kubernetes could only make it destructively. */
export interface BlockedChange {
  kind: string;
  name: string;
  field: string;
  /** The component the object belongs to, when its labels say. */
  component?: string;
  message: string;
}

export type ChildLookup = (kind: string, name: string) => KubeObject | undefined;

export interface RollupInput {
  arch: ResolvedArchitecture;
  generation: number;
  creationTimestamp?: string;
  previous?: ArchitectureStatus;
  child: ChildLookup;
  notices: RenderNotice[];
  blocked: BlockedChange[];
  /** Apply failures that will not heal by retrying (invalid objects), by object. */
  failures: { kind: string; name: string; reason?: string; message: string }[];
  now: Date;
  /** A component's pods, by its labels; read only while it is not ready. */
  pods?: (component: string) => PodView[];
  /** A component's PersistentVolumeClaims, by its labels. */
  claims?: (component: string) => ClaimView[];
}

interface WorkloadState {
  status: ComponentStatus;
  degraded?: string;
  /** The Degraded reason when `degraded` is set (default ComponentFailed). */
  reason?: string;
  /** A datastore restoring from a backup (its restore Job not done yet). */
  restoring?: true;
  /** When a named cause will have held this component back long enough to stall it (ms). */
  stallsAt?: number;
}

type Obj = KubeObject & {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
  metadata: KubeObject["metadata"] & { generation?: number };
};

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

function replicated(c: ResolvedComponent, obj: Obj | undefined, kind: string): WorkloadState {
  const base = { name: c.name, type: c.type };
  if (!obj)
    return {
      status: { ...base, ready: 0, desired: c.replicas, message: `${kind} not created yet` },
    };
  const desired = num(obj.spec?.replicas ?? c.replicas);
  const ready = num(obj.status?.readyReplicas);
  const updated = num(obj.status?.updatedReplicas);
  const observed = num(obj.status?.observedGeneration);
  const stuck = obj.status?.conditions?.find(
    (x) => x.type === "Progressing" && x.reason === "ProgressDeadlineExceeded",
  );
  if (stuck)
    return {
      status: {
        ...base,
        ready,
        desired,
        message: `rollout stuck: ${stuck.message ?? "progress deadline exceeded"}`,
      },
      degraded: `${c.name}: rollout stuck`,
    };
  let message: string;
  if (observed < num(obj.metadata.generation)) message = "update not yet seen by its controller";
  else if (kind === "Deployment" && updated < desired)
    message = `rolling out: ${updated}/${desired} updated`;
  else if (
    kind === "StatefulSet" &&
    obj.status?.updateRevision &&
    obj.status.currentRevision !== obj.status.updateRevision
  )
    message = `rolling out: ${updated}/${desired} updated`;
  else if (ready < desired) message = `${ready}/${desired} replicas ready`;
  else message = `${ready}/${desired} replicas ready`;
  return { status: { ...base, ready: Math.min(ready, desired), desired, message } };
}

function componentState(
  c: ResolvedComponent,
  arch: ResolvedArchitecture,
  child: ChildLookup,
): WorkloadState {
  const name = childName(arch.name, c.name);
  switch (c.type) {
    case "service":
    case "gateway":
    case "worker":
      return replicated(c, child("Deployment", name) as Obj | undefined, "Deployment");
    case "job": {
      const job = child("Job", name) as Obj | undefined;
      const base = { name: c.name, type: c.type, desired: 1 };
      if (!job) return { status: { ...base, ready: 0, message: "Job not created yet" } };
      const failed = job.status?.conditions?.find(
        (x) => x.type === "Failed" && x.status === "True",
      );
      if (failed)
        return {
          status: {
            ...base,
            ready: 0,
            message: `failed: ${failed.message ?? failed.reason ?? ""}`.trim(),
          },
          degraded: `${c.name}: job failed`,
        };
      const done = job.status?.conditions?.find(
        (x) => x.type === "Complete" && x.status === "True",
      );
      if (done) return { status: { ...base, ready: 1, message: "completed" } };
      return {
        status: {
          ...base,
          ready: 0,
          message: `running: ${num(job.status?.succeeded)}/${c.completions ?? 1} completed`,
        },
      };
    }
    case "cron": {
      const cron = child("CronJob", name) as Obj | undefined;
      const base = { name: c.name, type: c.type, desired: 1 };
      if (!cron) return { status: { ...base, ready: 0, message: "CronJob not created yet" } };
      const last = cron.status?.lastScheduleTime;
      return {
        status: {
          ...base,
          ready: 1,
          message: `schedule '${c.schedule}'${last ? `, last run ${String(last)}` : ""}`,
        },
      };
    }
    case "milvus": {
      // Milvus is ready when it and its etcd and MinIO are.
      const parts = [
        name,
        childName(arch.name, c.name, "etcd"),
        childName(arch.name, c.name, "minio"),
      ].map((n) => replicated(c, child("StatefulSet", n) as Obj | undefined, "StatefulSet"));
      const main = parts[0] as WorkloadState;
      const notReady = parts.slice(1).find((p) => p.status.ready < p.status.desired);
      return notReady
        ? {
            status: {
              ...main.status,
              ready: 0,
              message: `dependencies not ready (${notReady.status.message})`,
            },
          }
        : main;
    }
    default: {
      const restoring = restoreState(c, arch.name, child);
      if (restoring) return restoring;
      const state = replicated(c, child("StatefulSet", name) as Obj | undefined, "StatefulSet");
      const sentinels =
        c.type === "redis" && c.replicas > 1
          ? replicated(
              c,
              child("StatefulSet", childName(arch.name, c.name, SENTINEL_PART)) as Obj | undefined,
              "StatefulSet",
            ).status
          : undefined;
      return { ...state, status: withMembers(state.status, c, arch, sentinels) };
    }
  }
}

/**
 * A component not ready, told why from its pods and claims; stalled (Degraded)
 * once that cause has held it back for STALL_SECONDS.
 */
function explain(
  state: WorkloadState,
  c: ResolvedComponent,
  arch: ResolvedArchitecture,
  input: RollupInput,
): WorkloadState {
  if (state.status.ready >= state.status.desired || !input.pods) return state;
  const pods = input.pods(c.name).filter(owners(c, arch));
  const claims = (input.claims?.(c.name) ?? []).filter(templateClaim(c, arch));
  const cause = firstCause(pods, claims);
  if (!cause) return state;
  const message = `${state.status.message ?? ""}: ${cause.message}${poolHint(c, arch, cause)}`;
  const out: WorkloadState = { ...state, status: { ...state.status, message } };
  if (!state.degraded && stalled(cause, input.now)) {
    out.degraded = `${c.name}: no progress for ${STALL_SECONDS / 60} minutes`;
    out.reason = "ComponentStalled";
  } else if (!state.degraded && cause.since) {
    const since = Date.parse(cause.since);
    if (Number.isFinite(since)) out.stallsAt = since + STALL_SECONDS * 1000;
  }
  return out;
}

function endpoints(arch: ResolvedArchitecture): { name: string; url: string }[] {
  const out: { name: string; url: string }[] = [];
  const scheme = arch.ingress?.tls ? "https" : "http";
  for (const host of arch.ingress?.hosts ?? []) {
    for (const r of host.routes)
      out.push({ name: r.component, url: `${scheme}://${host.host}${r.path}` });
  }
  for (const c of arch.components) {
    if (c.type === "service" || c.type === "gateway") {
      out.push({
        name: `${c.name} (in cluster)`,
        url: `http://${childName(arch.name, c.name)}.${arch.namespace}.svc`,
      });
    }
  }
  return out;
}

export function expiresAt(
  creationTimestamp: string | undefined,
  ttl: string | undefined,
): string | undefined {
  if (!ttl || !creationTimestamp) return undefined;
  const seconds = durationSeconds(ttl);
  return seconds === undefined ? undefined : timestampAfter(creationTimestamp, seconds);
}

export function rollupStatus(input: RollupInput): ArchitectureStatus {
  return rollup(input).status;
}

/**
 * The status, and how soon to roll up again even if nothing changes: a cause
 * that holds a component back turns into a stall at a time no event marks.
 */
export function rollup(input: RollupInput): {
  status: ArchitectureStatus;
  recheckAfterMs?: number;
} {
  const { arch, generation, previous, now } = input;
  const nowText = now.toISOString().replace(/\.[0-9]{3}Z$/, "Z");
  const states = arch.components.map((c) =>
    explain(componentState(c, arch, input.child), c, arch, input),
  );
  const restoring = states.filter((s) => s.restoring).map((s) => s.status.name);
  // Components that use a restoring datastore are held back (not applied) by the reconcile.
  for (const [i, c] of arch.components.entries()) {
    const waits = c.uses.filter((u) => restoring.includes(u));
    const s = states[i] as WorkloadState;
    if (waits.length && s.status.ready < s.status.desired)
      s.status.message = `held back until ${waits.join(", ")} ${waits.length === 1 ? "is" : "are"} restored`;
  }
  for (const s of states)
    if (s.status.message) s.status.message = clip(s.status.message, MAX_COMPONENT_MESSAGE);
  const components = states.map((s) => s.status);
  const readyCount = components.filter((s) => s.ready >= s.desired).length;
  const notReady = components.filter((s) => s.ready < s.desired);

  const degraded: { reason: string; message: string }[] = [];
  for (const b of input.blocked)
    degraded.push({
      reason: "DestructiveChangeRefused",
      // "component: what happened. What to do.", like the component failures below.
      message: b.component ? `${b.component}: ${b.message}` : b.message,
    });
  for (const f of input.failures)
    degraded.push({
      reason: f.reason ?? "ApplyFailed",
      message: `${f.kind} ${f.name}: ${f.message}`,
    });
  for (const s of states)
    if (s.degraded)
      degraded.push({
        reason: s.reason ?? "ComponentFailed",
        message: `${s.status.name}: ${s.status.message}`,
      });

  const allReady = notReady.length === 0;
  let phase: NonNullable<ArchitectureStatus["phase"]>;
  if (degraded.length) phase = "Degraded";
  else if (allReady) phase = "Ready";
  else if (restoring.length) phase = "Restoring";
  // Pending: nothing is ready yet (children not created, pods not scheduled);
  // Progressing: some of it is. Derived from the children alone, not from history.
  else if (components.every((s) => s.ready === 0)) phase = "Pending";
  else phase = "Progressing";

  const waiting = notReady.map((s) => `${s.name} (${s.message})`).join(", ");
  const conditions: ConditionInput[] = [
    allReady && !degraded.length
      ? {
          type: "Ready",
          status: "True",
          reason: "AllComponentsReady",
          message: `all ${components.length} components are ready`,
        }
      : {
          type: "Ready",
          status: "False",
          reason: degraded.length
            ? (degraded[0] as { reason: string }).reason
            : "ComponentsNotReady",
          message: degraded.length
            ? (degraded[0] as { message: string }).message
            : `waiting for ${waiting}`,
        },
    !allReady && !degraded.length
      ? {
          type: "Progressing",
          status: "True",
          reason: "RollingOut",
          message: `${readyCount}/${components.length} components ready; waiting for ${waiting}`,
        }
      : {
          type: "Progressing",
          status: "False",
          reason: degraded.length ? "Stalled" : "Complete",
          message: degraded.length
            ? "progress is blocked, see Degraded"
            : "nothing left to roll out",
        },
    degraded.length
      ? {
          type: "Degraded",
          status: "True",
          reason: (degraded[0] as { reason: string }).reason,
          message: degraded.map((d) => d.message).join("; "),
        }
      : { type: "Degraded", status: "False", reason: "AsExpected", message: "no failures" },
  ];
  // Present only while a datastore restores, like the notices below.
  if (restoring.length)
    conditions.push({
      type: "Restoring",
      status: "True",
      reason: "RestoringFromBackup",
      message: states
        .filter((s) => s.restoring)
        .map((s) => `${s.status.name}: ${s.status.message}`)
        .join("; "),
    });
  const verified = drillCondition(
    arch,
    input.pods,
    previous?.conditions?.find((c) => c.type === "BackupVerified"),
  );
  if (verified) conditions.push(verified);
  const backedUp = backupCondition(
    arch,
    input.pods,
    previous?.conditions?.find((c) => c.type === "BackupSucceeded"),
  );
  if (backedUp) conditions.push(backedUp);
  // One condition per type (conditions are a list-map keyed by type: the API
  // server refuses a status with two), naming every component concerned.
  for (const [reason, notices] of Map.groupBy(input.notices, (n) => n.reason)) {
    conditions.push({
      type: reason,
      status: "True",
      reason,
      message: notices
        .map((n) => (n.component ? `${n.component}: ${n.message}` : n.message))
        .join("; "),
    });
  }
  // kstatus (Flux, kpt, cli-utils) reads Reconciling and Stalled.
  const progressing = conditions[1] as ConditionInput;
  const deg = conditions[2] as ConditionInput;
  conditions.push({
    type: "Reconciling",
    status: progressing.status,
    reason: progressing.reason,
    message: progressing.message,
  });
  conditions.push({
    type: "Stalled",
    status: deg.status,
    reason: deg.reason,
    message: deg.message,
  });

  const status: ArchitectureStatus = {
    observedGeneration: generation,
    phase,
    ready: `${readyCount}/${components.length}`,
    conditions: setConditions(previous?.conditions, conditions, generation, nowText),
    components,
    endpoints: endpoints(arch),
  };
  const exp = expiresAt(input.creationTimestamp, arch.ttl);
  if (exp) status.expiresAt = exp;
  const stalls = states.flatMap((s) => (s.stallsAt === undefined ? [] : [s.stallsAt]));
  if (!stalls.length) return { status };
  // A second late, so that the stall has happened by then.
  return { status, recheckAfterMs: Math.max(1000, Math.min(...stalls) - now.getTime() + 1000) };
}

/**
 * The status written once when deletion starts: phase Deleting and Ready=False,
 * saying what happens to the data. Components and endpoints stay as they were
 * last seen; the children are not read any more.
 */
export function deletingStatus(
  previous: ArchitectureStatus | undefined,
  generation: number,
  deletionPolicy: "Retain" | "Delete",
  now: Date,
): ArchitectureStatus {
  const nowText = now.toISOString().replace(/\.[0-9]{3}Z$/, "Z");
  const message =
    deletionPolicy === "Delete"
      ? "the Architecture is being deleted with deletionPolicy Delete: its data volumes are deleted after its datastores have stopped"
      : "the Architecture is being deleted with deletionPolicy Retain: its data volumes and credentials are kept";
  const conditions: ConditionInput[] = [
    { type: "Ready", status: "False", reason: "Deleting", message },
    {
      type: "Progressing",
      status: "False",
      reason: "Deleting",
      message: "nothing is rolled out while the Architecture is deleted",
    },
    { type: "Degraded", status: "False", reason: "Deleting", message: "deletion in progress" },
    // kstatus: deleting is work in progress, not a stall.
    { type: "Reconciling", status: "True", reason: "Deleting", message },
    { type: "Stalled", status: "False", reason: "Deleting", message: "deletion in progress" },
  ];
  return {
    ...previous,
    observedGeneration: generation,
    phase: "Deleting",
    conditions: setConditions(previous?.conditions, conditions, generation, nowText),
  };
}

// What the restore drills (spec.backups[].verify) found, read from the drill
// pods the operator already caches (operator/runtime/pod-cache.ts keeps each
// container's termination message): the newest finished drill of each
// datastore, as the condition BackupVerified (with the drilled backup's time)
// and as metrics. Pure.
import type { ResolvedArchitecture } from "../api/defaults.ts";
import { childName } from "../api/names.ts";
import type { PodView } from "./causes.ts";
import { clauseMap, oneClause } from "./clauses.ts";
import type { ConditionInput } from "./conditions.ts";

export interface DrillResult {
  component: string;
  ok: boolean;
  /** The drilled backup's file name, e.g. db-20261203T031500Z.dump. */
  backup?: string;
  /** When that backup was taken (RFC 3339), from its name. */
  backupTime?: string;
  /** What the check counted: tables and rows, keys, collections and documents. */
  counts?: Record<string, number>;
  /** When the drill pod was created (RFC 3339). */
  ranAt?: string;
  /** One sentence, starting "verified" or "drill failed". */
  message: string;
}

/** The time in a backup's name `<c>-<yyyymmddThhmmssZ>.<ext>`, as RFC 3339. */
export function backupTime(file: string): string | undefined {
  const m = /-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\./.exec(file);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : undefined;
}

function parseResult(message: string | undefined): Record<string, unknown> | undefined {
  if (!message) return undefined;
  try {
    const v: unknown = JSON.parse(message.trim());
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const jobOf = (p: PodView) => p.metadata.ownerReferences?.find((o) => o.kind === "Job")?.name ?? "";

/** The newest finished drill of `component` among its pods, or undefined if none has finished. */
export function latestDrill(
  arch: string,
  component: string,
  pods: readonly PodView[],
): DrillResult | undefined {
  const prefix = `${childName(arch, component, "drill")}-`;
  const finished = pods
    .filter((p) =>
      p.metadata.ownerReferences?.some((o) => o.kind === "Job" && o.name.startsWith(prefix)),
    )
    .map((p) => {
      const drill = p.status?.containerStatuses?.find((c) => c.name === "drill");
      const ended = drill?.state?.terminated;
      const phase = p.status?.phase;
      return { p, ended, failedPod: phase === "Failed" };
    })
    .filter((x) => x.ended || x.failedPod)
    // Newest first; within a second, by the Job's name (the CronJob's Jobs end in their scheduled minute).
    .sort(
      (a, b) =>
        (b.p.metadata.creationTimestamp ?? "").localeCompare(
          a.p.metadata.creationTimestamp ?? "",
        ) || jobOf(b.p).localeCompare(jobOf(a.p), "en", { numeric: true }),
    );
  const newest = finished[0];
  if (!newest) return undefined;
  const ranAt = newest.p.metadata.creationTimestamp;
  const base = { component, ...(ranAt ? { ranAt } : {}) };
  const result = parseResult(newest.ended?.message);
  const job = jobOf(newest.p);
  if (newest.ended?.exitCode === 0 && typeof result?.backup === "string" && result.backup) {
    const backup = result.backup;
    const time = backupTime(backup);
    const counts: Record<string, number> = {};
    for (const [k, v] of Object.entries(result)) if (typeof v === "number") counts[k] = v;
    const counted = Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ");
    return {
      ...base,
      ok: true,
      backup,
      ...(time ? { backupTime: time } : {}),
      counts,
      message: `verified backup ${backup}${time ? ` taken ${time}` : ""}: restored and opened${counted ? ` (${counted})` : ""}`,
    };
  }
  const why = newest.ended
    ? newest.ended.exitCode === 0
      ? "it reported no result"
      : `exit code ${newest.ended.exitCode ?? "?"}${newest.ended.reason ? `, ${newest.ended.reason}` : ""}${newest.ended.message && !result ? `: ${newest.ended.message}` : ""}`
    : "the pod failed before the check ended";
  return {
    ...base,
    ok: false,
    message: oneClause(
      `drill failed (${why})${job ? `; kubectl logs job/${job} -c drill says why` : ""}`,
    ),
  };
}

export interface VerifiedBackup {
  component: string;
  schedule: string;
}

/**
 * BackupVerified: True when every drilled datastore's newest drill passed,
 * False when one failed, Unknown while one has not run yet. A datastore whose
 * drill pods are gone (Job history and TTL) keeps its clause from the previous
 * condition. Undefined when no backup is drilled.
 */
export function backupVerifiedCondition(
  drilled: readonly VerifiedBackup[],
  results: ReadonlyMap<string, DrillResult>,
  previous: { message: string } | undefined,
): ConditionInput | undefined {
  if (!drilled.length) return undefined;
  const before = clauseMap(previous?.message);
  const clauses = drilled.map((d) => {
    const r = results.get(d.component);
    const text =
      r?.message ?? before.get(d.component) ?? `no drill has run yet (schedule '${d.schedule}')`;
    return { component: d.component, text };
  });
  const failed = clauses.filter((c) => c.text.startsWith("drill failed"));
  const pending = clauses.filter((c) => !c.text.startsWith("verified"));
  const message = clauses.map((c) => `${c.component}: ${c.text}`).join("; ");
  if (failed.length)
    return { type: "BackupVerified", status: "False", reason: "DrillFailed", message };
  if (pending.length)
    return { type: "BackupVerified", status: "Unknown", reason: "NoDrillYet", message };
  return { type: "BackupVerified", status: "True", reason: "DrillSucceeded", message };
}

/** BackupVerified for the Architecture, from its drilled datastores' pods. */
export function drillCondition(
  arch: ResolvedArchitecture,
  pods: ((component: string) => PodView[]) | undefined,
  previous: { message: string } | undefined,
): ConditionInput | undefined {
  const drilled = arch.backups.flatMap((b) =>
    b.verify ? [{ component: b.component, schedule: b.verify.schedule }] : [],
  );
  const results = new Map<string, DrillResult>();
  for (const d of drilled) {
    const r = latestDrill(arch.name, d.component, pods?.(d.component) ?? []);
    if (r) results.set(d.component, r);
  }
  return backupVerifiedCondition(drilled, results, previous);
}

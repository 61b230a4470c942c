// What the scheduled and on-demand backups did, read from the backup pods the
// operator already caches (each container's termination message holds the
// record a backup writes, operator/render/backup.ts RECORD_LINES): the newest
// finished run of each backed-up datastore, as the condition BackupSucceeded.
// A run that failed (an unreachable S3 target, a full volume, a refused
// login) says so here as well as in the BackupJobFailed alert. Pure.
import type { ResolvedArchitecture } from "../api/defaults.ts";
import { childName } from "../api/names.ts";
import type { ContainerStatusView, PodView } from "./causes.ts";
import { clauseMap, oneClause } from "./clauses.ts";
import type { ConditionInput } from "./conditions.ts";

export interface BackupRun {
  component: string;
  ok: boolean;
  /** One sentence, starting "last backup" or "backup failed". */
  message: string;
}

const jobOf = (p: PodView) => p.metadata.ownerReferences?.find((o) => o.kind === "Job")?.name ?? "";

/** The record `{"file","time","size","sha256"}` a backup container wrote, if any. */
function recordOf(statuses: readonly ContainerStatusView[]): string | undefined {
  for (const s of statuses) {
    const line = s.state?.terminated?.message?.trim().split("\n").at(-1);
    if (!line) continue;
    try {
      const r = JSON.parse(line) as { file?: unknown; size?: unknown; time?: unknown };
      if (typeof r.file === "string" && typeof r.size === "number")
        return `${r.file} (${r.size} bytes${typeof r.time === "string" && r.time ? `, ${r.time}` : ""})`;
    } catch {
      // Not a record: a failed container's own message, read below.
    }
  }
  return undefined;
}

/** The newest finished backup run of `component` among its pods, or undefined if none has finished. */
export function latestBackup(
  arch: string,
  component: string,
  pods: readonly PodView[],
): BackupRun | undefined {
  const cron = childName(arch, component, "backup");
  // The CronJob's Jobs (<cron>-<minute>) and `archctl backup run`'s (<cron>-manual-<id>),
  // not the listing Jobs of `archctl backup list` (<cron>-list-<id>).
  const isRun = (job: string) => job.startsWith(`${cron}-`) && !job.startsWith(`${cron}-list-`);
  const newest = pods
    .filter((p) => isRun(jobOf(p)))
    .filter((p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed")
    .sort(
      (a, b) =>
        (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "") ||
        jobOf(b).localeCompare(jobOf(a), "en", { numeric: true }),
    )[0];
  if (!newest) return undefined;
  const statuses = [
    ...(newest.status?.initContainerStatuses ?? []),
    ...(newest.status?.containerStatuses ?? []),
  ];
  const job = jobOf(newest);
  if (newest.status?.phase === "Succeeded") {
    const record = recordOf(statuses);
    return {
      component,
      ok: true,
      message: `last backup ${record ?? `by job ${job}`} succeeded`,
    };
  }
  const failed = statuses.find(
    (s) => s.state?.terminated?.exitCode !== undefined && s.state.terminated.exitCode !== 0,
  );
  const ended = failed?.state?.terminated;
  const why = ended
    ? `container '${failed.name}' exit code ${ended.exitCode}${ended.reason ? `, ${ended.reason}` : ""}${ended.message ? `: ${ended.message}` : ""}`
    : "the pod failed before a container ended";
  return {
    component,
    ok: false,
    message: oneClause(
      `backup failed (${why}); kubectl logs job/${job}${failed ? ` -c ${failed.name}` : ""} says why`,
    ),
  };
}

/**
 * BackupSucceeded: True when every backed-up datastore's newest run succeeded,
 * False when one failed, Unknown while one has not run yet. A datastore whose
 * backup pods are gone (Job history) keeps its clause from the previous
 * condition. Undefined when nothing is backed up.
 */
export function backupCondition(
  arch: ResolvedArchitecture,
  pods: ((component: string) => PodView[]) | undefined,
  previous: { message: string } | undefined,
): ConditionInput | undefined {
  if (!arch.backups.length) return undefined;
  const before = clauseMap(previous?.message);
  const clauses = arch.backups.map((b) => {
    const run = latestBackup(arch.name, b.component, pods?.(b.component) ?? []);
    const text =
      run?.message ?? before.get(b.component) ?? `no backup has run yet (schedule '${b.schedule}')`;
    return `${b.component}: ${text}`;
  });
  const message = clauses.join("; ");
  if (clauses.some((c) => c.includes(": backup failed")))
    return { type: "BackupSucceeded", status: "False", reason: "BackupFailed", message };
  if (clauses.some((c) => !c.includes(": last backup")))
    return { type: "BackupSucceeded", status: "Unknown", reason: "NoBackupYet", message };
  return { type: "BackupSucceeded", status: "True", reason: "BackupSucceeded", message };
}

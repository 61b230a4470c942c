// archctl backup run ARCH COMPONENT: a Job from the component's backup CronJob,
// followed to the end, then where the backup went, its size and checksum (from
// the pod's termination message: backup.ts's RECORD_LINES).
// archctl backup list ARCH [COMPONENT]: a short-lived Job per backup target
// that lists the backups there (backup-list.ts), newest first.
import type { Command } from "commander";
import type { BackupEntry } from "../backup-jobs.ts";
import type { Connection } from "../cluster.ts";
import type { CliContext } from "../context.ts";
import { contextOf, exitsWith, outputFormat, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import { timeoutMs } from "./apply.ts";

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects as plain JSON
type Json = any;

const POLL_MS = 2000;

interface Finished {
  state: "succeeded" | "failed" | "timeout";
  reason?: string;
  message?: string;
}

/** Creates the Job and polls it (and its pod) until it finishes; progress lines on change. */
async function runJob(
  ctx: CliContext,
  conn: Connection,
  job: Json,
  limitMs: number,
): Promise<Finished> {
  const c = await import("../cluster.ts");
  const { resourceFor, PODS } = await import("../../operator/kube/resources.ts");
  const { jobState, terminationMessage } = await import("../backup-jobs.ts");
  const JOBS = resourceFor("batch/v1", "Job");
  const ns = job.metadata.namespace as string;
  const name = job.metadata.name as string;
  await c.kube(() => conn.objects.create(job, c.CLI_FIELD_MANAGER));
  ctx.info(`job.batch/${name} created`);
  const d = ctx.deps;
  const deadline = d.now() + limitMs;
  let last = "";
  const stamp = () => new Date(d.now()).toISOString().replace(/\.[0-9]{3}Z$/, "Z");
  for (;;) {
    const current = await c.kube(() => conn.objects.get<Json>(JOBS, ns, name));
    const pods = await c.kube(() => conn.objects.list<Json>(PODS, ns, `job-name=${name}`));
    const pod = pods.items.at(-1);
    const state = jobState(current);
    const phase = pod ? `pod ${pod.metadata.name} ${pod.status?.phase ?? "Pending"}` : "no pod yet";
    const line = `${state.kind === "running" ? "running" : state.kind}: ${phase}`;
    if (line !== last) ctx.info(`${stamp()} ${name} ${line}`);
    last = line;
    const message = terminationMessage(pod);
    if (state.kind === "succeeded") return { state: "succeeded", ...(message ? { message } : {}) };
    if (state.kind === "failed")
      return { state: "failed", reason: state.reason, ...(message ? { message } : {}) };
    if (d.now() > deadline) return { state: "timeout" };
    await d.sleep(POLL_MS);
  }
}

async function loadArch(conn: Connection, name: string) {
  const c = await import("../cluster.ts");
  const stored = await c.requireArch(conn, conn.namespace, name);
  const { applyDefaults } = await import("../../operator/api/defaults.ts");
  const { createContext } = await import("../../operator/render/context.ts");
  const resolved = applyDefaults(stored as never);
  return { stored, rctx: createContext(resolved, { keda: false, serviceMonitors: false }) };
}

function noBackup(arch: string, component: string): UserError {
  return new UserError(
    `${arch} has no backup of component '${component}': add one under spec.backups (e.g. {component: ${component}, schedule: "0 3 * * *"}) and apply it`,
    ExitCode.NOT_FOUND,
  );
}

const suffixOf = (now: number) => now.toString(36);

export function register(program: Command, deps: CliDeps): void {
  const backup = program
    .command("backup")
    .description("run a datastore's backup now, or list the backups it has")
    .addHelpText(
      "after",
      `
Backups are made by each component's backup CronJob (spec.backups). Each one
is a file <component>-<yyyymmddThhmmssZ>.<ext> with a <file>.sha256 beside it,
on the backup PVC or in the S3 bucket; retention keeps the newest.

Examples:
  archctl backup run shop orders-db
  archctl backup list shop
  archctl backup list shop orders-db -o json`,
    );

  backup
    .command("run")
    .description("start a backup Job from the component's backup CronJob and follow it")
    .argument("<architecture>")
    .argument("<component>")
    .option("--timeout <duration>", "how long to wait for the backup", "30m")
    .addHelpText(
      "after",
      `
Prints where the backup went, its file name, size and sha256 (recorded by the
backup pod). Exit 1 when the Job fails, 3 when --timeout passes.

Examples:
  archctl backup run shop orders-db
  archctl backup run shop orders-db --timeout 2h`,
    )
    .action(
      exitsWith(
        async (arch: string, component: string, opts: { timeout: string }, cmd: Command) => {
          const ctx = contextOf(cmd, deps);
          const limit = timeoutMs(opts.timeout);
          const c = await import("../cluster.ts");
          const { resourceFor } = await import("../../operator/kube/resources.ts");
          const { childName } = await import("../../operator/api/names.ts");
          const { jobFromCronJob, parseRecord, humanSize, isoTime, targetOf } = await import(
            "../backup-jobs.ts"
          );
          const conn = await deps.connect(ctx.globals);
          await c.requireArch(conn, conn.namespace, arch);
          const cron = await c.kube(() =>
            conn.objects.find<Json>(
              resourceFor("batch/v1", "CronJob"),
              conn.namespace,
              childName(arch, component, "backup"),
            ),
          );
          if (!cron) throw noBackup(arch, component);
          const job = jobFromCronJob(cron, suffixOf(deps.now()));
          const done = await runJob(ctx, conn, job, limit);
          const where = targetOf(cron);
          if (done.state === "timeout") {
            ctx.err(
              `archctl: timed out after ${opts.timeout}: job ${job.metadata.name} is still running`,
            );
            return ExitCode.TIMEOUT;
          }
          if (done.state === "failed") {
            ctx.err(
              `archctl: backup of ${component} failed (${done.reason}); nothing new in ${where}. See: kubectl logs -n ${conn.namespace} job/${job.metadata.name}`,
            );
            return ExitCode.FAILURE;
          }
          const record = parseRecord(done.message);
          if (!record) {
            ctx.out(
              `backup of ${component} done (job ${job.metadata.name}) in ${where}; its pod recorded no file, size or checksum`,
            );
            return ExitCode.OK;
          }
          ctx.out(`backup of ${component} written to ${where}: ${record.file}`);
          ctx.out(
            `  time ${isoTime(record.time)}  size ${humanSize(record.size)} (${record.size} bytes)  sha256 ${record.sha256}`,
          );
          return ExitCode.OK;
        },
      ),
    );

  backup
    .command("list")
    .description(
      "list the backups of an Architecture's datastores, newest first (a short-lived Job reads each target)",
    )
    .argument("<architecture>")
    .argument("[component]")
    .option("-o, --output <format>", "table or json", "table")
    .option("--timeout <duration>", "how long to wait for each listing Job", "5m")
    .addHelpText(
      "after",
      `
A short-lived Job per backup target reads the PVC (or the S3 bucket, with the
backup's credentials) and reports name, size and sha256, newest first.

Examples:
  archctl backup list shop
  archctl backup list shop orders-db -o json`,
    )
    .action(
      exitsWith(
        async (
          arch: string,
          component: string | undefined,
          opts: { output?: string; timeout: string },
          cmd: Command,
        ) => {
          const ctx = contextOf(cmd, deps);
          const format = outputFormat(opts.output, ["table", "json"] as const, "table");
          const limit = timeoutMs(opts.timeout);
          const c = await import("../cluster.ts");
          const { resourceFor } = await import("../../operator/kube/resources.ts");
          const { childName } = await import("../../operator/api/names.ts");
          const { listScript } = await import("../../operator/render/backup-list.ts");
          const { listJob, parseListing, humanSize, isoTime, targetOf } = await import(
            "../backup-jobs.ts"
          );
          const { table } = await import("../views/status.ts");
          const conn = await deps.connect(ctx.globals);
          const { rctx } = await loadArch(conn, arch);
          const wanted = rctx.arch.backups.filter((b) => !component || b.component === component);
          if (wanted.length === 0) throw noBackup(arch, component ?? "any");
          const rows: (BackupEntry & { component: string; target: string })[] = [];
          let code: number = ExitCode.OK;
          for (const b of wanted) {
            const comp = rctx.component(b.component);
            const script = comp && listScript(rctx, comp, b);
            const cron = await c.kube(() =>
              conn.objects.find<Json>(
                resourceFor("batch/v1", "CronJob"),
                conn.namespace,
                childName(arch, b.component, "backup"),
              ),
            );
            if (!script || !cron) {
              ctx.err(
                `archctl: ${b.component}: no backup CronJob (its type has no backups, or the operator has not made it yet)`,
              );
              code = ExitCode.FAILURE;
              continue;
            }
            const job = listJob(cron, script, suffixOf(deps.now()));
            const done = await runJob(ctx, conn, job, limit);
            if (done.state !== "succeeded") {
              ctx.err(
                `archctl: listing ${b.component}'s backups ${done.state === "timeout" ? `timed out after ${opts.timeout}` : `failed (${done.reason})`}`,
              );
              code = done.state === "timeout" ? ExitCode.TIMEOUT : ExitCode.FAILURE;
              continue;
            }
            const target = targetOf(cron);
            for (const e of parseListing(done.message ?? ""))
              rows.push({ ...e, component: b.component, target });
          }
          if (format === "json") ctx.write(`${JSON.stringify(rows, null, 2)}\n`);
          else if (rows.length === 0) ctx.out("no backups found");
          else
            for (const l of table([
              ["COMPONENT", "BACKUP", "TIME", "SIZE", "SHA256", "WHERE"],
              ...rows.map((r) => [
                r.component,
                r.file,
                isoTime(r.time),
                humanSize(r.size),
                r.sha256.slice(0, 12),
                r.target,
              ]),
            ]))
              ctx.out(l);
          return code;
        },
      ),
    );
}

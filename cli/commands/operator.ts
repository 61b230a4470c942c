// archctl operator run: the operator in the foreground, against the current
// kubeconfig (for development) or in-cluster (the container's command).
import type { Command } from "commander";
import { Option } from "commander";
import type { LogLevel } from "../../operator/runtime/logger.ts";
import { contextOf, UserError } from "../context.ts";
import { ExitCode } from "../exit-codes.ts";
import { connectionError } from "../kube-errors.ts";

interface RunOptions {
  watchNamespaces?: string;
  workers: string;
  resync: string;
  metricsAddress: string;
  leaderElect: boolean;
  leaseNamespace?: string;
  logLevel: LogLevel;
}

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;

export function register(program: Command): void {
  const operator = program.command("operator").description("run the archctl operator");
  operator
    .command("run")
    .description("run the operator in the foreground until SIGTERM/SIGINT")
    .option(
      "--watch-namespaces <list>",
      "comma-separated namespaces to watch (default: all; env ARCHCTL_WATCH_NAMESPACES)",
      process.env.ARCHCTL_WATCH_NAMESPACES,
    )
    .option(
      "--workers <n>",
      "concurrent reconciles (env ARCHCTL_WORKERS)",
      env("ARCHCTL_WORKERS", "4"),
    )
    .option(
      "--resync <seconds>",
      "reconcile everything this often (env ARCHCTL_RESYNC_SECONDS)",
      env("ARCHCTL_RESYNC_SECONDS", "300"),
    )
    .option(
      "--metrics-address <host:port>",
      "serve /metrics, /healthz, /readyz here; empty disables (env ARCHCTL_METRICS_ADDRESS)",
      env("ARCHCTL_METRICS_ADDRESS", "127.0.0.1:8080"),
    )
    .option(
      "--leader-elect",
      "hold a Lease so that only one replica writes (env ARCHCTL_LEADER_ELECT=true)",
      env("ARCHCTL_LEADER_ELECT", "false") === "true",
    )
    .option(
      "--lease-namespace <ns>",
      "namespace of the leader Lease (env POD_NAMESPACE)",
      process.env.POD_NAMESPACE,
    )
    .addOption(
      new Option("--log-level <level>", "debug, info, warn or error (env ARCHCTL_LOG_LEVEL)")
        .choices(["debug", "info", "warn", "error"])
        .default(env("ARCHCTL_LOG_LEVEL", "info")),
    )
    .addHelpText(
      "after",
      `
Examples:
  archctl operator run                                 all namespaces, current kubeconfig
  archctl operator run --watch-namespaces team-a,team-b --workers 8
  archctl operator run --leader-elect --lease-namespace archctl-system`,
    )
    .action(async (opts: RunOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const workers = Number(opts.workers);
      const resync = Number(opts.resync);
      if (!Number.isInteger(workers) || workers < 1)
        throw new UserError(`--workers must be a positive whole number, not '${opts.workers}'`);
      if (!Number.isFinite(resync) || resync < 1)
        throw new UserError(`--resync must be a number of seconds, not '${opts.resync}'`);
      // Loaded here, not at start-up: every other command would pay for the kube client.
      const { Operator } = await import("../../operator/manager.ts");
      const op = new Operator({
        ...(ctx.globals.kubeconfig ? { kubeconfig: ctx.globals.kubeconfig } : {}),
        ...(ctx.globals.context ? { context: ctx.globals.context } : {}),
        namespaces: (opts.watchNamespaces ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
        workers,
        resyncSeconds: resync,
        metricsAddress: opts.metricsAddress,
        leaderElection: opts.leaderElect,
        leaseNamespace: opts.leaseNamespace ?? ctx.globals.namespace ?? "default",
        logLevel: opts.logLevel,
      });
      try {
        await op.start();
      } catch (err) {
        throw connectionError(err);
      }
      await new Promise<void>((resolve) => {
        const shutdown = () => {
          process.off("SIGTERM", shutdown);
          process.off("SIGINT", shutdown);
          op.stop().then(resolve, resolve);
        };
        process.on("SIGTERM", shutdown);
        process.on("SIGINT", shutdown);
      });
      process.exitCode = ExitCode.OK;
    });
}

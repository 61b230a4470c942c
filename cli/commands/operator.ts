// archctl operator run: the operator in the foreground, against the current
// kubeconfig (for development) or in-cluster (the container's command).
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import type { Operator, OperatorOptions } from "../../operator/operator.ts";
import type { LogLevel } from "../../operator/runtime/logger.ts";
import type { CliContext, GlobalOptions } from "../context.ts";
import { contextOf, exitsWith, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import { connectionError } from "../kube-errors.ts";
import { takeOverShutdownSignals } from "../signals.ts";

/** What commander hands the action. */
export interface RunFlags {
  watchNamespaces?: string;
  workers: string;
  childConcurrency?: string;
  resync: string;
  metricsAddress: string;
  /** A string only when it came from ARCHCTL_LEADER_ELECT (checked in the action, not at start-up). */
  leaderElect: boolean | string;
  leaseNamespace?: string;
  leaseName: string;
  /** Both or neither: this instance's shard and the number of shards. */
  shard?: string;
  shards?: string;
  logLevel: LogLevel;
}

/** true/false as flags and environment variables spell them; undefined for anything else. */
export function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  return undefined;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The flags of `operator run`, with defaults from `env`. */
export function addRunOptions(cmd: Command, env: NodeJS.ProcessEnv): Command {
  const fromEnv = (name: string, fallback: string): string => env[name] ?? fallback;
  return cmd
    .option(
      "--watch-namespaces <list>",
      "comma-separated namespaces to watch (default: all; env ARCHCTL_WATCH_NAMESPACES)",
      env.ARCHCTL_WATCH_NAMESPACES,
    )
    .option(
      "--workers <n>",
      "concurrent reconciles (default 8, measured: test/bench/ANALYSIS.md; env ARCHCTL_WORKERS)",
      fromEnv("ARCHCTL_WORKERS", "8"),
    )
    .option(
      "--child-concurrency <n>",
      "children one reconcile applies at once (default 4; env ARCHCTL_CHILD_CONCURRENCY)",
      env.ARCHCTL_CHILD_CONCURRENCY,
    )
    .option(
      "--resync <seconds>",
      "reconcile everything this often (env ARCHCTL_RESYNC_SECONDS)",
      fromEnv("ARCHCTL_RESYNC_SECONDS", "300"),
    )
    .option(
      "--metrics-address <host:port>",
      "serve /metrics, /healthz, /readyz here; empty disables (env ARCHCTL_METRICS_ADDRESS)",
      fromEnv("ARCHCTL_METRICS_ADDRESS", "127.0.0.1:8080"),
    )
    .addOption(
      new Option(
        "--leader-elect [bool]",
        "hold a Lease so that only one replica writes; --leader-elect=false or --no-leader-elect turns it off (env ARCHCTL_LEADER_ELECT)",
      )
        .argParser((value: string) => {
          const b = parseBool(value);
          if (b === undefined) throw new InvalidArgumentError("use true or false.");
          return b;
        })
        .default(fromEnv("ARCHCTL_LEADER_ELECT", "false")),
    )
    .addOption(new Option("--no-leader-elect", "do not take part in leader election"))
    .option(
      "--lease-namespace <ns>",
      "namespace of the leader Lease (env POD_NAMESPACE)",
      env.POD_NAMESPACE,
    )
    .option(
      "--lease-name <name>",
      "name of the leader Lease; the chart's RBAC allows only archctl-operator (env ARCHCTL_LEASE_NAME)",
      fromEnv("ARCHCTL_LEASE_NAME", "archctl-operator"),
    )
    .option(
      "--shard <i>",
      "reconcile only the Architectures of shard i (0-based; label archctl.io/shard, else a hash of namespace/name) and campaign for the Lease <lease-name>-shard-<i>; needs --shards (env ARCHCTL_SHARD)",
      env.ARCHCTL_SHARD,
    )
    .option(
      "--shards <n>",
      "how many shards the Architectures are split into (env ARCHCTL_SHARDS)",
      env.ARCHCTL_SHARDS,
    )
    .addOption(
      new Option("--log-level <level>", "debug, info, warn or error (env ARCHCTL_LOG_LEVEL)")
        .choices(["debug", "info", "warn", "error"])
        .default(fromEnv("ARCHCTL_LOG_LEVEL", "info")),
    );
}

/** Checks the flags and turns them into the operator's options. Throws UserError (exit 2). */
export function operatorOptionsFrom(
  flags: RunFlags,
  globals: Pick<GlobalOptions, "kubeconfig" | "context" | "namespace">,
): OperatorOptions {
  const workers = Number(flags.workers);
  const resync = Number(flags.resync);
  if (!Number.isInteger(workers) || workers < 1)
    throw new UserError(`--workers must be a positive whole number, not '${flags.workers}'`);
  const childConcurrency =
    flags.childConcurrency === undefined ? undefined : Number(flags.childConcurrency);
  if (
    childConcurrency !== undefined &&
    (!Number.isInteger(childConcurrency) || childConcurrency < 1)
  )
    throw new UserError(
      `--child-concurrency must be a positive whole number, not '${flags.childConcurrency}'`,
    );
  if (!Number.isFinite(resync) || resync < 1)
    throw new UserError(`--resync must be a number of seconds, not '${flags.resync}'`);
  const leaderElection =
    typeof flags.leaderElect === "boolean" ? flags.leaderElect : parseBool(flags.leaderElect);
  if (leaderElection === undefined)
    throw new UserError(
      `ARCHCTL_LEADER_ELECT must be true or false, not '${flags.leaderElect}' (or pass --leader-elect=true|false)`,
    );
  if (flags.leaseName.length > 253 || !DNS_SUBDOMAIN.test(flags.leaseName))
    throw new UserError(
      `--lease-name must be a DNS subdomain (lower-case letters, digits, '-' and '.'), not '${flags.leaseName}'`,
    );
  const shard = shardFrom(flags);
  return {
    ...(shard ? { shard } : {}),
    ...(globals.kubeconfig ? { kubeconfig: globals.kubeconfig } : {}),
    ...(globals.context ? { context: globals.context } : {}),
    namespaces: (flags.watchNamespaces ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    workers,
    ...(childConcurrency ? { childConcurrency } : {}),
    resyncSeconds: resync,
    metricsAddress: flags.metricsAddress,
    leaderElection,
    leaseNamespace: flags.leaseNamespace ?? globals.namespace ?? "default",
    leaseName: flags.leaseName,
    logLevel: flags.logLevel,
  };
}

/** --shard and --shards, checked; undefined when neither is given (one shard). */
function shardFrom(flags: RunFlags): OperatorOptions["shard"] {
  if (flags.shard === undefined && flags.shards === undefined) return undefined;
  if (flags.shard === undefined || flags.shards === undefined)
    throw new UserError(
      "--shard and --shards go together: pass both (e.g. --shard 0 --shards 3) or neither",
    );
  const count = Number(flags.shards);
  const index = Number(flags.shard);
  if (!/^[0-9]+$/.test(flags.shards) || count < 1 || count > 1000)
    throw new UserError(`--shards must be a whole number from 1 to 1000, not '${flags.shards}'`);
  if (!/^[0-9]+$/.test(flags.shard) || index >= count)
    throw new UserError(
      `--shard must be a whole number from 0 to ${count - 1} (--shards ${count}), not '${flags.shard}'`,
    );
  return { index, count };
}

export function register(program: Command, deps: CliDeps): void {
  const operator = program
    .command("operator")
    .description("run the archctl operator")
    .addHelpText(
      "after",
      `
In a cluster the operator runs as the Deployment that archctl install (or the
Helm chart) creates; run it here to develop against the current kubeconfig.

Examples:
  archctl operator run                                 reconcile every namespace
  archctl operator run --log-level debug --workers 1   one reconcile at a time, verbose`,
    );
  addRunOptions(
    operator.command("run").description("run the operator in the foreground until SIGTERM/SIGINT"),
    deps.env,
  )
    .addHelpText(
      "after",
      `
SIGTERM or Ctrl-C (SIGINT): take no new work, finish the reconciles in flight,
release the lease, exit 0. A second signal exits at once (130). A leader that
loses its lease exits 1 at once, so that its restart rejoins as a follower.

Examples:
  archctl operator run                                 all namespaces, current kubeconfig
  archctl operator run --watch-namespaces team-a,team-b --workers 8
  archctl operator run --leader-elect --lease-namespace archctl-system
  archctl operator run --leader-elect --shard 0 --shards 3   one of three shards`,
    )
    .action(
      exitsWith(async (flags: RunFlags, cmd: Command) => {
        const ctx = contextOf(cmd, deps);
        return runOperator(operatorOptionsFrom(flags, ctx.globals), ctx);
      }),
    );
}

/** Runs the operator until a signal; returns the exit code. */
async function runOperator(options: OperatorOptions, ctx: CliContext): Promise<number> {
  const { deps } = ctx;
  let op: Operator | undefined;
  let code: number = ExitCode.OK;
  let signalled: NodeJS.Signals | undefined;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  // From the first moment, not after start-up: a SIGTERM while the caches sync
  // (a rolling update, a scale-down) must take the orderly path too.
  const release = takeOverShutdownSignals((signal) => {
    if (signalled) {
      ctx.err(`archctl: second ${signal}: exiting without a clean shutdown`);
      deps.exitNow(ExitCode.INTERRUPTED);
    }
    signalled = signal;
    if (!op) {
      finish(ExitCode.OK);
      return;
    }
    op.log.info("signal received; shutting down", { signal });
    op.stop().then(
      () => finish(ExitCode.OK),
      (err) => {
        op?.log.error("shutdown failed", { err });
        finish(ExitCode.FAILURE);
      },
    );
  });
  try {
    // Loaded here, not at start-up: every other command would pay for the kube client.
    const { Operator } = await import("../../operator/operator.ts");
    if (!signalled) {
      const running = new Operator({
        ...options,
        onLostLeadership: (why) => {
          // As client-go does: exit at once, so that nothing written by a
          // reconcile still in flight lands after the new leader took over.
          running.log.error("lost leadership; exiting so that a restart rejoins as a follower", {
            why,
          });
          deps.exitNow(ExitCode.FAILURE);
        },
      });
      op = running;
      try {
        await running.start();
      } catch (err) {
        if (err instanceof Error && err.name === "ListenError")
          throw new UserError(err.message, ExitCode.FAILURE);
        throw connectionError(err);
      }
    }
    code = await finished;
  } finally {
    release();
  }
  // All work is done and the lease released; a request the signal cut short
  // (an API server that does not answer) must not hold the process open.
  setTimeout(() => deps.exitNow(code), 500).unref();
  return code;
}

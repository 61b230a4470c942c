// archctl apply -f FILE: validate the blueprint, server-side apply the
// Architecture (field manager archctl-cli), and with --wait follow it until Ready.

import type { Command } from "commander";
import { Option } from "commander";
import { DURATION, isBoundedDuration, MAX_DURATION_TEXT } from "../../operator/api/duration.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { toYaml } from "../../operator/render/yaml-output.ts";
import type { CliContext } from "../context.ts";
import { contextOf, exitsWith, outputFormat, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import { notReadyLines, readySummary } from "../views/status.ts";
import { parseDuration } from "../wait.ts";
import type { BlueprintFlags } from "./shared.ts";
import { blueprintOptions, loadArchitecture } from "./shared.ts";

export interface ApplyFlags extends BlueprintFlags {
  wait?: boolean;
  timeout: string;
  ttl?: string;
  dryRun?: string;
  forceConflicts?: boolean;
  output?: string;
}

/** --timeout as milliseconds, or exit 2. */
export function timeoutMs(text: string, flag = "--timeout"): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UserError(`${flag} must be a duration like 90s, 10m or 1h, not '${text}'`);
  return ms;
}

/** --ttl checked and turned into a --set of spec.ttl (so validation covers it). */
export function ttlSet(ttl: string | undefined): string[] {
  if (ttl === undefined) return [];
  if (!DURATION.test(ttl))
    throw new UserError(
      `--ttl must be a duration like 30m, 2h or 1d (units s, m, h, d), not '${ttl}'`,
    );
  if (!isBoundedDuration(ttl))
    throw new UserError(`--ttl must be at most ${MAX_DURATION_TEXT}, not '${ttl}'`);
  return [`spec.ttl=${ttl}`];
}

export function addWaitOptions(cmd: Command, what = "Ready"): Command {
  return cmd
    .option("--wait", `wait until the Architecture is ${what}`)
    .option("--timeout <duration>", "how long --wait waits (e.g. 90s, 10m, 1h)", "10m");
}

export interface ApplyResult {
  arch: KubeObject & { metadata: { generation?: number; namespace?: string } };
  code: number;
}

/**
 * Applies an Architecture and, with `wait`, follows it: the shared core of
 * `apply` and `env create`. Returns the exit code; prints the outcome.
 */
export async function applyAndFollow(
  ctx: CliContext,
  architecture: Architecture,
  opts: { wait?: boolean; timeoutMs: number; force?: boolean; dryRun?: "server"; output?: string },
): Promise<number> {
  const c = await import("../cluster.ts");
  const { deps } = ctx;
  const conn = await deps.connect(ctx.globals);
  const arch = structuredClone(architecture) as unknown as KubeObject;
  arch.metadata.namespace ??= conn.namespace;
  const name = arch.metadata.name;
  const ns = arch.metadata.namespace as string;
  await c.requireInstalled(conn);
  const { requireGatewayNamespace } = await import("../gateway-check.ts");
  await requireGatewayNamespace(conn, architecture, ns);
  const lease = opts.dryRun ? undefined : await c.operatorLeaseHeld(conn, deps.now());
  const applied = await c.applyArch(conn, arch, {
    ...(opts.force ? { force: true } : {}),
    ...(opts.dryRun ? { dryRun: true } : {}),
  });
  if (opts.output === "yaml" || opts.output === "json") {
    const { managedFields: _m, ...meta } = applied.metadata as unknown as Record<string, unknown>;
    const shown = { ...applied, metadata: meta };
    ctx.out(opts.output === "json" ? JSON.stringify(shown, null, 2) : toYaml(shown));
  } else {
    ctx.out(
      `architecture.archctl.io/${name} serverside-applied${opts.dryRun ? " (server dry run)" : ""} ${ctx.style.dim(`(namespace ${ns}, generation ${applied.metadata.generation ?? "?"})`)}`,
    );
  }
  if (opts.dryRun) return ExitCode.OK;
  if (!opts.wait) {
    if (lease === false && applied.status?.observedGeneration === undefined)
      ctx.info(
        `note: no archctl operator holds its Lease; if ${name} does not progress: ${c.NO_OPERATOR}`,
      );
    return ExitCode.OK;
  }
  const { follow, interactive } = await import("../follow.ts");
  const { explainKubeError } = await import("../kube-errors.ts");
  const started = deps.now();
  const outcome = await follow(ctx, {
    name,
    get: () => c.getArch(conn, ns, name),
    isTransient: c.isTransient,
    describeError: explainKubeError,
    timeoutMs: opts.timeoutMs,
    ...(applied.metadata.generation !== undefined
      ? { generation: applied.metadata.generation }
      : {}),
    ...(lease === true ? {} : { warnNoOperator: c.NO_OPERATOR }),
    progress: "info",
  });
  const shown = interactive(ctx);
  switch (outcome.kind) {
    case "ready":
      if (!shown)
        for (const l of readySummary(outcome.arch, deps.now() - started, ctx.style)) ctx.out(l);
      return ExitCode.OK;
    case "degraded":
      ctx.err(`archctl: ${name} is Degraded: ${outcome.message}`);
      return ExitCode.FAILURE;
    case "gone":
      ctx.err(`archctl: ${name} was deleted while waiting (its ttl may have passed)`);
      return ExitCode.FAILURE;
    case "timeout": {
      const lines = outcome.arch ? notReadyLines(outcome.arch) : [];
      ctx.err(
        `archctl: timed out after ${opts.timeoutMs / 1000}s waiting for ${name} to be Ready${lines.length ? "; still not ready:" : ""}`,
      );
      for (const l of lines) ctx.err(`  ${l}`);
      ctx.err(`  (see: archctl status ${name} -n ${ns})`);
      return ExitCode.TIMEOUT;
    }
  }
}

export function register(program: Command, deps: CliDeps): void {
  addWaitOptions(
    blueprintOptions(
      program
        .command("apply")
        .description("create or update an Architecture from a blueprint (server-side apply)"),
    ),
  )
    .option("--ttl <duration>", "delete the Architecture this long after creation (sets spec.ttl)")
    .addOption(
      new Option(
        "--dry-run <mode>",
        "server: ask the API server without persisting; client: only print",
      ).choices(["server", "client"]),
    )
    .option("--force-conflicts", "take over fields another tool (kubectl, a GitOps controller) set")
    .option("-o, --output <format>", "print the applied object: yaml or json")
    .addHelpText(
      "after",
      `
The blueprint is validated first (like archctl validate); nothing is sent when
it has errors. The Architecture is applied with field manager archctl-cli; a
field another manager owns is a conflict (exit 6) unless --force-conflicts.
The namespace is -n, else the blueprint's metadata.namespace, else the
kubeconfig context's namespace.

--wait follows the status until phase Ready for the applied generation: a live
view on a terminal, timestamped lines when not (CI). API server outages during
the wait are retried until --timeout.

Exit codes: 0 applied (and Ready with --wait), 1 Degraded, 2 invalid input,
3 timed out (--wait), 4 cluster unreachable, 5 archctl not installed, 6 refused.

Examples:
  archctl apply -f post.yaml --env dev --wait
  archctl apply -f post.yaml -n shop --set tag=1.5.0 --wait --timeout 15m
  archctl apply -f post.yaml --ttl 4h            # a preview that deletes itself
  archctl apply -f post.yaml --dry-run=server -o yaml`,
    )
    .action(
      exitsWith(async (opts: ApplyFlags, cmd: Command) => {
        const ctx = contextOf(cmd, deps);
        const wait = timeoutMs(opts.timeout);
        const output =
          opts.output === undefined
            ? undefined
            : outputFormat(opts.output, ["yaml", "json"] as const, "yaml");
        const set = [...(opts.set ?? []), ...ttlSet(opts.ttl)];
        const { architecture } = await loadArchitecture(ctx, { ...opts, set }, "apply");
        if (opts.dryRun === "client") {
          if (output === "json") ctx.out(JSON.stringify(architecture, null, 2));
          else if (output === "yaml") ctx.out(toYaml(architecture));
          else
            ctx.out(`architecture.archctl.io/${architecture.metadata.name} configured (dry run)`);
          return ExitCode.OK;
        }
        if (opts.dryRun === "server" && opts.wait)
          throw new UserError("--wait cannot be combined with --dry-run");
        return applyAndFollow(ctx, architecture, {
          ...(opts.wait ? { wait: true } : {}),
          timeoutMs: wait,
          ...(opts.forceConflicts ? { force: true } : {}),
          ...(opts.dryRun === "server" ? { dryRun: "server" as const } : {}),
          ...(output ? { output } : {}),
        });
      }),
    );
}

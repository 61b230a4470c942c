// archctl dev cluster up|down|kubeconfig|status: the local cluster (real
// kube-apiserver, etcd, controllers and kwok nodes) for development. It lives
// in test/cluster/ and exists only in a source checkout, so it is loaded lazily.
//
// The option parsing below is pure and exported: test/cluster/cli.ts (the npm
// cluster:* scripts) uses the same functions, so both entry points accept the
// same flags, apply the same defaults and reject the same mistakes.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { contextOf, exitsWith, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";

export type DevTier = "kwok" | "apiserver";

/**
 * Default cluster name per tier. Distinct names so that `up --tier apiserver`
 * does not run into the kwok dev cluster (one name holds one tier). The same
 * values as DEFAULT_CLUSTER_NAME / DEFAULT_APISERVER_CLUSTER_NAME in
 * test/cluster/, which the published build cannot import (a unit test keeps
 * them equal).
 */
export const DEV_CLUSTER_NAMES: Record<DevTier, string> = {
  kwok: "archctl-dev",
  apiserver: "archctl-api",
};

/**
 * More simulated nodes than this is a typo, not a test: each is a Node object
 * kwok heartbeats, and the whole set is applied in one request.
 */
export const MAX_SIMULATED_NODES = 1000;

export function parseTier(value: string | undefined): DevTier {
  const v = value ?? "kwok";
  if (v === "kwok" || v === "apiserver") return v;
  throw new UserError(`--tier: unknown tier '${v}': use kwok or apiserver`);
}

// The name becomes a folder under <cache>/kwok/clusters/ that `down` deletes,
// so "../x" or "a/b" must never get through; kwokctl wants a DNS label anyway.
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function clusterName(name: string | undefined, tier: DevTier): string {
  if (name === undefined) return DEV_CLUSTER_NAMES[tier];
  if (name.length > 63 || !NAME.test(name))
    throw new UserError(
      `--name: '${name}' is not a valid cluster name: use lower-case letters, digits and '-' (at most 63, starting and ending with a letter or digit), e.g. --name my-dev`,
    );
  return name;
}

/** A count flag: a whole number from 0 to MAX_SIMULATED_NODES, written in digits. */
export function parseCount(flag: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > MAX_SIMULATED_NODES)
    throw new UserError(
      `${flag}: '${value}' is not a node count: give a whole number from 0 to ${MAX_SIMULATED_NODES}, e.g. ${flag} 3`,
    );
  return n;
}

/** --timeout SECONDS: a whole number of seconds, at least 1. */
export function parseTimeoutSeconds(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UserError(
      `--timeout: '${value}' is not a number of seconds: give a whole number of at least 1, e.g. --timeout 300`,
    );
  return n;
}

export type RawUpOptions = {
  name?: string;
  tier?: string;
  workers?: string;
  gpuNodes?: string;
  timeout?: string;
};

export type UpOptions = {
  name: string;
  tier: DevTier;
  nodes: { workers?: number; gpuNodes?: number };
  timeoutMs?: number;
};

/** `up` flags as given on the command line -> clusterUp options. Throws UserError (exit 2). */
export function parseUpOptions(raw: RawUpOptions): UpOptions {
  const tier = parseTier(raw.tier);
  const name = clusterName(raw.name, tier);
  if (tier === "apiserver") {
    // The apiserver tier has no kwok controller and no nodes: a node count
    // there would be silently ignored.
    for (const [flag, v] of [
      ["--workers", raw.workers],
      ["--gpu-nodes", raw.gpuNodes],
    ] as const) {
      if (v !== undefined)
        throw new UserError(
          `${flag}: the apiserver tier has no nodes; drop ${flag} or use --tier kwok`,
        );
    }
  }
  const nodes: UpOptions["nodes"] = {};
  if (raw.workers !== undefined) nodes.workers = parseCount("--workers", raw.workers);
  if (raw.gpuNodes !== undefined) nodes.gpuNodes = parseCount("--gpu-nodes", raw.gpuNodes);
  return {
    name,
    tier,
    nodes,
    ...(raw.timeout !== undefined ? { timeoutMs: parseTimeoutSeconds(raw.timeout) * 1000 } : {}),
  };
}

// The part of test/cluster/index.ts used here, declared locally so that the
// published build does not pull the test tree in.
interface ClusterModule {
  clusterUp(opts: {
    name: string;
    tier: DevTier;
    onProgress: (line: string) => void;
    nodes: { workers?: number; gpuNodes?: number };
    timeoutMs?: number;
  }): Promise<{ kubeconfig: string }>;
  clusterDown(opts: { name: string; onProgress: (line: string) => void }): Promise<unknown>;
  kubeconfigPath(opts: { name: string }): string;
  clusterStatus(opts: { name: string }): Promise<{ running: boolean }>;
}

async function loadCluster(): Promise<ClusterModule> {
  const here = dirname(fileURLToPath(import.meta.url));
  // Works from cli/commands (source) and from dist/cli/commands (built).
  const candidates = [
    join(here, "../../test/cluster/index.ts"),
    join(here, "../../../test/cluster/index.ts"),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new UserError(
      "`archctl dev` needs a source checkout of archctl (test/cluster/ is not in the installed package)",
      ExitCode.FAILURE,
    );
  return (await import(found)) as ClusterModule;
}

const NAME_HELP = `cluster name (default: ${DEV_CLUSTER_NAMES.kwok}, or ${DEV_CLUSTER_NAMES.apiserver} with --tier apiserver)`;
const TIER_HELP =
  "kwok (whole cluster with simulated nodes) or apiserver (etcd + kube-apiserver only)";

export function register(program: Command, deps: CliDeps): void {
  const dev = program
    .command("dev")
    .description("local development helpers")
    .addHelpText(
      "after",
      `
Examples:
  archctl dev cluster up                     start the local cluster, print its kubeconfig path
  export KUBECONFIG=$(archctl dev cluster up)
  archctl dev cluster down                   stop it`,
    );
  const cluster = dev
    .command("cluster")
    .description("a local Kubernetes cluster built from source (no Docker)")
    .addHelpText(
      "after",
      `
Tiers and default names:
  kwok       ${DEV_CLUSTER_NAMES.kwok}   etcd, kube-apiserver, controller manager, scheduler, kwok nodes (3 workers + 2 GPU)
  apiserver  ${DEV_CLUSTER_NAMES.apiserver}   etcd + kube-apiserver only

Examples:
  export KUBECONFIG=$(archctl dev cluster up)
  archctl dev cluster status
  archctl dev cluster up --tier apiserver
  archctl dev cluster down --tier apiserver

The first 'up' on a machine builds the binaries with Go (minutes; cached after).`,
    );
  cluster
    .command("up")
    .description("start the local cluster (idempotent); prints the kubeconfig path")
    .option("--name <name>", NAME_HELP)
    .option("--tier <tier>", TIER_HELP, "kwok")
    .option("--workers <n>", "ordinary simulated nodes (kwok tier; default 3)")
    .option("--gpu-nodes <n>", "simulated GPU nodes, 8 nvidia.com/gpu each (kwok tier; default 2)")
    .option(
      "--timeout <seconds>",
      "give up when the cluster is not ready in time (default 300; a first build is not counted)",
    )
    .addHelpText(
      "after",
      `
Examples:
  export KUBECONFIG=$(archctl dev cluster up)
  archctl dev cluster up --workers 5 --gpu-nodes 0
  archctl dev cluster up --tier apiserver            etcd + kube-apiserver, named ${DEV_CLUSTER_NAMES.apiserver}
  archctl dev cluster up --name scratch --timeout 120

Progress goes to stderr; stdout is only the kubeconfig path.`,
    )
    .action(async (raw: RawUpOptions, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      // Parse everything before loading test/cluster: a bad flag changes nothing.
      const opts = parseUpOptions(raw);
      const m = await loadCluster();
      const info = await m.clusterUp({
        ...opts,
        onProgress: (line) => ctx.info(`[cluster] ${line}`),
      });
      ctx.out(info.kubeconfig);
    });
  cluster
    .command("down")
    .description("stop the local cluster and every process it started")
    .option("--name <name>", NAME_HELP)
    .option("--tier <tier>", `${TIER_HELP}; only picks the default name`, "kwok")
    .addHelpText(
      "after",
      `
Examples:
  archctl dev cluster down
  archctl dev cluster down --tier apiserver
  archctl dev cluster down --name scratch`,
    )
    .action(async (raw: { name?: string; tier?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const name = clusterName(raw.name, parseTier(raw.tier));
      const m = await loadCluster();
      await m.clusterDown({ name, onProgress: (line) => ctx.info(`[cluster] ${line}`) });
    });
  cluster
    .command("kubeconfig")
    .description("print the kubeconfig path of the local cluster")
    .option("--name <name>", NAME_HELP)
    .option("--tier <tier>", `${TIER_HELP}; only picks the default name`, "kwok")
    .addHelpText(
      "after",
      `
Examples:
  export KUBECONFIG=$(archctl dev cluster kubeconfig)
  archctl dev cluster kubeconfig --tier apiserver

Exits 5 when the cluster is not up.`,
    )
    .action(async (raw: { name?: string; tier?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const tier = parseTier(raw.tier);
      const name = clusterName(raw.name, tier);
      const m = await loadCluster();
      const path = m.kubeconfigPath({ name });
      if (!existsSync(path)) {
        const flags = `${raw.name !== undefined ? ` --name ${name}` : ""}${tier !== "kwok" ? ` --tier ${tier}` : ""}`;
        throw new UserError(
          `cluster ${name} is not up (no ${path}): run \`archctl dev cluster up${flags}\``,
          ExitCode.NOT_FOUND,
        );
      }
      ctx.out(path);
    });
  cluster
    .command("status")
    .description("show whether the local cluster runs, and its processes (JSON)")
    .option("--name <name>", NAME_HELP)
    .option("--tier <tier>", `${TIER_HELP}; only picks the default name`, "kwok")
    .addHelpText(
      "after",
      `
Examples:
  archctl dev cluster status
  archctl dev cluster status --tier apiserver

Prints { name, exists, running, tier, kubeconfig, pids }; exits 1 when not running.`,
    )
    .action(
      exitsWith(async (raw: { name?: string; tier?: string }, cmd: Command) => {
        const ctx = contextOf(cmd, deps);
        const name = clusterName(raw.name, parseTier(raw.tier));
        const m = await loadCluster();
        const s = await m.clusterStatus({ name });
        ctx.out(JSON.stringify(s, null, 2));
        return s.running ? ExitCode.OK : ExitCode.FAILURE;
      }),
    );
}

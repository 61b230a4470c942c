// archctl dev cluster up|down|kubeconfig|status: the local cluster (real
// kube-apiserver, etcd, controllers and kwok nodes) for development. It lives
// in test/cluster/ and exists only in a source checkout, so it is loaded lazily.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { contextOf, UserError } from "../context.ts";
import { ExitCode } from "../exit-codes.ts";

// The part of test/cluster/index.ts used here, declared locally so that the
// published build does not pull the test tree in.
interface ClusterModule {
  clusterUp(opts: {
    name: string;
    tier: "kwok" | "apiserver";
    onProgress: (line: string) => void;
    nodes: { workers?: number; gpuNodes?: number };
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

export function register(program: Command): void {
  const dev = program.command("dev").description("local development helpers");
  const cluster = dev
    .command("cluster")
    .description("a local Kubernetes cluster built from source (no Docker)");
  cluster
    .command("up")
    .description("start the local cluster (idempotent); prints the kubeconfig path")
    .option("--name <name>", "cluster name", "archctl-dev")
    .option(
      "--tier <tier>",
      "kwok (whole cluster with simulated nodes) or apiserver (etcd + kube-apiserver only)",
      "kwok",
    )
    .option("--workers <n>", "ordinary simulated nodes")
    .option("--gpu-nodes <n>", "simulated GPU nodes")
    .addHelpText(
      "after",
      "\nExamples:\n  export KUBECONFIG=$(archctl dev cluster up)\n  archctl dev cluster up --tier apiserver --name fast",
    )
    .action(
      async (
        opts: { name: string; tier: string; workers?: string; gpuNodes?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        if (opts.tier !== "kwok" && opts.tier !== "apiserver")
          throw new UserError(`unknown --tier '${opts.tier}': use kwok or apiserver`);
        const m = await loadCluster();
        const info = await m.clusterUp({
          name: opts.name,
          tier: opts.tier,
          onProgress: (line) => ctx.info(`[cluster] ${line}`),
          nodes: {
            ...(opts.workers ? { workers: Number(opts.workers) } : {}),
            ...(opts.gpuNodes ? { gpuNodes: Number(opts.gpuNodes) } : {}),
          },
        });
        ctx.out(info.kubeconfig);
      },
    );
  cluster
    .command("down")
    .description("stop the local cluster and every process it started")
    .option("--name <name>", "cluster name", "archctl-dev")
    .action(async (opts: { name: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const m = await loadCluster();
      await m.clusterDown({ name: opts.name, onProgress: (line) => ctx.info(`[cluster] ${line}`) });
    });
  cluster
    .command("kubeconfig")
    .description("print the kubeconfig path of the local cluster")
    .option("--name <name>", "cluster name", "archctl-dev")
    .action(async (opts: { name: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const m = await loadCluster();
      const path = m.kubeconfigPath({ name: opts.name });
      if (!existsSync(path))
        throw new UserError(
          `cluster ${opts.name} is not up: run \`archctl dev cluster up --name ${opts.name}\``,
          ExitCode.NOT_FOUND,
        );
      ctx.out(path);
    });
  cluster
    .command("status")
    .description("show whether the local cluster runs, and its processes")
    .option("--name <name>", "cluster name", "archctl-dev")
    .action(async (opts: { name: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const m = await loadCluster();
      const s = await m.clusterStatus({ name: opts.name });
      ctx.out(JSON.stringify(s, null, 2));
      if (!s.running) process.exitCode = ExitCode.FAILURE;
    });
}

// Command line for the local cluster, behind the npm scripts cluster:*:
//
//   node test/cluster/cli.ts up [--name N] [--tier kwok|apiserver] [--workers N] [--gpu-nodes N]
//   node test/cluster/cli.ts down [--name N]
//   node test/cluster/cli.ts kubeconfig [--name N]
//   node test/cluster/cli.ts status [--name N]
//   node test/cluster/cli.ts build [--force]
//
// `up` prints progress on stderr and the kubeconfig path alone on stdout, so
// `export KUBECONFIG=$(npm run -s cluster:up)` works.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_APISERVER_CLUSTER_NAME } from "./apiserver-only.ts";
import { ensureBinaries } from "./binaries.ts";
import {
  type ClusterTier,
  clusterDown,
  clusterStatus,
  clusterUp,
  DEFAULT_CLUSTER_NAME,
  kubeconfigPath,
} from "./kwok-cluster.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: "string" },
    tier: { type: "string", default: "kwok" },
    workers: { type: "string" },
    "gpu-nodes": { type: "string" },
    force: { type: "boolean", default: false },
    timeout: { type: "string" },
  },
});

const log = (line: string): void => {
  process.stderr.write(`[cluster] ${line}\n`);
};
const tier = values.tier as ClusterTier;
if (tier !== "kwok" && tier !== "apiserver") {
  log(`unknown --tier ${values.tier} (kwok|apiserver)`);
  process.exit(2);
}
const name =
  values.name ?? (tier === "apiserver" ? DEFAULT_APISERVER_CLUSTER_NAME : DEFAULT_CLUSTER_NAME);

async function main(): Promise<number> {
  switch (positionals[0]) {
    case "up": {
      const info = await clusterUp({
        name,
        tier,
        onProgress: log,
        nodes: {
          ...(values.workers ? { workers: Number(values.workers) } : {}),
          ...(values["gpu-nodes"] ? { gpuNodes: Number(values["gpu-nodes"]) } : {}),
        },
        ...(values.timeout ? { timeoutMs: Number(values.timeout) * 1000 } : {}),
      });
      process.stdout.write(`${info.kubeconfig}\n`);
      return 0;
    }
    case "down":
      await clusterDown({ name, onProgress: log });
      return 0;
    case "kubeconfig": {
      const path = kubeconfigPath({ name });
      process.stdout.write(`${path}\n`);
      if (!existsSync(path)) {
        log(`cluster ${name} is not up (no ${path}): run \`npm run cluster:up\``);
        return 1;
      }
      return 0;
    }
    case "status": {
      const s = await clusterStatus({ name });
      process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return s.running ? 0 : 1;
    }
    case "build": {
      const t0 = Date.now();
      const p = await ensureBinaries({ onProgress: log, force: values.force });
      log(`binaries in ${p.k8sDir} and ${p.kwokDir} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      return 0;
    }
    default:
      log("usage: cli.ts up|down|kubeconfig|status|build [--name N] [--tier kwok|apiserver]");
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);

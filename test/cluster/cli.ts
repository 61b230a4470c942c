// Command line for the local cluster, behind the npm scripts cluster:*:
//
//   node test/cluster/cli.ts up [--name N] [--tier kwok|apiserver] [--workers N] [--gpu-nodes N] [--timeout SECONDS]
//                               [--integration-crds keda,prometheus-operator|all]
//   node test/cluster/cli.ts down [--name N] [--tier kwok|apiserver]
//   node test/cluster/cli.ts kubeconfig [--name N] [--tier kwok|apiserver]
//   node test/cluster/cli.ts status [--name N] [--tier kwok|apiserver]
//   node test/cluster/cli.ts build [--force]
//
// `up` prints progress on stderr and the kubeconfig path alone on stdout, so
// `export KUBECONFIG=$(npm run -s cluster:up)` works.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { ensureBinaries } from "./binaries.ts";
import {
  INTEGRATION_NAMES,
  installIntegrationCrds,
  isIntegrationName,
} from "./integration-crds.ts";
import { clusterDown, clusterStatus, clusterUp, kubeconfigPath, kubectl } from "./kwok-cluster.ts";
import { clusterName, parseTier, parseUpOptions } from "./options.ts";

const USAGE =
  "usage: cli.ts up|down|kubeconfig|status|build [--name N] [--tier kwok|apiserver] [--workers N] [--gpu-nodes N] [--timeout SECONDS] [--integration-crds NAMES|all] [--force]";

const log = (line: string): void => {
  process.stderr.write(`[cluster] ${line}\n`);
};

// Flags are checked by options.ts (defaults per tier, counts and names) before
// anything starts, so a bad flag changes nothing.
function parse() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: "string" },
      tier: { type: "string", default: "kwok" },
      workers: { type: "string" },
      "gpu-nodes": { type: "string" },
      force: { type: "boolean", default: false },
      timeout: { type: "string" },
      "integration-crds": { type: "string" },
    },
  });
  const tier = parseTier(values.tier);
  const crds = values["integration-crds"];
  const integrations =
    crds === undefined ? [] : crds === "all" ? INTEGRATION_NAMES : crds.split(",").filter(Boolean);
  const unknown = integrations.filter((n) => !isIntegrationName(n));
  if (unknown.length)
    throw new Error(
      `--integration-crds: no integration ${unknown.join(", ")}; choose from ${INTEGRATION_NAMES.join(", ")} or all`,
    );
  return {
    command: positionals[0],
    values,
    name: clusterName(values.name, tier),
    integrations: integrations.filter(isIntegrationName),
    up: () =>
      parseUpOptions({
        ...(values.name !== undefined ? { name: values.name } : {}),
        tier,
        ...(values.workers !== undefined ? { workers: values.workers } : {}),
        ...(values["gpu-nodes"] !== undefined ? { gpuNodes: values["gpu-nodes"] } : {}),
        ...(values.timeout !== undefined ? { timeout: values.timeout } : {}),
      }),
  };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (err) {
    log(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const { name, values } = args;
  switch (args.command) {
    case "up": {
      let opts: ReturnType<typeof args.up>;
      try {
        opts = args.up();
      } catch (err) {
        log(err instanceof Error ? err.message : String(err));
        return 2;
      }
      const info = await clusterUp({ ...opts, onProgress: log });
      if (args.integrations.length) {
        await installIntegrationCrds((a, o) => kubectl(info.kubeconfig, a, o), args.integrations, {
          onProgress: log,
        });
      }
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
        const flags =
          values.name !== undefined
            ? ` --name ${name}`
            : values.tier === "apiserver"
              ? " --tier apiserver"
              : "";
        log(`cluster ${name} is not up (no ${path}): run \`node test/cluster/cli.ts up${flags}\``);
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
      log(USAGE);
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

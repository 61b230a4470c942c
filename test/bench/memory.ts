// Operator memory alone (`npm run bench:memory`): section 4 of the bench
// without the convergence runs in front of it, for checking a change to what
// the operator caches in a few minutes. Prints RSS and V8 heap used after a
// forced GC of: the floor (floor.mjs), the idle operator, and the operator with
// K Architectures and their children cached (seeded as in run.ts, then
// listed by a freshly started operator), compiled and from source. Their
// Deployments and StatefulSets get pods as a kubelet would report them
// (pods.ts; BENCH_MEM_PODS=0 leaves them out), so the rows include what the
// operator's pod cache costs: compare with an entry built before it. Heap used
// after a full GC with the same objects cached barely moves from run to run;
// RSS moves more. Asserts nothing.
//
//   BENCH_MEM_K=500 node test/bench/memory.ts          # default K: 500
//   BENCH_MEM_ENTRIES=/other/checkout/dist/cli/archctl.js,compiled  # what to measure
//   BENCH_KUBECONFIG=/path/kubeconfig.yaml ...         # a running apiserver-tier cluster
//   BENCH_KEEP_CLUSTER=1 ...                           # keep it (and the seeded namespace)
//   BENCH_MEM_PODS=0 ...                               # no pods
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { Capabilities } from "../../operator/render/types.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import { clusterDown, clusterUp } from "../cluster/kwok-cluster.ts";
import {
  BenchApi,
  cliEntry,
  loadBlueprints,
  type Memory,
  memoryOf,
  metricValue,
  mib,
  mixedArchitecture,
  prepareCluster,
  secs,
  seedArchitectures,
  settleProcess,
  startFloorProcess,
  startOperatorProcess,
  stopAllMeasured,
  until,
} from "./lib.ts";
import { seedPods } from "./pods.ts";

const env = process.env;
const K = Number(env.BENCH_MEM_K ?? 500);
const CLUSTER = env.BENCH_CLUSTER ?? "archctl-bench";
const CAPS: Capabilities = { keda: false, serviceMonitors: false };
const PODS = env.BENCH_MEM_PODS !== "0";
const log = (s: string) => process.stderr.write(`# ${s}\n`);

/** "compiled", "source" or a path to a CLI entry (another checkout's build). */
const ENTRIES = (env.BENCH_MEM_ENTRIES ?? "compiled,source")
  .split(",")
  .map((x) => x.trim())
  .filter(Boolean);
const entryPath = (e: string) => (e === "compiled" || e === "source" ? cliEntry(e) : resolve(e));

async function ensureNamespace(api: BenchApi, name: string): Promise<void> {
  const r = await api.request("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "archctl.io/bench": "true" } },
  });
  if (r.status >= 300 && r.status !== 409) throw new Error(`namespace ${name}: HTTP ${r.status}`);
}

async function architectureCount(api: BenchApi, ns: string): Promise<number> {
  const l = await api.ok<{ items: unknown[] }>(
    "GET",
    `/apis/archctl.io/v1alpha1/namespaces/${ns}/architectures`,
  );
  return l.items.length;
}

const row = (what: string, m: Memory, extra = "") =>
  `| ${what} | ${mib(m.rss)} | ${mib(m.heap)} | ${mib(m.heapTotal)} | ${mib(m.external)} | ${mib(m.rssBefore)} / ${mib(m.heapBefore)} | ${extra} |`;

async function main() {
  if (ENTRIES.includes("compiled")) {
    log("building (npm run build)");
    execFileSync(
      process.execPath,
      [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
      { cwd: REPO_ROOT, stdio: "inherit" },
    );
  }
  const own = env.BENCH_KUBECONFIG === undefined;
  const kubeconfig =
    env.BENCH_KUBECONFIG ??
    (
      await clusterUp({
        name: CLUSTER,
        tier: "apiserver",
        timeoutMs: 5 * 60_000,
        onProgress: (l) => log(`[cluster ${CLUSTER}] ${l}`),
      })
    ).kubeconfig;
  const api = new BenchApi(kubeconfig);
  const lines: string[] = [];
  try {
    await prepareCluster(kubeconfig, api);
    const f = await startFloorProcess();
    lines.push(row("floor (floor.mjs)", await memoryOf(f)));
    await f.stop();

    const idleNs = "bench-mem-idle";
    const ns = `bench-mem-${K}`;
    await ensureNamespace(api, idleNs);
    await ensureNamespace(api, ns);
    // A CRD just established answers 429 "storage is (re)initializing" for a moment.
    await until(
      "the Architecture API serves",
      async () =>
        (await api.request("GET", `/apis/archctl.io/v1alpha1/namespaces/${ns}/architectures`))
          .status === 200,
      60_000,
      500,
    );
    const have = await architectureCount(api, ns);
    if (have < K) {
      const bps = loadBlueprints();
      const archs = Array.from({ length: K - have }, (_, i) =>
        mixedArchitecture(bps, have + i, "m", ns),
      );
      const t = performance.now();
      const n = await seedArchitectures(api, archs, CAPS, 16);
      log(
        `seeded ${archs.length} Architectures with ${n} children in ${secs(performance.now() - t)}`,
      );
    }

    let pods = 0;
    if (PODS) {
      const t = performance.now();
      pods = await seedPods(api, ns, 16);
      log(`${pods} pods in ${ns} (${secs(performance.now() - t)})`);
    }

    for (const e of ENTRIES) {
      const entry = entryPath(e);
      const idle = await startOperatorProcess(kubeconfig, idleNs, `mem-idle-${lines.length}`, {
        entry,
      });
      lines.push(row(`${e}: operator, 0 Architectures`, await memoryOf(idle)));
      await idle.stop();

      const t = performance.now();
      const op = await startOperatorProcess(kubeconfig, ns, `mem-${K}-${lines.length}`, { entry });
      try {
        const readyMs = performance.now() - t;
        await until(
          `${K} Architectures cached`,
          async () => (metricValue(await op.metrics(), "archctl_architectures") ?? 0) >= K,
          300_000,
          500,
        );
        await settleProcess(op);
        const writes = metricValue(await op.metrics(), "archctl_api_writes_total") ?? 0;
        lines.push(
          row(
            `${e}: operator, ${K} Architectures${PODS ? `, ${pods} pods` : ""}`,
            await memoryOf(op),
            `synced (ready) in ${secs(readyMs)}; ${writes} writes; log ${op.logFile}`,
          ),
        );
      } finally {
        await op.stop();
      }
    }
  } finally {
    await stopAllMeasured();
    await api.close().catch(() => {});
    if (own && env.BENCH_KEEP_CLUSTER !== "1")
      await clusterDown({ name: CLUSTER, onProgress: (l) => log(`[cluster ${CLUSTER}] ${l}`) });
  }
  process.stdout.write(
    [
      `operator memory after a forced GC (K=${K}; children per Architecture as rendered, about 23)`,
      "",
      "| process | RSS | heap used | heap total | external | before GC (RSS / heap) | notes |",
      "|---|---|---|---|---|---|---|",
      ...lines,
      "",
    ].join("\n"),
  );
}

await main();

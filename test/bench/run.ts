// archctl benchmarks (`npm run bench`). Brings up its own local API server
// (apiserver tier, cluster `archctl-bench`), measures, prints a table, writes
// test/bench/BENCHMARKS.md and deletes the cluster. Every figure is set against
// a baseline measured in the same run. No assertions: it reports.
//
//   node test/bench/run.ts                 # everything (~10-12 min on 2 cores)
//   BENCH_N=100 BENCH_MEM_MAX=0 node test/bench/run.ts   # lighter
//   BENCH_SKIP=cli,latency node test/bench/run.ts        # skip sections
//   BENCH_OUT=/tmp/b.md                                   # write elsewhere
//
// See test/bench/README.md for what each figure means.
//
// Over 400 lines on purpose: one run, one API server, one table; each section
// is one function below (convergence, latency, efficiency, ...), and the
// helpers they share are in lib.ts.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Architecture } from "../../operator/api/schema.ts";
import { loadKubeConfig } from "../../operator/kube/config.ts";
import { ObjectClient } from "../../operator/kube/objects.ts";
import { ARCHITECTURES, OWNED } from "../../operator/kube/resources.ts";
import { KubeRest } from "../../operator/kube/rest.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { Operator } from "../../operator/operator.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import type { Capabilities } from "../../operator/render/types.ts";
import { Informer } from "../../operator/runtime/informer.ts";
import { createLogger } from "../../operator/runtime/logger.ts";
import { K8S_VERSION, KWOK_VERSION, kubectlBinary, REPO_ROOT } from "../cluster/binaries.ts";
import { clusterDown, clusterUp } from "../cluster/kwok-cluster.ts";
import { teamSecretsOf } from "../support/team-secrets.ts";
import {
  apiserverRequests,
  BenchApi,
  type BlueprintFixture,
  childObjects,
  cliEntry,
  DEPLOYED_RUNTIME_ENV,
  diffCounts,
  formatCounts,
  loadBlueprints,
  type MeasuredProcess,
  type Memory,
  median,
  memoryOf,
  metricValue,
  mib,
  mixedArchitecture,
  ms,
  oneFieldPatch,
  operatorRequests,
  parseMetrics,
  percentile,
  pool,
  prepareCluster,
  type RequestCounts,
  secs,
  seedArchitectures,
  settleProcess,
  sleep,
  startFloorProcess,
  startOperatorProcess,
  stopAllMeasured,
  sumCounts,
  until,
  WRITE_VERBS,
  withOneField,
} from "./lib.ts";
import { bestLoopConcurrency, heapPerChildRow, LOOP_SWEEP_N } from "./loop-sweep.ts";
import type { Report, Row, RowInput } from "./report.ts";
import { shardsEstimateSeconds, shardsSection } from "./shards.ts";

// ---------------------------------------------------------------------------
// Configuration

const env = process.env;
const list = (s: string | undefined, d: string) =>
  (s ?? d)
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
const CLUSTER = env.BENCH_CLUSTER ?? "archctl-bench";
const CONVERGE_N = list(env.BENCH_N, "100,500").map(Number);
/** Architectures cached for the largest memory figure (0 = skip the extra wave). */
const MEM_MAX = Number(env.BENCH_MEM_MAX ?? 1000);
const WORKERS = 8; // the operator's default (--workers, ARCHCTL_WORKERS)
const EFF_M = 10; // Architectures in the API-efficiency section (2 per blueprint)
const LAT_SAMPLES = Number(env.BENCH_LATENCY_SAMPLES ?? 50);
const LAT_LOAD = 100;
/**
 * Latency section configurations, BENCH_LAT_SWEEP="4x4,8x4,8x8-other":
 * workers x children applied at once per reconcile, "-other" with the load in
 * another namespace (another team's) than the measured Architecture. Default:
 * the defaults, with the load in the same namespace and then in another.
 */
interface LatencyConfig {
  workers: number;
  childConcurrency?: number;
  /** The 100 others in another namespace (a flow of their own in the queue). */
  otherNamespace?: boolean;
  label: string;
}
const LAT_CONFIGS: LatencyConfig[] = env.BENCH_LAT_SWEEP
  ? list(env.BENCH_LAT_SWEEP, "").map((c) => {
      const [w, cc] = c
        .replace(/-other$/, "")
        .split("x")
        .map(Number);
      return {
        workers: w ?? WORKERS,
        ...(cc ? { childConcurrency: cc } : {}),
        otherNamespace: c.endsWith("-other"),
        label: c,
      };
    })
  : [
      { workers: WORKERS, label: "" },
      { workers: WORKERS, otherNamespace: true, label: "other" },
    ];
const CLI_RUNS = 10;
const CREATE_CONCURRENCY = 16;
const SKIP = new Set(list(env.BENCH_SKIP, ""));
/** Sections to run alone (BENCH_ONLY=shards); empty: all but BENCH_SKIP's. */
const ONLY = new Set(list(env.BENCH_ONLY, ""));
const runs = (section: string) => (ONLY.size === 0 || ONLY.has(section)) && !SKIP.has(section);
const OUT = env.BENCH_OUT ?? join(REPO_ROOT, "test", "bench", "BENCHMARKS.md");
// No controllers on the apiserver tier: neither KEDA nor the Prometheus Operator.
const CAPS: Capabilities = { keda: false, serviceMonitors: false };
const NODE = process.execPath;
/** How the operator process runs: compiled (`node dist/cli/archctl.js`, as the image) or from source. */
const OPERATOR_HOW = env.BENCH_OPERATOR === "source" ? "source" : "compiled";
const log = (s: string) => process.stderr.write(`# ${s}\n`);

// ---------------------------------------------------------------------------
// Report

const rows: Row[] = [];
const details: string[] = [];
const row = (r: RowInput) => rows.push({ baseline: "", ratio: "", goal: "", status: "info", ...r });
const detail = (s: string) => {
  details.push(s);
  log(s);
};
const report: Report = { row, detail };
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

// ---------------------------------------------------------------------------
// Shared helpers

function makeArchitectures(
  bps: BlueprintFixture[],
  n: number,
  prefix: string,
  namespace: string,
  from = 0,
) {
  return Array.from({ length: n }, (_, i) => mixedArchitecture(bps, from + i, prefix, namespace));
}

async function createNamespace(api: BenchApi, name: string): Promise<void> {
  await api.ok("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "archctl.io/bench": "true" } },
  });
}

async function createArchitectures(api: BenchApi, archs: Architecture[]): Promise<void> {
  // The Secrets a team creates first (trading reads its exchange keys from one),
  // so that every fixture's workloads are applied, none held back.
  const team = new Map<string, KubeObject>();
  for (const a of archs)
    for (const s of teamSecretsOf(a, a.metadata.namespace ?? "default"))
      team.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
  for (const s of team.values()) await api.apply(s, "bench-team");
  await pool(archs, CREATE_CONCURRENCY, async (a) => {
    await api.ok(
      "POST",
      `/apis/archctl.io/v1alpha1/namespaces/${a.metadata.namespace}/architectures`,
      a,
    );
  });
}

/** Objects of the kinds the operator owns in a namespace (one LIST per kind). */
async function countChildren(api: BenchApi, ns: string): Promise<number> {
  let n = 0;
  for (const r of OWNED) {
    if (r.optional) continue;
    const base = r.apiVersion.includes("/") ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
    const l = await api.ok<{ items: unknown[] }>(
      "GET",
      `${base}/namespaces/${ns}/${r.plural}?labelSelector=archctl.io%2Farchitecture`,
    );
    n += l.items.length;
  }
  return n;
}

const isCurrent = (a: StoredArchitecture) =>
  a.status?.observedGeneration !== undefined &&
  a.status.observedGeneration === a.metadata.generation;

/** Background requests of the API server itself (leases, its own controllers), per ms. */
let background: RequestCounts = new Map();
let backgroundMs = 1;

function withoutBackground(d: RequestCounts, windowMs: number): RequestCounts {
  const out: RequestCounts = new Map();
  for (const [k, v] of d) {
    const bg = Math.round(((background.get(k) ?? 0) * windowMs) / backgroundMs);
    if (v - bg > 0) out.set(k, v - bg);
  }
  return out;
}

const INTERNAL = new Set(["leases", "endpoints", "endpointslices", "ipaddresses", "servicecidrs"]);

// ---------------------------------------------------------------------------
// In-process operator (API efficiency and latency): the operator's own class,
// with a hook on its REST client to timestamp writes.

type OperatorInternals = {
  rest: KubeRest;
  /** The client reconciles write through (lease-fenced: not `rest`). */
  objects: { rest: KubeRest };
  queue: { depth: number; inFlight: number };
  architectures: Informer<StoredArchitecture>[];
  enqueueAll(): void;
};

function internals(op: Operator): OperatorInternals {
  // What start() built (operator.ts, Running): private, read here on purpose.
  const r = (op as unknown as { running?: Record<string, unknown> }).running as
    | {
        rest?: KubeRest;
        objects?: { rest: KubeRest };
        architectures?: Informer<StoredArchitecture>[];
        controller?: { queue: OperatorInternals["queue"]; enqueueAll(): void };
      }
    | undefined;
  if (!r?.rest || !r.objects?.rest || !r.architectures || !r.controller?.queue)
    throw new Error(
      "Operator internals changed (running: rest, objects.rest, architectures, controller.queue)",
    );
  const controller = r.controller;
  return {
    rest: r.rest,
    objects: r.objects,
    queue: controller.queue,
    architectures: r.architectures,
    enqueueAll: () => controller.enqueueAll(),
  };
}

async function startInProcess(
  kubeconfig: string,
  namespaces: string[],
  cfg: Pick<LatencyConfig, "workers" | "childConcurrency"> = { workers: WORKERS },
): Promise<Operator> {
  const op = new Operator({
    ...(cfg.childConcurrency ? { childConcurrency: cfg.childConcurrency } : {}),
    kubeconfig,
    namespaces,
    metricsAddress: "",
    leaderElection: false,
    resyncSeconds: 3600,
    processMetrics: false,
    workers: cfg.workers,
    // info level as in production, lines formatted and dropped
    log: createLogger("info", {}, () => {}),
  });
  await op.start();
  return op;
}

function cachedArchs(op: Operator): StoredArchitecture[] {
  return internals(op).architectures.flatMap((i) => i.list());
}

/** Every cached Architecture current, the queue empty and no write for quietMs. */
async function settleInProcess(op: Operator, expected: number, quietMs = 1500): Promise<void> {
  const i = internals(op);
  let last = op.writes;
  let since = Date.now();
  await until(
    "in-process operator to settle",
    () => {
      if (op.writes !== last) {
        last = op.writes;
        since = Date.now();
      }
      const archs = cachedArchs(op);
      return (
        archs.length >= expected &&
        archs.every(isCurrent) &&
        i.queue.depth === 0 &&
        i.queue.inFlight === 0 &&
        Date.now() - since >= quietMs
      );
    },
    120_000,
    50,
  );
}

async function operatorMetricsInProcess(op: Operator) {
  return parseMetrics(await op.metrics.registry.metrics());
}

// ---------------------------------------------------------------------------
// 1. Convergence + 4. memory

async function convergence(kubeconfig: string, api: BenchApi, bps: BlueprintFixture[]) {
  const rest = new KubeRest(loadKubeConfig({ kubeconfig }));
  const operatorClient = new ObjectClient(rest);
  const childrenOf = (archs: Architecture[]) =>
    archs.flatMap((a, i) =>
      childObjects(a, `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, CAPS),
    );
  const bestLevel = !SKIP.has("loopsweep") // part of convergence: skipped only by name
    ? await bestLoopConcurrency(
        api,
        async (ns) => {
          await createNamespace(api, ns);
          return childrenOf(makeArchitectures(bps, LOOP_SWEEP_N, "c", ns));
        },
        report,
      )
    : WORKERS;
  for (const n of CONVERGE_N) {
    const archsFor = (prefix: string, ns: string) => makeArchitectures(bps, n, prefix, ns);
    const objectsFor = childrenOf;

    // (a) kubectl apply --server-side of exactly the same children
    const nsK = `bench-kubectl-${n}`;
    await createNamespace(api, nsK);
    const objsK = objectsFor(archsFor("c", nsK));
    const input = JSON.stringify({ apiVersion: "v1", kind: "List", items: objsK });
    let t = performance.now();
    const r = spawnSync(
      kubectlBinary(),
      [
        `--kubeconfig=${kubeconfig}`,
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=bench-kubectl",
        "-f",
        "-",
      ],
      { input, stdio: ["pipe", "ignore", "pipe"], maxBuffer: 1 << 28, timeout: 900_000 },
    );
    const kubectlMs = performance.now() - t;
    if (r.status !== 0) throw new Error(`kubectl apply failed: ${String(r.stderr).slice(0, 500)}`);
    detail(`N=${n}: kubectl apply --server-side of ${objsK.length} objects: ${secs(kubectlMs)}`);

    // (b) a bare client loop, WORKERS in flight, pooled keep-alive connections
    const nsL = `bench-loop-${n}`;
    await createNamespace(api, nsL);
    const objsL = objectsFor(archsFor("c", nsL));
    t = performance.now();
    await pool(objsL, WORKERS, async (o) => {
      await api.apply(o, "bench-loop");
    });
    const loopMs = performance.now() - t;
    detail(`N=${n}: client loop (${WORKERS} in flight, pooled connections): ${secs(loopMs)}`);
    // (b'') the loop at its best concurrency on this machine (loop-sweep.ts)
    // The faster of the two loops is the baseline (the sweep ran on fewer objects).
    let bestMs = loopMs;
    let bestAt = WORKERS;
    if (bestLevel !== WORKERS) {
      const nsB = `bench-bestloop-${n}`;
      await createNamespace(api, nsB);
      const objsB = objectsFor(archsFor("c", nsB));
      t = performance.now();
      await pool(objsB, bestLevel, async (o) => {
        await api.apply(o, "bench-loop");
      });
      const ms = performance.now() - t;
      if (ms < bestMs) {
        bestMs = ms;
        bestAt = bestLevel;
      }
      detail(`N=${n}: client loop at its best concurrency (${bestLevel} in flight): ${secs(ms)}`);
    }

    // (b') the same loop through the operator's own REST client (smallest N only:
    // it isolates the cost of the operator's transport)
    let kubeRestMs: number | undefined;
    if (n === Math.min(...CONVERGE_N)) {
      const nsR = `bench-kuberest-${n}`;
      await createNamespace(api, nsR);
      const objsR = objectsFor(archsFor("c", nsR));
      t = performance.now();
      await pool(objsR, WORKERS, async (o) => {
        await operatorClient.apply(o, { fieldManager: "bench-kuberest", force: true });
      });
      kubeRestMs = performance.now() - t;
      detail(`N=${n}: same loop through operator/kube/rest.ts (KubeRest): ${secs(kubeRestMs)}`);
    }

    // the operator (its own process, as `archctl operator run`)
    const nsO = `bench-operator-${n}`;
    await createNamespace(api, nsO);
    const archsO = archsFor("c", nsO);
    const expectedChildren = objectsFor(archsO).length;
    if (n === Math.min(...CONVERGE_N)) await memoryBaselines(kubeconfig, api);
    const op = await startOperator(kubeconfig, nsO);
    const inf = new Informer<StoredArchitecture>(rest, ARCHITECTURES, { namespace: nsO });
    await inf.start();
    try {
      if (n === Math.min(...CONVERGE_N)) {
        idleMemory = await memoryOf(op);
        memoryRow(0, idleMemory, op);
      }
      const m0 = await op.metrics();
      t = performance.now();
      await createArchitectures(api, archsO);
      const createdMs = performance.now() - t;
      await until(
        `${n} Architectures converged`,
        () => {
          const l = inf.list(nsO);
          return l.length === n && l.every(isCurrent);
        },
        900_000,
        25,
      );
      const opMs = performance.now() - t;
      const m1 = await op.metrics();
      const children = await countChildren(api, nsO);
      const writes =
        (metricValue(m1, "archctl_api_writes_total") ?? 0) -
        (metricValue(m0, "archctl_api_writes_total") ?? 0);
      const reqs = diffCounts(operatorRequests(m1), operatorRequests(m0));
      detail(
        `N=${n}: operator converged in ${secs(opMs)} (creating the ${n} Architectures took ${secs(createdMs)}); ` +
          `children present ${children}/${expectedChildren}; operator writes (counter) ${writes}; ` +
          `operator requests: ${formatCounts(reqs)}`,
      );
      const goalMet = opMs / kubectlMs <= 1.3;
      row({
        section: "1 convergence",
        figure: `N=${n} operator (all children applied + observedGeneration current)`,
        value: secs(opMs),
        baseline: `kubectl ${secs(kubectlMs)}`,
        ratio: ratio(opMs, kubectlMs),
        goal: "<= 1.3x kubectl",
        status: goalMet ? "meets" : "misses",
      });
      row({
        section: "1 convergence",
        figure: `N=${n} operator vs client loop (${WORKERS} in flight)`,
        value: secs(opMs),
        baseline: `loop ${secs(loopMs)}`,
        ratio: ratio(opMs, loopMs),
      });
      row({
        section: "1 convergence",
        figure: `N=${n} operator vs client loop at its best concurrency (${bestAt} in flight; sweep picked ${bestLevel})`,
        value: secs(opMs),
        baseline: `loop ${secs(bestMs)}`,
        ratio: ratio(opMs, bestMs),
        goal: n === Math.max(...CONVERGE_N) ? "<= 1.15x" : "",
        status:
          n === Math.max(...CONVERGE_N) ? (opMs / bestMs <= 1.15 ? "meets" : "misses") : "info",
      });
      if (kubeRestMs !== undefined)
        row({
          section: "1 convergence",
          figure: `N=${n} same loop through the operator's KubeRest vs pooled loop`,
          value: secs(kubeRestMs),
          baseline: `loop ${secs(loopMs)}`,
          ratio: ratio(kubeRestMs, loopMs),
        });
      row({
        section: "1 convergence",
        figure: `N=${n} children (objects + Secrets)`,
        value: `${children} of ${expectedChildren}`,
        baseline: `${objsK.length} applied by kubectl`,
      });

      await settleProcess(op);
      const mem = await memoryOf(op);
      memoryRow(n, mem, op);
      heapPerChildRow(report, n, mem, idleMemory, children);

      if (n === Math.max(...CONVERGE_N) && MEM_MAX > n) {
        // The extra Architectures are seeded (within the time budget): created
        // while the operator is stopped, their children applied by the pooled
        // loop exactly as the operator would (same content, hash, owner uid,
        // field manager); a fresh operator process then lists all MEM_MAX with
        // their children, adds finalizers and status, and is measured.
        await op.stop();
        t = performance.now();
        const seeded = await seedArchitectures(
          api,
          makeArchitectures(bps, MEM_MAX - n, "c", nsO, n),
          CAPS,
          CREATE_CONCURRENCY,
        );
        const seedMs = performance.now() - t;
        t = performance.now();
        const op2 = await startOperator(kubeconfig, nsO, "-restart");
        try {
          await until(
            `${MEM_MAX} Architectures current`,
            () => {
              const l = inf.list(nsO);
              return l.length === MEM_MAX && l.every(isCurrent);
            },
            900_000,
            25,
          );
          const restartMs = performance.now() - t;
          await settleProcess(op2);
          const m = await op2.metrics();
          const byKind = new Map<string, number>();
          for (const x of m)
            if (x.name === "archctl_api_writes_total")
              byKind.set(`${x.labels.verb} ${x.labels.kind}`, x.value);
          const cached = await countChildren(api, nsO);
          detail(
            `memory: ${MEM_MAX - n} more Architectures seeded with ${seeded} children in ${secs(seedMs)}; ` +
              `a new operator process started with ${MEM_MAX} Architectures had them all current in ${secs(restartMs)} ` +
              `(its writes: ${formatCounts(byKind)}; a child apply here would mean the seeded children differ from what it renders); ` +
              `children in ${nsO}: ${cached}`,
          );
          const memMax = await memoryOf(op2);
          memoryRow(MEM_MAX, memMax, op2);
          heapPerChildRow(report, MEM_MAX, memMax, idleMemory, cached);
        } finally {
          await op2.stop();
        }
      }
    } finally {
      await inf.stop();
      await op.stop();
    }
  }
}

function startOperator(kubeconfig: string, ns: string, suffix = ""): Promise<MeasuredProcess> {
  return startOperatorProcess(kubeconfig, ns, `operator-${ns}${suffix}`, {
    entry: cliEntry(OPERATOR_HOW),
    workers: WORKERS,
  });
}

const memoryText = (mem: Memory) =>
  `RSS ${mib(mem.rss)} (before forced GC ${mib(mem.rssBefore)}), ` +
  `heap used ${mib(mem.heap)} of ${mib(mem.heapTotal)} (before GC ${mib(mem.heapBefore)}), external ${mib(mem.external)}` +
  `${mem.gc ? "" : " (GC not forced: no inspector)"}`;

/** The floor every memory row sits on (set by memoryBaselines). */
let floor: Memory | undefined;
/** The idle operator (0 Architectures cached), for heap per cached child. */
let idleMemory: Memory | undefined;

/**
 * The floor: a bare Node process that imports the operator's libraries and
 * does nothing (floor.mjs), measured the same way; and the idle operator run
 * the other way (from source when the rows are compiled), since the bench
 * once ran it from source while the image runs dist/.
 */
async function memoryBaselines(kubeconfig: string, api: BenchApi) {
  const f = await startFloorProcess();
  try {
    floor = await memoryOf(f);
  } finally {
    await f.stop();
  }
  detail(
    `memory floor (bare Node importing client-node, prom-client, zod, yaml): ${memoryText(floor)}`,
  );
  row({
    section: "4 memory",
    figure: "floor: bare Node importing client-node, prom-client, zod, yaml (after forced GC)",
    value: `${mib(floor.rss)} / ${mib(floor.heap)}`,
  });
  const other = OPERATOR_HOW === "compiled" ? "source" : "compiled";
  const ns = "bench-idle";
  await createNamespace(api, ns);
  const op = await startOperatorProcess(kubeconfig, ns, `operator-${ns}-${other}`, {
    entry: cliEntry(other),
    workers: WORKERS,
  });
  try {
    detail(
      `memory of the idle operator run ${other === "source" ? "from source (type stripping)" : "compiled"}, 0 Architectures: ${memoryText(await memoryOf(op))}`,
    );
  } finally {
    await op.stop();
  }
}

function memoryRow(n: number, mem: Memory, op: MeasuredProcess) {
  detail(`memory with ${n} Architectures cached: ${memoryText(mem)}; log ${op.logFile}`);
  const goal = n === 1000 ? "RSS < 150 MiB" : "";
  row({
    section: "4 memory",
    figure: `operator RSS / heap used, ${n} Architectures cached (after forced GC)`,
    value: `${mib(mem.rss)} / ${mib(mem.heap)}`,
    baseline: floor ? `floor ${mib(floor.rss)} / ${mib(floor.heap)}` : "",
    ratio: floor?.rss && mem.rss ? ratio(mem.rss, floor.rss) : "",
    goal,
    status: goal ? ((mem.rss ?? Infinity) < 150 * 2 ** 20 ? "meets" : "misses") : "info",
  });
}

// ---------------------------------------------------------------------------
// 2. API efficiency, counted by the API server

async function efficiency(kubeconfig: string, api: BenchApi, bps: BlueprintFixture[]) {
  const ns = "bench-eff";
  await createNamespace(api, ns);
  const op = await startInProcess(kubeconfig, [ns]);
  try {
    const archs = makeArchitectures(bps, EFF_M, "e", ns);
    const perArchChildren = archs.map((a) => childObjects(a, "u", CAPS).length);
    const snap = async () => ({
      at: performance.now(),
      server: apiserverRequests(await api.metricsText()),
      op: await operatorMetricsInProcess(op),
      writes: op.writes,
    });
    const internal: RequestCounts = new Map();
    const measure = async (
      what: string,
      action: () => Promise<void>,
      benchOwn: Record<string, number>,
      expectedWrites: number,
    ) => {
      const a = await snap();
      await action();
      await settleInProcess(op, EFF_M);
      const b = await snap();
      const windowMs = b.at - a.at;
      const server = withoutBackground(diffCounts(b.server, a.server), windowMs);
      for (const [k, v] of Object.entries(benchOwn)) {
        const left = (server.get(k) ?? 0) - v;
        if (left > 0) server.set(k, left);
        else server.delete(k);
      }
      const opReqs = diffCounts(operatorRequests(b.op), operatorRequests(a.op));
      const reconciles =
        (metricValue(b.op, "archctl_reconcile_total") ?? 0) -
        (metricValue(a.op, "archctl_reconcile_total") ?? 0);
      // The API server's own work (ClusterIP bookkeeping, leases, endpoints of
      // the kubernetes Service) and completed long-running WATCHes are left out.
      for (const k of [...server.keys()]) {
        const [verb = "", resource = ""] = k.split(" ");
        if (verb === "WATCH" || INTERNAL.has(resource)) {
          internal.set(k, (internal.get(k) ?? 0) + (server.get(k) ?? 0));
          server.delete(k);
        }
      }
      const isEvent = (r: string) => r === "events";
      const serverWrites = sumCounts(server, (v, r) => WRITE_VERBS.has(v) && !isEvent(r));
      const serverEvents = sumCounts(server, (v, r) => WRITE_VERBS.has(v) && isEvent(r));
      const serverReads = sumCounts(server, (v) => !WRITE_VERBS.has(v));
      const opWrites = b.writes - a.writes;
      detail(
        `${what}: ${EFF_M} Architectures, ${reconciles} reconciles, ${secs(windowMs)} window. ` +
          `API server counted (bench's own requests and idle background removed): ${formatCounts(server)}. ` +
          `Operator counted: ${formatCounts(opReqs)}; operator write counter ${opWrites}.`,
      );
      const per = (x: number) => +(x / EFF_M).toFixed(2);
      return { serverWrites, serverEvents, serverReads, opWrites, reconciles, per, expectedWrites };
    };

    // create
    const createdExpected = perArchChildren.reduce((s, x) => s + x + 2, 0); // + finalizer + status
    const c = await measure(
      "create",
      () => createArchitectures(api, archs),
      { "POST architectures": EFF_M },
      createdExpected,
    );
    row({
      section: "2 API efficiency",
      figure: "create: writes per Architecture (API server count, excl. Events) / operator counter",
      value: `${c.per(c.serverWrites)} / ${c.per(c.opWrites)}`,
      baseline: `${c.per(createdExpected)} (children + finalizer + status)`,
      ratio: ratio(c.serverWrites, createdExpected),
    });
    row({
      section: "2 API efficiency",
      figure: "create: Event writes / reads per Architecture (API server)",
      value: `${c.per(c.serverEvents)} / ${c.per(c.serverReads)}`,
      baseline: `reconciles per Architecture ${c.per(c.reconciles)}`,
    });

    // no-op resync
    const noop = await measure(
      "no-op resync",
      async () => {
        const before = (await operatorMetricsInProcess(op)).filter(
          (s) => s.name === "archctl_reconcile_total",
        );
        const base = before.reduce((s, x) => s + x.value, 0);
        internals(op).enqueueAll();
        await until(
          "resync reconciles",
          async () =>
            (metricValue(await operatorMetricsInProcess(op), "archctl_reconcile_total") ?? 0) >=
            base + EFF_M,
          60_000,
        );
      },
      {},
      0,
    );
    row({
      section: "2 API efficiency",
      figure: "no-op resync: requests per reconcile (API server all verbs) / operator writes",
      value: `${+((noop.serverWrites + noop.serverEvents + noop.serverReads) / Math.max(1, noop.reconciles)).toFixed(2)} / ${noop.opWrites}`,
      goal: "0 writes",
      status:
        noop.serverWrites + noop.serverEvents === 0 && noop.opWrites === 0 ? "meets" : "misses",
    });

    // one-field change
    let changedExpected = 0;
    for (const a of archs) {
      const before = childObjects(a, "u", CAPS);
      const after = childObjects(withOneField(a, "1"), "u", CAPS);
      const hash = (o: KubeObject) =>
        o.metadata.annotations?.["archctl.io/applied-hash"] ?? "secret";
      changedExpected +=
        after.filter((o, i) => hash(o) !== hash(before[i] as KubeObject)).length + 1;
    }
    const one = await measure(
      "one-field change",
      () =>
        pool(archs, CREATE_CONCURRENCY, async (a) => {
          await api.ok(
            "PATCH",
            `/apis/archctl.io/v1alpha1/namespaces/${ns}/architectures/${a.metadata.name}`,
            oneFieldPatch(a, "1"),
            "application/json-patch+json",
          );
        }),
      { "PATCH architectures": EFF_M },
      changedExpected,
    );
    row({
      section: "2 API efficiency",
      figure:
        "one-field change: writes per Architecture (API server, excl. Events) / operator counter",
      value: `${one.per(one.serverWrites)} / ${one.per(one.opWrites)}`,
      baseline: `${one.per(changedExpected)} (changed objects + 1 status)`,
      ratio: ratio(one.serverWrites, changedExpected),
      goal: "changed objects + 1",
      status: one.serverWrites <= changedExpected ? "meets" : "misses",
    });
    row({
      section: "2 API efficiency",
      figure: "one-field change: Event writes / reads per Architecture (API server)",
      value: `${one.per(one.serverEvents)} / ${one.per(one.serverReads)}`,
      baseline: `reconciles per Architecture ${one.per(one.reconciles)}`,
    });
    detail(`left out of the counts above as the API server's own work: ${formatCounts(internal)}`);
  } finally {
    await op.stop();
  }
}

// ---------------------------------------------------------------------------
// 3. Latency: Architecture update -> the operator's first write for it

/** The bare watch->PATCH loop's samples, measured once per run. */
let floorSamples: number[] | undefined;

async function latency(
  kubeconfig: string,
  api: BenchApi,
  bps: BlueprintFixture[],
  cfg: LatencyConfig = { workers: WORKERS, label: "" },
) {
  const ns = cfg.label ? `bench-lat-${cfg.label}` : "bench-lat";
  const loadNs = cfg.otherNamespace ? `${ns}-load` : ns;
  const tag =
    (cfg.label && cfg.label !== "other"
      ? `, ${cfg.workers} workers x ${cfg.childConcurrency ?? "default"} children at once`
      : "") + (cfg.otherNamespace ? ", the others in another namespace" : "");
  await createNamespace(api, ns);
  if (loadNs !== ns) await createNamespace(api, loadNs);
  // The target's namespace first: architectures[0] is its cache.
  const op = await startInProcess(kubeconfig, [...new Set([ns, loadNs])], cfg);
  // Writes go through the operator's object client, the cache's reads not.
  const rest = internals(op).objects.rest;
  const target = mixedArchitecture(bps, 1, "lat-target", ns); // post
  const targetName = target.metadata.name;
  let armed = false;
  let firstWrite = 0;
  const original = rest.request.bind(rest);
  rest.request = ((verb, path, opts) => {
    if (armed && verb !== "GET" && path.includes(`/${targetName}`) && !path.includes("/events")) {
      armed = false;
      firstWrite = performance.now();
    }
    return original(verb, path, opts);
  }) as KubeRest["request"];

  let rev = 0;
  const sample = async () => {
    const value = String(++rev);
    firstWrite = 0;
    armed = true;
    const t0 = performance.now();
    await api.ok(
      "PATCH",
      `/apis/archctl.io/v1alpha1/namespaces/${ns}/architectures/${targetName}`,
      oneFieldPatch(target, value),
      "application/json-patch+json",
    );
    const acked = performance.now();
    await until("first write", () => firstWrite > 0, 60_000, 1);
    const sent = firstWrite - t0;
    const afterAck = firstWrite - acked;
    // wait until that update is fully reconciled, so samples do not overlap
    await until(
      "target reconciled",
      () => {
        const a = internals(op).architectures[0]?.get(targetName, ns);
        return a && isCurrent(a) ? a : undefined;
      },
      60_000,
      2,
    );
    return { sent, afterAck };
  };

  try {
    floorSamples ??= await watchPatchLoop(api, bps);
    const floorIdle = floorSamples;
    await createArchitectures(api, [target]);
    await settleInProcess(op, 1);
    const idle: number[] = [];
    const idleAck: number[] = [];
    for (let i = 0; i < LAT_SAMPLES; i++) {
      const s = await sample();
      idle.push(s.sent);
      idleAck.push(s.afterAck);
      await sleep(20 + Math.random() * 50);
    }

    // under load: LAT_LOAD other Architectures created, then changed again and
    // again, one wave after the other, while the target is updated
    const load = makeArchitectures(bps, LAT_LOAD, "lat-load", loadNs);
    let stop = false;
    let waves = 0;
    const depths: number[] = [];
    const waveMs: number[] = [];
    const generator = (async () => {
      let waveStart = performance.now();
      await createArchitectures(api, load);
      waves++;
      while (!stop) {
        await until(
          "load wave done",
          () => stop || (internals(op).queue.depth === 0 && internals(op).queue.inFlight === 0),
          120_000,
          20,
        );
        if (stop) break;
        waveMs.push(performance.now() - waveStart);
        waveStart = performance.now();
        const value = `w${waves}`;
        await pool(load, CREATE_CONCURRENCY, async (a) => {
          if (stop) return;
          await api.ok(
            "PATCH",
            `/apis/archctl.io/v1alpha1/namespaces/${loadNs}/architectures/${a.metadata.name}`,
            oneFieldPatch(a, value),
            "application/json-patch+json",
          );
        });
        waves++;
      }
    })();
    const loaded: number[] = [];
    const loadedAck: number[] = [];
    try {
      await sleep(300); // the first wave is under way
      // bounded: samples stuck behind a whole creation wave take seconds each
      const deadline = Date.now() + 150_000;
      for (let i = 0; i < LAT_SAMPLES && Date.now() < deadline; i++) {
        depths.push(internals(op).queue.depth);
        const s = await sample();
        loaded.push(s.sent);
        loadedAck.push(s.afterAck);
        await sleep(50 + Math.random() * 200);
      }
    } finally {
      stop = true;
      await generator;
    }
    const [createWave, ...editWaves] = waveMs;
    detail(
      `latency${tag}: load waves: creating ${LAT_LOAD} converged in ${createWave === undefined ? "n/a" : secs(createWave)}; ` +
        `an edit wave of ${LAT_LOAD} took median ${editWaves.length ? secs(median(editWaves)) : "n/a"} (${editWaves.length} waves)`,
    );
    detail(
      `latency${tag} idle (n=${idle.length}): from sending the update p50 ${ms(median(idle))} p99 ${ms(percentile(idle, 99))} max ${ms(Math.max(...idle))}; ` +
        `from its acknowledgement p50 ${ms(median(idleAck))} p99 ${ms(percentile(idleAck, 99))}`,
    );
    detail(
      `latency${tag} under load (n=${loaded.length}, ${LAT_LOAD} other Architectures, ${waves} waves, queue depth at update p50 ${median(depths)} max ${Math.max(...depths)}): ` +
        `p50 ${ms(median(loaded))} p99 ${ms(percentile(loaded, 99))} max ${ms(Math.max(...loaded))}; ` +
        `from acknowledgement p50 ${ms(median(loadedAck))} p99 ${ms(percentile(loadedAck, 99))}`,
    );
    row({
      section: "3 latency",
      figure: `update -> first write${tag}, idle (n=${idle.length}) p50 / p99`,
      value: `${ms(median(idle))} / ${ms(percentile(idle, 99))}`,
      baseline: `bare watch->PATCH loop ${ms(median(floorIdle))} / ${ms(percentile(floorIdle, 99))}`,
      ratio: ratio(median(idle), median(floorIdle)),
      goal: "p99 < 100 ms",
      status: percentile(idle, 99) < 100 ? "meets" : "misses",
    });
    row({
      section: "3 latency",
      figure: `update -> first write${tag}, ${LAT_LOAD} others converging (n=${loaded.length}) p50 / p99`,
      value: `${ms(median(loaded))} / ${ms(percentile(loaded, 99))}`,
      baseline: `idle p50 ${ms(median(idle))}`,
      ratio: ratio(median(loaded), median(idle)),
      goal: "p99 <= 300 ms",
      status: percentile(loaded, 99) <= 300 ? "meets" : "misses",
    });
  } finally {
    await op.stop();
  }
}

/**
 * The floor of the idle figure: a bare client that watches Architectures and,
 * on the MODIFIED event of the one being changed, issues one PATCH (of a
 * ConfigMap), through one pooled connection set. The same clock as the
 * operator's: from sending the update to issuing the write. No operator
 * watches its namespace. Returns the samples (ms).
 */
async function watchPatchLoop(api: BenchApi, bps: BlueprintFixture[]): Promise<number[]> {
  const ns = "bench-lat-floor";
  await createNamespace(api, ns);
  const target = mixedArchitecture(bps, 1, "lat-floor", ns);
  const name = target.metadata.name;
  const created = await api.ok<StoredArchitecture>(
    "POST",
    `/apis/archctl.io/v1alpha1/namespaces/${ns}/architectures`,
    target,
  );
  await api.ok("POST", `/api/v1/namespaces/${ns}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name },
    data: { rev: "0" },
  });
  let armed = false;
  let fired = 0;
  let write: Promise<unknown> | undefined;
  const stop = await api.watch(
    `/apis/archctl.io/v1alpha1/namespaces/${ns}/architectures?watch=true&resourceVersion=${created.metadata.resourceVersion}`,
    (ev) => {
      if (!armed || ev.type !== "MODIFIED") return;
      armed = false;
      fired = performance.now();
      write = api.ok(
        "PATCH",
        `/api/v1/namespaces/${ns}/configmaps/${name}`,
        { data: { rev: ev.object.metadata?.resourceVersion ?? "" } },
        "application/merge-patch+json",
      );
    },
  );
  const samples: number[] = [];
  try {
    for (let i = 0; i < LAT_SAMPLES; i++) {
      fired = 0;
      armed = true;
      const t0 = performance.now();
      await api.ok(
        "PATCH",
        `/apis/archctl.io/v1alpha1/namespaces/${ns}/architectures/${name}`,
        oneFieldPatch(target, `f${i}`),
        "application/json-patch+json",
      );
      await until("watch event", () => fired > 0, 60_000, 1);
      await write;
      samples.push(fired - t0);
      await sleep(20 + Math.random() * 50);
    }
  } finally {
    stop();
  }
  detail(
    `latency floor, bare watch->PATCH loop (n=${samples.length}): p50 ${ms(median(samples))} p99 ${ms(percentile(samples, 99))} max ${ms(Math.max(...samples))}`,
  );
  return samples;
}

// ---------------------------------------------------------------------------
// 5. CLI start-up

interface Timing {
  label: string;
  median: number;
  p90: number;
}

function timeCommands(cmds: { label: string; argv: string[] }[]): Timing[] {
  const hyperfine = spawnSync("hyperfine", ["--version"], { encoding: "utf8" }).status === 0;
  if (hyperfine) {
    const out = join(tmpdir(), `archctl-bench-hyperfine-${process.pid}.json`);
    const args = [
      "-N",
      "--warmup",
      "2",
      "--runs",
      String(CLI_RUNS),
      "--export-json",
      out,
      "--style",
      "none",
    ];
    for (const c of cmds) args.push("--command-name", c.label, c.argv.map(quote).join(" "));
    const r = spawnSync("hyperfine", args, { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) throw new Error(`hyperfine failed: ${String(r.stderr)}`);
    const json = JSON.parse(readFileSync(out, "utf8")) as {
      results: { command: string; median: number; times: number[] }[];
    };
    return json.results.map((x) => ({
      label: x.command,
      median: x.median * 1000,
      p90: percentile(x.times, 90) * 1000,
    }));
  }
  return cmds.map((c) => {
    const times: number[] = [];
    for (let i = 0; i < CLI_RUNS + 2; i++) {
      const t = performance.now();
      const r = spawnSync(c.argv[0] as string, c.argv.slice(1), {
        cwd: REPO_ROOT,
        stdio: "ignore",
      });
      if (r.status !== 0) throw new Error(`${c.label} failed`);
      if (i >= 2) times.push(performance.now() - t);
    }
    return { label: c.label, median: median(times), p90: percentile(times, 90) };
  });
}

const quote = (s: string) => (/^[A-Za-z0-9_./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** npm run build: the compiled CLI rows and the operator process run dist/. */
function build() {
  log("building (npm run build)");
  const t = performance.now();
  execFileSync(
    NODE,
    [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: REPO_ROOT,
      stdio: "inherit",
    },
  );
  detail(`npm run build (tsc -p tsconfig.build.json): ${secs(performance.now() - t)}`);
  const compiled = cliEntry("compiled");
  if (!existsSync(compiled)) throw new Error(`${compiled} missing after build`);
}

/**
 * Modules a command loads (ours, npm packages'), counted by a load hook
 * (count-modules.mjs) in one extra run: a figure that does not move with the
 * machine's load, unlike the times.
 */
function moduleCount(argv: string[]): string {
  const [node, ...rest] = argv;
  const r = spawnSync(
    node as string,
    ["--import", join(REPO_ROOT, "test", "bench", "count-modules.mjs"), ...rest],
    { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] },
  );
  const m = /archctl-bench modules: (\d+) ours (\d+) npm (\d+)/.exec(r.stderr);
  return m ? `${m[1]} (${m[2]} ours, ${m[3]} npm)` : "n/a";
}

function cli(bps: BlueprintFixture[]) {
  const cmds: { label: string; argv: string[] }[] = [
    { label: "node -e 0", argv: [NODE, "-e", "0"] },
  ];
  // Both through the entry with the compile cache (cli/archctl.ts), as installed.
  for (const how of ["source", "compiled"] as const) {
    const entry = cliEntry(how);
    cmds.push({ label: `${how} --version`, argv: [NODE, entry, "--version"] });
    for (const bp of bps) {
      cmds.push({
        label: `${how} validate ${bp.name}`,
        argv: [NODE, entry, "validate", "-f", `blueprints/${bp.name}.yaml`],
      });
      cmds.push({
        label: `${how} render --objects ${bp.name}`,
        argv: [NODE, entry, "render", "-f", `blueprints/${bp.name}.yaml`, "--objects"],
      });
    }
  }
  const timings = timeCommands(cmds);
  const modules = cmds.map((c) => (c.label === "node -e 0" ? "0" : moduleCount(c.argv)));
  const base = timings[0] as Timing;
  const lines = timings.map(
    (x, i) =>
      `| ${x.label} | ${ms(x.median)} | ${ms(x.p90)} | ${ratio(x.median, base.median)} | ${ms(x.median - base.median)} | ${modules[i]} |`,
  );
  details.push(
    [
      `CLI start-up, ${CLI_RUNS} runs each after 2 warm-ups (page cache warm), median / p90; modules loaded (counted by a load hook in one more run):`,
      "",
      "| command | median | p90 | vs node -e 0 | over node -e 0 | modules |",
      "|---|---|---|---|---|---|",
      ...lines,
    ].join("\n"),
  );
  for (const l of lines) log(l);
  const worst = (how: string, what: string) => {
    const xs = timings.filter((x) => x.label.startsWith(`${how} ${what}`));
    return xs.reduce((a, b) => (b.median > a.median ? b : a));
  };
  for (const how of ["source", "compiled"]) {
    const v = timings.find((x) => x.label === `${how} --version`) as Timing;
    const val = worst(how, "validate");
    const ren = worst(how, "render");
    row({
      section: "5 CLI",
      figure: `${how}: --version / slowest validate / slowest render --objects (median)`,
      value: `${ms(v.median)} / ${ms(val.median)} / ${ms(ren.median)} (${ren.label.split(" ").pop()})`,
      baseline: `node -e 0 ${ms(base.median)}`,
      ratio: ratio(ren.median, base.median),
      goal: "render < 300 ms",
      status: ren.median < 300 ? "meets" : "misses",
    });
  }
}

// ---------------------------------------------------------------------------
// Main

function gitCommit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync(
      "git",
      ["status", "--porcelain", "--", "cli", "operator", "blueprints"],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    ).trim();
    return dirty ? `${sha} (+ uncommitted changes in cli/operator/blueprints)` : sha;
  } catch {
    return "unknown";
  }
}

function archctlVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string })
    .version;
}

/** A tool's version from its output, or undefined when it is not installed. */
function toolVersion(
  bin: string,
  args: string[],
  parse: (stdout: string) => string | undefined,
): string | undefined {
  const r = spawnSync(bin, args, { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  try {
    return parse(r.stdout);
  } catch {
    return undefined;
  }
}

function writeReport(header: string[], started: number) {
  const table = [
    "| section | figure | value | baseline | ratio | goal | status |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.section} | ${r.figure} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.goal} | ${r.status} |`,
    ),
  ].join("\n");
  const md = [
    "# archctl benchmarks",
    "",
    "Written by `npm run bench` (test/bench/run.ts), so rewritten by every run; see [README.md](README.md) for what each figure means",
    "and [ANALYSIS.md](ANALYSIS.md) (hand-written, for the run it names) for why a figure misses its goal, what was fixed and what the rest would take.",
    "",
    ...header.map((h) => `- ${h}`),
    `- bench wall time: ${secs(performance.now() - started)}`,
    "",
    "## Figures",
    "",
    table,
    "",
    "## Details",
    "",
    ...details.map((d) => (d.includes("\n") ? `${d}\n` : `- ${d}`)),
    "",
  ].join("\n");
  writeFileSync(OUT, md);
  process.stdout.write(`\n${table}\n\nwritten to ${OUT}\n`);
}

const SECTIONS = ["cli", "efficiency", "latency", "convergence", "shards"];

/**
 * The bench's wall time, from the sections chosen and their sizes, with the
 * rates of the committed runs on this 2-core machine (quiet): seconds per
 * Architecture of the kubectl + loops + operator runs, the seeded wave, etc.
 */
function estimateMinutes(): number {
  let s = 60; // build, cluster up, background window, cluster down
  if (runs("cli")) s += 60;
  if (runs("efficiency")) s += 20;
  if (runs("latency")) s += 30 + (45 + Math.min(150, LAT_SAMPLES * 2)) * LAT_CONFIGS.length;
  if (runs("convergence")) {
    s += 40 + CONVERGE_N.reduce((a, n) => a + n * 0.3, 0);
    if (MEM_MAX > Math.max(...CONVERGE_N)) s += (MEM_MAX - Math.max(...CONVERGE_N)) * 0.1;
    if (!SKIP.has("loopsweep")) s += 30 + Math.max(...CONVERGE_N) * 0.05;
  }
  if (runs("shards")) s += shardsEstimateSeconds();
  return s / 60;
}

async function main() {
  const started = performance.now();
  const bps = loadBlueprints();
  const header = [
    `date: ${new Date().toISOString()}`,
    `machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average at start ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} (other work may share the machine)`,
    `node ${process.version}; Kubernetes ${K8S_VERSION} (kube-apiserver + etcd, apiserver tier); kwok ${KWOK_VERSION} (not running on this tier)`,
    `archctl ${archctlVersion()}; git commit: ${gitCommit()}`,
    `kubectl ${toolVersion(kubectlBinary(), ["version", "--client", "-o", "json"], (o) => (JSON.parse(o) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion) ?? "not found"}; ` +
      `hyperfine ${toolVersion("hyperfine", ["--version"], (o) => o.trim().split(/\s+/)[1]) ?? "not installed (CLI times from an in-process spawn loop)"}`,
    `operator: ${WORKERS} workers (default), run ${OPERATOR_HOW === "compiled" ? "compiled (node dist/cli/archctl.js, as the image runs it)" : "from source (node cli/archctl.ts, type stripping)"}; capabilities: no KEDA, no ServiceMonitor CRDs`,
    `runtime of every measured process (operators, shards, floor): ${
      process.env.BENCH_RUNTIME === "node-defaults"
        ? "Node's defaults (BENCH_RUNTIME=node-defaults)"
        : `as deployed: ${Object.entries(DEPLOYED_RUNTIME_ENV)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ")}`
    }`,
  ];

  build();
  log(
    `estimated wall time: ${estimateMinutes().toFixed(0)} min (${SECTIONS.filter(runs).join(", ")})`,
  );
  header.push(
    `estimated before the run: ${estimateMinutes().toFixed(0)} min; sections: ${SECTIONS.filter(runs).join(", ")}`,
  );
  if (runs("cli")) cli(bps);

  const info = await clusterUp({
    name: CLUSTER,
    tier: "apiserver",
    timeoutMs: 5 * 60_000,
    onProgress: (l) => log(`[cluster ${CLUSTER}] ${l}`),
  });
  const api = new BenchApi(info.kubeconfig);
  // Interrupted (Ctrl-C, a timeout's SIGTERM): no operator process or cluster left behind.
  const interrupted = async (signal: string) => {
    log(`${signal}: stopping the operator processes and the cluster`);
    await stopAllMeasured();
    if (env.BENCH_KEEP_CLUSTER !== "1") await clusterDown({ name: CLUSTER, onProgress: log });
    process.exit(130);
  };
  process.once("SIGINT", () => void interrupted("SIGINT"));
  process.once("SIGTERM", () => void interrupted("SIGTERM"));
  try {
    const version = await api.ok<{ gitVersion: string }>("GET", "/version");
    header[2] = `${header[2]}; server reports ${version.gitVersion}`;
    await prepareCluster(info.kubeconfig, api);
    // the API server's own background traffic, to subtract from counted windows
    const a = apiserverRequests(await api.metricsText());
    const t = performance.now();
    await sleep(10_000);
    background = diffCounts(apiserverRequests(await api.metricsText()), a);
    backgroundMs = performance.now() - t;
    detail(`idle API server background over ${secs(backgroundMs)}: ${formatCounts(background)}`);

    if (runs("efficiency")) await efficiency(info.kubeconfig, api, bps);
    if (runs("latency"))
      for (const cfg of LAT_CONFIGS) await latency(info.kubeconfig, api, bps, cfg);
    if (runs("convergence")) await convergence(info.kubeconfig, api, bps);
    if (runs("shards"))
      await shardsSection(info.kubeconfig, api, cliEntry(OPERATOR_HOW), report, floor);
  } finally {
    await stopAllMeasured();
    await api.close().catch(() => {});
    if (env.BENCH_KEEP_CLUSTER !== "1")
      await clusterDown({ name: CLUSTER, onProgress: (l) => log(`[cluster ${CLUSTER}] ${l}`) });
  }
  writeReport(header, started);
}

await main();

// Bench section "shards" (run.ts; alone: BENCH_ONLY=shards): many small
// Architectures (3-5 children each) over sharded operator processes on the
// apiserver tier. Figures: convergence time from the first POST until every
// Architecture is current, RSS and heap of each shard after a forced GC (next
// to the floor), and the takeover time of shard 0 after SIGKILL of its leader
// (a standby waits for its Lease), then how long an edit of one of shard 0's
// Architectures takes to be reconciled by the new leader.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Architecture } from "../../operator/api/schema.ts";
import { loadKubeConfig } from "../../operator/kube/config.ts";
import { ARCHITECTURES, OWNED } from "../../operator/kube/resources.ts";
import { KubeRest } from "../../operator/kube/rest.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import { Informer } from "../../operator/runtime/informer.ts";
import { ownerShard } from "../../operator/runtime/shard.ts";
import {
  type BenchApi,
  type MeasuredProcess,
  type Memory,
  memoryOf,
  metricValue,
  mib,
  pool,
  secs,
  settleProcess,
  startFloorProcess,
  startMeasured,
  until,
} from "./lib.ts";
import type { Report } from "./report.ts";

const env = process.env;
/** Architectures created (BENCH_SHARDS_N), shards (BENCH_SHARDS), workers per shard. */
export const SHARDS_N = Number(env.BENCH_SHARDS_N ?? 10_000);
const SHARDS = Number(env.BENCH_SHARDS ?? 3);
const SHARD_WORKERS = Number(env.BENCH_SHARDS_WORKERS ?? 8);
/** Bound on the convergence wait (minutes). */
const TIMEOUT_MIN = Number(env.BENCH_SHARDS_TIMEOUT_MIN ?? 45);
const NS = "bench-shards";
const LEASE_SECONDS = 15; // the operator's default lease duration (runtime/leader.ts)

/** The i-th small Architecture: 3, 4 or 5 children in turn. */
export function smallArchitecture(i: number, namespace: string): Architecture {
  const image = "ghcr.io/example/api:1";
  const kinds = i % 3;
  const components: Record<string, unknown>[] =
    kinds === 0
      ? [{ name: "api", type: "service", image, replicas: 1 }] // Service, Deployment, NetworkPolicy
      : kinds === 1
        ? [{ name: "api", type: "service", image }] // + PodDisruptionBudget
        : [
            { name: "api", type: "service", image, replicas: 1 },
            { name: "jobs", type: "worker", image }, // + Deployment, NetworkPolicy
          ];
  return {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: `s-${String(i).padStart(5, "0")}`, namespace },
    spec: {
      components,
      monitoring: { serviceMonitors: false, dashboard: false },
    } as unknown as Architecture["spec"],
  };
}

const isCurrent = (a: StoredArchitecture) =>
  a.status?.observedGeneration !== undefined &&
  a.status.observedGeneration === a.metadata.generation;

function startShard(
  entry: string,
  kubeconfig: string,
  shard: number,
  tag: string,
): Promise<MeasuredProcess> {
  return startMeasured(
    entry,
    [
      "--kubeconfig",
      kubeconfig,
      "operator",
      "run",
      "--watch-namespaces",
      NS,
      "--workers",
      String(SHARD_WORKERS),
      "--resync",
      "3600",
      "--log-level",
      "info",
      "--leader-elect",
      "--lease-namespace",
      NS,
      "--shard",
      String(shard),
      "--shards",
      String(SHARDS),
    ],
    `shard-${shard}${tag}`,
  );
}

const alive = (p: MeasuredProcess) => {
  try {
    process.kill(p.pid, 0);
    return true;
  } catch {
    return false;
  }
};

const leads = async (p: MeasuredProcess) =>
  metricValue(await p.metrics().catch(() => []), "archctl_leader") === 1;

/** Objects of the owned kinds in the namespace, counted with one small LIST per kind. */
async function countObjects(api: BenchApi, ns: string): Promise<number> {
  let n = 0;
  for (const r of OWNED) {
    if (r.optional) continue;
    const base = r.apiVersion.includes("/") ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
    const l = await api.ok<{ items: unknown[]; metadata: { remainingItemCount?: number } }>(
      "GET",
      `${base}/namespaces/${ns}/${r.plural}?limit=1`,
    );
    n += l.items.length + (l.metadata.remainingItemCount ?? 0);
  }
  return n;
}

export async function shardsSection(
  kubeconfig: string,
  api: BenchApi,
  entry: string,
  report: Report,
  floorIn?: Memory,
): Promise<void> {
  const { row, detail } = report;
  await api.ok("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS, labels: { "archctl.io/bench": "true" } },
  });
  let floor = floorIn;
  if (!floor) {
    const f = await startFloorProcess();
    try {
      floor = await memoryOf(f);
    } finally {
      await f.stop();
    }
  }
  const rest = new KubeRest(loadKubeConfig({ kubeconfig }));
  const inf = new Informer<StoredArchitecture>(rest, ARCHITECTURES, { namespace: NS });
  await inf.start();
  const procs: MeasuredProcess[] = [];
  try {
    // Shard 0's first process first, so that it leads and the second is its standby.
    const first0 = await startShard(entry, kubeconfig, 0, "");
    procs.push(first0);
    await until("shard 0 leads", () => leads(first0), 60_000, 200);
    const others = await Promise.all(
      Array.from({ length: SHARDS - 1 }, (_, i) => startShard(entry, kubeconfig, i + 1, "")),
    );
    procs.push(...others);
    // procs[i] is shard i's first process for i < SHARDS; procs[SHARDS] shard 0's second.
    procs.push(await startShard(entry, kubeconfig, 0, "-standby"));
    for (const p of others) await until("shard leads", () => leads(p), 60_000, 200);

    const archs = Array.from({ length: SHARDS_N }, (_, i) => smallArchitecture(i, NS));
    const perShard = Array.from({ length: SHARDS }, (_, s) =>
      archs.filter((a) => ownerShard(a as unknown as StoredArchitecture, SHARDS) === s),
    ).map((l) => l.length);
    const t0 = performance.now();
    await pool(archs, 16, async (a) => {
      await api.ok("POST", `/apis/archctl.io/v1alpha1/namespaces/${NS}/architectures`, a);
    });
    const createdMs = performance.now() - t0;
    // A shard that loses its Lease exits (as client-go's do) and its Pod would
    // be restarted: the bench restarts it too, and counts it.
    const restarts: string[] = [];
    // As the kubelet's crash-loop back-off: 10 s, doubling, at most 5 min, per
    // process slot. Without it each restart relisted everything at once and
    // starved the next leader's renewals (ANALYSIS.md, the 10,000 run).
    const restartsOf = procs.map(() => 0);
    const restarting = new Map<number, Promise<void>>();
    const superviseShards = () => {
      for (const [i, p] of procs.entries()) {
        if (restarting.has(i) || alive(p)) continue;
        const shard = i % SHARDS;
        const tag = `-restart${restarts.length + 1}`;
        restarts.push(`shard ${shard} at ${secs(performance.now() - t0)} (log ${p.logFile})`);
        const backoffMs = Math.min(10_000 * 2 ** (restartsOf[i] ?? 0), 300_000);
        restartsOf[i] = (restartsOf[i] ?? 0) + 1;
        const restart = async () => {
          await p.stop();
          await sleep(backoffMs);
          procs[i] = await startShard(entry, kubeconfig, shard, tag);
        };
        restarting.set(
          i,
          restart().finally(() => restarting.delete(i)),
        );
      }
    };
    let lastLog = 0;
    await until(
      `${SHARDS_N} small Architectures current`,
      () => {
        superviseShards();
        const l = inf.list(NS);
        const current = l.filter(isCurrent).length;
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          process.stderr.write(
            `# shards: ${current}/${SHARDS_N} current after ${secs(lastLog - t0)}\n`,
          );
        }
        return l.length === SHARDS_N && current === SHARDS_N;
      },
      TIMEOUT_MIN * 60_000,
      500,
    );
    const convergedMs = performance.now() - t0;
    await Promise.all(restarting.values());
    if (restarts.length)
      detail(
        `shards: ${restarts.length} shard process(es) exited while converging (lost their Lease) and were restarted: ${restarts.join("; ")}`,
      );
    const children = await countObjects(api, NS);
    detail(
      `shards: ${SHARDS_N} small Architectures (3-5 children each) over ${SHARDS} shards (${SHARD_WORKERS} workers each, shard 0 with a standby; Architectures per shard ${perShard.join("/")}): ` +
        `all current ${secs(convergedMs)} after the first POST (POSTing them took ${secs(createdMs)}); ${children} children present`,
    );
    row({
      section: "6 shards",
      figure: `${SHARDS_N} small Architectures over ${SHARDS} shards: convergence (all current)`,
      value: secs(convergedMs),
      baseline: `${children} children; POSTs alone ${secs(createdMs)}${restarts.length ? `; ${restarts.length} shard restart(s)` : ""}`,
      goal: "converge",
      status: "meets",
    });

    // Memory of each process, after the writes stopped and a forced GC.
    const mems: { name: string; leader: boolean; mem: Memory }[] = [];
    for (const [i, p] of procs.entries()) {
      await settleProcess(p);
      const leader = await leads(p);
      const name = `shard ${i % SHARDS}${leader ? "" : " standby"}`;
      mems.push({ name, leader, mem: await memoryOf(p) });
    }
    for (const { name, mem } of mems)
      detail(
        `shards: ${name}: RSS ${mib(mem.rss)} (before forced GC ${mib(mem.rssBefore)}), heap used ${mib(mem.heap)} (before GC ${mib(mem.heapBefore)})`,
      );
    const leadersMem = mems.filter((m) => m.leader);
    const standbys = mems.filter((m) => !m.leader);
    const maxRss = Math.max(...leadersMem.map((m) => m.mem.rss ?? Infinity));
    row({
      section: "6 shards",
      figure: `RSS / heap used per shard leader after forced GC (${leadersMem.map((m) => m.name).join(", ")}); standby RSS`,
      value: `${leadersMem.map((m) => `${mib(m.mem.rss)} / ${mib(m.mem.heap)}`).join("; ")}; standby ${standbys.map((m) => mib(m.mem.rss)).join(", ")}`,
      baseline: `floor ${mib(floor.rss)} / ${mib(floor.heap)}`,
      ratio: floor.rss ? `${(maxRss / floor.rss).toFixed(2)}x` : "",
      goal: "RSS <= 200 MiB per shard",
      status: maxRss <= 200 * 2 ** 20 ? "meets" : "misses",
    });

    // Takeover: SIGKILL shard 0's leader; its standby leads once the Lease runs out.
    const zeros = [procs[0], procs[SHARDS]] as [MeasuredProcess, MeasuredProcess];
    const leaderOf0 = await until(
      "shard 0 has a leader",
      async () =>
        (await leads(zeros[0])) ? zeros[0] : (await leads(zeros[1])) ? zeros[1] : undefined,
      60_000,
      200,
    );
    const standbyOf0 = leaderOf0 === zeros[0] ? zeros[1] : zeros[0];
    const killedAt = performance.now();
    process.kill(leaderOf0.pid, "SIGKILL");
    await until("shard 0's standby leads", () => leads(standbyOf0), 120_000, 100);
    const takeoverMs = performance.now() - killedAt;
    await leaderOf0.stop();
    // An edit of one of shard 0's Architectures, reconciled by the new leader
    // while it works through its shard's initial list.
    const target = archs.find(
      (a) => ownerShard(a as unknown as StoredArchitecture, SHARDS) === 0,
    ) as Architecture;
    const t1 = performance.now();
    const edited = await api.ok<StoredArchitecture>(
      "PATCH",
      `/apis/archctl.io/v1alpha1/namespaces/${NS}/architectures/${target.metadata.name}`,
      [{ op: "add", path: "/spec/components/0/env", value: { BENCH_REV: "takeover" } }],
      "application/json-patch+json",
    );
    await until(
      "the edit after takeover reconciled",
      () => {
        const a = inf.get(target.metadata.name, NS);
        return (
          a !== undefined &&
          (a.status?.observedGeneration ?? 0) >= (edited.metadata.generation ?? 1) &&
          a
        );
      },
      120_000,
      50,
    );
    const editMs = performance.now() - t1;
    detail(
      `shards: SIGKILL of shard 0's leader: its standby led after ${secs(takeoverMs)} (lease ${LEASE_SECONDS} s, retry 2 s); ` +
        `an edit of ${target.metadata.name} (shard 0) sent then was reconciled ${secs(editMs)} later`,
    );
    row({
      section: "6 shards",
      figure: "takeover after SIGKILL of shard 0's leader (standby leads); then an edit reconciled",
      value: `${secs(takeoverMs)}; edit ${secs(editMs)}`,
      baseline: `lease ${LEASE_SECONDS} s`,
      goal: `<= lease + 5 s (${LEASE_SECONDS + 5} s)`,
      status: takeoverMs <= (LEASE_SECONDS + 5) * 1000 ? "meets" : "misses",
    });
  } finally {
    for (const p of procs) await p.stop();
    await inf.stop();
  }
}

/** Seconds this section is expected to take (printed before the run). */
export function shardsEstimateSeconds(): number {
  // measured: see README.md ("6 shards"); start-up, memory and takeover ~90 s
  return 90 + SHARDS_N * 0.15; // 10,000: 1,552 s to 9,979 current at load ~9
}

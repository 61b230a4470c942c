// Bench: the bare client loop at its best concurrency on this machine, and
// the heap each cached child costs the operator (both used by run.ts's
// convergence section).
//
// The loop (server-side apply of exactly the operator's children, one pooled
// connection set) is timed at each concurrency of BENCH_LOOP_SWEEP (default
// 1,2,4,8,16,32) on BENCH_LOOP_SWEEP_N Architectures (default 50, ~1,150
// objects, each level into a fresh namespace); the fastest level is the one
// the N=100/500 loop runs at next to the operator.
import { performance } from "node:perf_hooks";
import type { KubeObject } from "../../operator/kube/types.ts";
import { type BenchApi, type Memory, pool, secs } from "./lib.ts";
import type { Report } from "./report.ts";

const env = process.env;
export const LOOP_LEVELS = (env.BENCH_LOOP_SWEEP ?? "1,2,4,8,16,32")
  .split(",")
  .map(Number)
  .filter((x) => x > 0);
export const LOOP_SWEEP_N = Number(env.BENCH_LOOP_SWEEP_N ?? 50);

/** Times the loop at each level; returns the fastest level. */
export async function bestLoopConcurrency(
  api: BenchApi,
  objectsIn: (namespace: string) => Promise<KubeObject[]>,
  report: Report,
): Promise<number> {
  const times: { level: number; ms: number; objects: number }[] = [];
  for (const level of LOOP_LEVELS) {
    const objs = await objectsIn(`bench-sweep-${level}`);
    const t = performance.now();
    await pool(objs, level, async (o) => {
      await api.apply(o, "bench-loop");
    });
    times.push({ level, ms: performance.now() - t, objects: objs.length });
  }
  const best = times.reduce((a, b) => (b.ms < a.ms ? b : a));
  report.detail(
    `client loop concurrency sweep (${LOOP_SWEEP_N} Architectures, ${times[0]?.objects ?? 0} objects each, fresh namespace per level): ` +
      `${times.map((x) => `${x.level} in flight ${secs(x.ms)} (${Math.round((x.objects * 1000) / x.ms)}/s)`).join(", ")}; best ${best.level}`,
  );
  return best.level;
}

/**
 * Heap per cached child: (heap used after a forced GC with K Architectures
 * cached − heap used by the idle operator) / the children cached. The
 * Architectures themselves, their remembered statuses and the queue's keys
 * are in the difference too, so this is an upper bound of a child's entry.
 */
export function heapPerChildRow(
  report: Report,
  k: number,
  mem: Memory,
  idle: Memory | undefined,
  children: number,
): void {
  if (!idle?.heap || !mem.heap || children <= 0) return;
  const per = (mem.heap - idle.heap) / children;
  report.detail(
    `heap per cached child at ${k} Architectures: (${(mem.heap / 2 ** 20).toFixed(1)} MiB - idle ${(idle.heap / 2 ** 20).toFixed(1)} MiB) / ${children} children = ${Math.round(per)} B`,
  );
  report.row({
    section: "4 memory",
    figure: `heap per cached child, ${k} Architectures ((heap after GC - idle heap) / ${children} children)`,
    value: `${(per / 1024).toFixed(2)} KiB`,
    baseline: `idle heap ${(idle.heap / 2 ** 20).toFixed(0)} MiB`,
    goal: "<= 0.5 KiB",
    status: per <= 512 ? "meets" : "misses",
  });
}

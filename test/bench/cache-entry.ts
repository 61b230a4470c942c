// Heap per cached child: the children of K Architectures (the bench's mixed
// blueprints) are applied as the operator applies them to a local API server,
// listed back as served, and kept in memory as the operator's cache keeps them:
// - "whole": lean(), what the cache kept until issue 17 (the whole object,
//   managedFields and last-applied dropped, Secret values dropped, strings
//   shared), and still keeps of Architectures;
// - "compact": compactChild(), what the child caches keep now (identity, what
//   the plan and roll-up read, a digest of the owned fields).
// Heap used after a forced GC, per object. Run with --expose-gc:
//   node --expose-gc test/bench/cache-entry.ts      (BENCH_ENTRY_K=200)
import { performance } from "node:perf_hooks";
import { resourceFor, resourcePath } from "../../operator/kube/resources.ts";
import { compactChild } from "../../operator/runtime/child-entry.ts";
import { lean } from "../../operator/runtime/informer.ts";
import { clusterDown, clusterUp } from "../cluster/kwok-cluster.ts";
import { CHECKOUT_ID } from "../support/checkout-id.ts";
import { BenchApi, childObjects, loadBlueprints, mixedArchitecture, pool, secs } from "./lib.ts";

const K = Number(process.env.BENCH_ENTRY_K ?? 200);
const NAME = `archctl-bench-entry-${CHECKOUT_ID}`;
const NS = "bench-entry";
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const log = (l: string) => process.stderr.write(`# ${l}\n`);

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

const { kubeconfig } = await clusterUp({
  name: NAME,
  tier: "apiserver",
  onProgress: (l) => log(l),
});
try {
  const api = new BenchApi(kubeconfig);
  await api.request("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS },
  });
  const bps = loadBlueprints();
  const objs = Array.from({ length: K }, (_, i) =>
    childObjects(mixedArchitecture(bps, i, "e", NS), `uid-${i}`, {
      keda: false,
      serviceMonitors: false,
    }),
  ).flat();
  const t = performance.now();
  await pool(objs, 16, async (o) => {
    if (o.kind === "Secret")
      await api.ok("POST", `/api/v1/namespaces/${NS}/secrets?fieldManager=archctl-operator`, o);
    else await api.apply(o, "archctl-operator");
  });
  log(`applied ${objs.length} children of ${K} Architectures in ${secs(performance.now() - t)}`);
  const kinds = new Set(objs.map((o) => o.kind)).size;
  const served: string[] = [];
  for (const o of objs) {
    const path = resourcePath(resourceFor(o.apiVersion, o.kind), NS, o.metadata.name);
    served.push(JSON.stringify(await api.ok("GET", path)));
  }
  log(`${served.length} objects of ${kinds} kinds read back`);
  const bytes = served.reduce((n, s) => n + s.length, 0);

  const measure = (keep: (o: Record<string, unknown>) => Record<string, unknown>) => {
    const before = heapAfterGc();
    const kept = served.map((s) => keep(JSON.parse(s) as Record<string, unknown>));
    const after = heapAfterGc();
    return { perObject: (after - before) / kept.length, kept: kept.length };
  };
  // Twice each, alternating: the second figures are the ones to read (warm code, warm intern table).
  const rows: string[] = [];
  for (let round = 0; round < 2; round++) {
    const whole = measure(lean);
    const compact = measure(compactChild);
    // CPU per object of each, on objects parsed beforehand.
    const cpu = (keep: (o: Record<string, unknown>) => unknown) => {
      const parsed = served.map((s) => JSON.parse(s) as Record<string, unknown>);
      const t0 = performance.now();
      for (const o of parsed) keep(o);
      return Math.round((1000 * (performance.now() - t0)) / parsed.length);
    };
    rows.push(
      `round ${round + 1}: whole ${Math.round(whole.perObject)} B/object, compact ${Math.round(compact.perObject)} B/object (${whole.kept} objects; CPU per object: lean ${cpu(lean)} µs, compactChild ${cpu(compactChild)} µs)`,
    );
  }
  console.log(
    `${served.length} children as served: ${Math.round(bytes / served.length)} B of JSON each`,
  );
  for (const r of rows) console.log(r);
} finally {
  await clusterDown({ name: NAME, onProgress: (l) => log(l) });
}

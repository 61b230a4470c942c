// Measures the local-cluster figures in test/cluster/README.md: `up` of a new
// cluster, `up` of one already running, and the resident memory of its
// processes, for each tier, on throw-away clusters it deletes afterwards.
//
//   node test/cluster/measure.ts [--runs N] [--tier kwok|apiserver] [--settle SECONDS]
//
// Binaries must be built (bash test/cluster/build-binaries.sh): a build is
// not a start, and is timed by the script itself.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { type ClusterTier, clusterDown, clusterPids, clusterUp } from "./kwok-cluster.ts";
import { parseCount, parseTier, parseTimeoutSeconds } from "./options.ts";
import { rssKiB } from "./procfs.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    tier: { type: "string" },
    settle: { type: "string", default: "10" },
  },
});
const runs = Math.max(1, parseCount("--runs", values.runs));
const settleMs = parseTimeoutSeconds(values.settle) * 1000;
const tiers: ClusterTier[] = values.tier ? [parseTier(values.tier)] : ["kwok", "apiserver"];

const secs = (ms: number) => (ms / 1000).toFixed(1);
const range = (xs: number[]) =>
  xs.length === 0 ? "-" : `${secs(Math.min(...xs))}-${secs(Math.max(...xs))} s`;

for (const tier of tiers) {
  const created: number[] = [];
  const running: number[] = [];
  let rss: Map<string, number> | undefined;
  for (let i = 0; i < runs; i++) {
    const name = `archctl-measure-${tier}-${process.pid}-${i}`;
    try {
      const a = await clusterUp({ name, tier, build: false });
      created.push(a.elapsedMs);
      const b = await clusterUp({ name, tier, build: false });
      running.push(b.elapsedMs);
      if (i === 0) {
        // Memory of an idle cluster, after start-up work has settled.
        await new Promise((r) => setTimeout(r, settleMs));
        rss = new Map([...clusterPids(name)].map(([c, pid]) => [c, rssKiB(pid)]));
      }
    } finally {
      await clusterDown({ name });
    }
  }
  const total = [...(rss?.values() ?? [])].reduce((a, b) => a + b, 0);
  const parts = [...(rss ?? [])].map(([c, k]) => `${c} ${Math.round(k / 1024)}`).join(", ");
  process.stdout.write(
    `${tier}: up new ${range(created)}, up already running ${range(running)} (${runs} runs); ` +
      `RSS ${Math.round(total / 1024)} MiB (${parts}); load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}\n`,
  );
}

// Every test tier in one runner, cheapest first: unit, then integration, then
// end-to-end, one file at a time. `node --test` sorts all the files it is
// given by path, which put test/e2e first and test/unit last, so the unit
// tier ran while the clusters of the other two were still up (load 13 on 2
// cores seen, and a fuzz time limit missed). Here the order is the tiers',
// and the clusters follow the rule of test/support/run-clusters.ts: none runs
// during the unit tier, at most one at a time after it.
//
//   node test/support/run-tiers.ts [tier|file ...]   # default: unit dataplane integration e2e
//
// The dataplane tier (test/dataplane) runs the rendered datastore scripts
// against real servers from Debian packages, as plain processes: no cluster.
//
// Same options as .ci/run's former `node --test` line: one file at a time,
// 10 minutes per test, the clusters' global setup, the spec reporter, one
// closing summary over every test. ARCHCTL_TEST_WATCH_CLUSTERS=1 prints,
// before each file, the load average and the local clusters running.
import { globSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { REPO_ROOT } from "../cluster/binaries.ts";
import { clusterPids, kwokWorkdir } from "../cluster/kwok-cluster.ts";
import { processRunning } from "../cluster/procfs.ts";
import { startedClusters } from "./run-clusters.ts";

const TIERS = ["unit", "dataplane", "integration", "e2e"] as const;
type Tier = (typeof TIERS)[number];

const filesOf = (tier: Tier) => globSync(`test/${tier}/**/*.test.ts`, { cwd: REPO_ROOT }).sort();
const tierOf = new Map(TIERS.flatMap((t) => filesOf(t).map((f) => [f, t] as const)));

// Tiers, or test files (paths from the repository root) run in the order given.
const asked = process.argv.slice(2);
const files = (asked.length ? asked : TIERS).flatMap((a) => {
  if ((TIERS as readonly string[]).includes(a)) return filesOf(a as Tier);
  const file = relative(REPO_ROOT, join(process.cwd(), a));
  if (!tierOf.has(file))
    throw new Error(`'${a}' is neither a tier (${TIERS.join(", ")}) nor a test file of one`);
  return [file];
});

/** Local clusters with a running process, from the shared kwok workdir (other checkouts' too). */
function runningClusters(): string[] {
  let names: string[];
  try {
    names = readdirSync(join(kwokWorkdir(), "clusters"));
  } catch {
    return [];
  }
  return names.filter((n) => [...clusterPids(n).values()].some(processRunning)).sort();
}

// Read by the global setup (test/support/run-clusters.ts): files go one at a time.
process.env.ARCHCTL_TEST_SEQUENTIAL = "1";
const watch = process.env.ARCHCTL_TEST_WATCH_CLUSTERS === "1";

// Ctrl-C or a CI cancel: stop the files, and still run the global teardown
// (it stops the clusters), as `node --test` does on SIGINT.
const interrupted = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    process.exitCode = 130;
    interrupted.abort();
  });

// globalSetupPath is Node 24's (--test-global-setup); @types/node does not list it yet.
const options: Parameters<typeof run>[0] & { globalSetupPath: string } = {
  signal: interrupted.signal,
  files,
  cwd: REPO_ROOT,
  concurrency: 1,
  timeout: 600_000,
  globalSetupPath: join(REPO_ROOT, "test", "support", "cluster.ts"),
};
const stream = run(options);
let tier: Tier | undefined;
const seen = new Set<string>();
stream.on("test:dequeue", (d) => {
  // A file's own top-level entry: its process is about to start.
  if (d.nesting !== 0 || !d.file || seen.has(d.file)) return;
  seen.add(d.file);
  const file = relative(REPO_ROOT, d.file);
  const next = tierOf.get(file);
  if (next && next !== tier) {
    tier = next;
    process.stderr.write(`\n=== tier ${tier}\n`);
  }
  if (watch) {
    const ours = new Set(startedClusters().map((c) => c.name));
    const running = runningClusters();
    const list = (names: string[]) => names.join(", ") || "none";
    process.stderr.write(
      `# [clusters] before ${file}: load ${loadavg()[0]?.toFixed(1)}; this run's running: ${list(running.filter((n) => ours.has(n)))}; others running: ${list(running.filter((n) => !ours.has(n)))}\n`,
    );
  }
});
stream.on("test:summary", (s) => {
  // The run's own summary (no file): its verdict is the exit code.
  if (s.file === undefined && !s.success) process.exitCode ||= 1;
});
stream.compose(spec).pipe(process.stdout);

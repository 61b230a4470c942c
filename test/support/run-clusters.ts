// Which local clusters a test run started, and when it stops them.
//
// The rule (test/cluster/README.md, "One cluster at a time"): in a run whose
// files go one at a time, a file that asks for a cluster first stops every
// other cluster the run started, and a file with a cluster of its own stops it
// when it ends. So at most one test cluster runs at once, and none is left
// over for the files that need none. A run whose files go in parallel keeps
// them all to the end, as before: another file may be using them.
//
// State lives in .cache/test-run/ of the checkout, cleared by the run's
// global setup: `<name>.created` (the tier) for each cluster the run started,
// and `sequential` (the runner's PID) when its files go one at a time.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../cluster/binaries.ts";
import { type ClusterTier, clusterDown } from "../cluster/kwok-cluster.ts";

export const TEST_STATE_DIR = join(REPO_ROOT, ".cache", "test-run");
const SEQUENTIAL = join(TEST_STATE_DIR, "sequential");
const CREATED = ".created";

const keepAll = () => process.env.ARCHCTL_KEEP_CLUSTER === "1";
const log = (name: string) => (l: string) => process.stderr.write(`# [cluster ${name}] ${l}\n`);

/** True when the runner was told `--test-concurrency=1` (or runs the tiers, test/support/run-tiers.ts). */
export function sequentialRunner(
  execArgv: string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.ARCHCTL_TEST_SEQUENTIAL === "1") return true;
  for (const [i, a] of execArgv.entries()) {
    if (a === "--test-concurrency=1") return true;
    if (a === "--test-concurrency" && execArgv[i + 1] === "1") return true;
  }
  return false;
}

/** The global setup's part: a fresh state folder, and whether this run's files go one at a time. */
export function startRun(): void {
  rmSync(TEST_STATE_DIR, { recursive: true, force: true });
  mkdirSync(TEST_STATE_DIR, { recursive: true });
  if (sequentialRunner()) writeFileSync(SEQUENTIAL, `${process.pid}\n`);
}

/**
 * Called in a test file: is it part of a run whose files go one at a time?
 * Its runner (the process that ran the global setup) is its parent. Without
 * the global setup, or from an older run's leftover file, the answer is no.
 */
function inSequentialRun(): boolean {
  try {
    return Number(readFileSync(SEQUENTIAL, "utf8").trim()) === process.ppid;
  } catch {
    return false;
  }
}

export function recordStarted(name: string, tier: ClusterTier): void {
  mkdirSync(TEST_STATE_DIR, { recursive: true });
  writeFileSync(join(TEST_STATE_DIR, `${name}${CREATED}`), `${tier}\n`);
}

/** The clusters this run started and has not stopped yet. */
export function startedClusters(): { name: string; tier: string }[] {
  if (!existsSync(TEST_STATE_DIR)) return [];
  return readdirSync(TEST_STATE_DIR)
    .filter((f) => f.endsWith(CREATED))
    .sort()
    .map((f) => ({
      name: f.slice(0, -CREATED.length),
      tier: readFileSync(join(TEST_STATE_DIR, f), "utf8").trim(),
    }));
}

async function stop(name: string, why: string): Promise<void> {
  log(name)(`stopping (${why})`);
  await clusterDown({ name, onProgress: log(name) });
  rmSync(join(TEST_STATE_DIR, `${name}${CREATED}`), { force: true });
}

/**
 * Before a file uses cluster `name`: stop the others this run started, except
 * those this file uses too (`inUse`); one-at-a-time runs only.
 */
export async function stopClustersOtherThan(name: string, inUse: Set<string>): Promise<void> {
  if (keepAll() || !inSequentialRun()) return;
  for (const c of startedClusters())
    if (c.name !== name && !inUse.has(c.name))
      await stop(c.name, `this file needs ${name} instead`);
}

/** At the end of a file with a cluster of its own: stop it if this run started it (one-at-a-time runs only). */
export async function stopFileCluster(name: string): Promise<void> {
  if (keepAll() || !inSequentialRun()) return;
  if (startedClusters().some((c) => c.name === name)) await stop(name, "its file is done");
}

/** The global teardown's part: stop what is left, unless ARCHCTL_KEEP_CLUSTER=1. */
export async function endRun(): Promise<void> {
  for (const c of startedClusters()) {
    if (keepAll()) {
      process.stderr.write(`# keeping ${c.tier} cluster ${c.name} (ARCHCTL_KEEP_CLUSTER=1)\n`);
      continue;
    }
    await stop(c.name, "the run is done");
  }
}

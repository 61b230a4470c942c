// The cluster the integration and end-to-end tests run against.
//
//   const cluster = await getCluster("kwok");        // or "apiserver"
//   test("...", async (t) => {
//     const ns = await cluster.namespace(t);          // fresh namespace, deleted after
//     await cluster.apply(ns, manifests);
//     const core = cluster.kc.makeApiClient(CoreV1Api);
//   });
//
// Local by default: the first call in a test run brings the tier's cluster up
// (idempotent, so consecutive test files share it). With the run's global
// setup (`--test-global-setup=test/support/cluster.ts`, globalSetup and
// globalTeardown below), a run whose files go one at a time keeps one test
// cluster at a time: asking for a cluster stops the others the run started,
// a file with a cluster of its own stops it with stopFileClusterOf(), and the
// teardown stops the rest (test/support/run-clusters.ts). Without the global
// setup the cluster stays up for the next run and
// `npm run cluster:down -- --name <name>` removes it; the name,
// archctl-test[-api]-<checkout id>, is printed when it starts.
// Set ARCHCTL_TEST_KUBECONFIG=/path (or
// ARCHCTL_USE_EXISTING_CLUSTER=1 to use $KUBECONFIG / ~/.kube/config) to run
// the same suites against an existing cluster instead; nothing is then started
// or stopped there, only per-test namespaces are created and deleted.
//
// On a failed test its namespace is dumped, with the cluster's component logs,
// into .cache/test-logs/<time>-<test>/ (kept; the namespace is still deleted
// unless ARCHCTL_KEEP_NAMESPACES=1).
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { REPO_ROOT } from "../cluster/binaries.ts";
import {
  type ClusterInfo,
  type ClusterTier,
  clusterDir,
  clusterUp,
  kubectl as kubectlAt,
} from "../cluster/kwok-cluster.ts";
import { GPU_PRESENT_LABEL } from "../cluster/nodes.ts";
import { CHECKOUT_ID } from "./checkout-id.ts";
import {
  endRun,
  recordStarted,
  startRun,
  stopClustersOtherThan,
  stopFileCluster,
} from "./run-clusters.ts";

export type { ClusterTier } from "../cluster/kwok-cluster.ts";

/**
 * Cluster names the test runs use: distinct from the dev cluster `archctl-dev`
 * and per checkout (test/support/checkout-id.ts).
 */
export const TEST_CLUSTER_NAMES: Record<ClusterTier, string> = {
  kwok: process.env.ARCHCTL_TEST_CLUSTER_NAME ?? `archctl-test-${CHECKOUT_ID}`,
  apiserver: process.env.ARCHCTL_TEST_APISERVER_NAME ?? `archctl-test-api-${CHECKOUT_ID}`,
};

export { TEST_STATE_DIR } from "./run-clusters.ts";
export const TEST_LOGS_DIR = join(REPO_ROOT, ".cache", "test-logs");

/** The kubeconfig of an existing cluster to use instead of a local one, if asked for. */
export function existingClusterKubeconfig(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string | undefined {
  if (env.ARCHCTL_TEST_KUBECONFIG) return env.ARCHCTL_TEST_KUBECONFIG;
  const use = env.ARCHCTL_USE_EXISTING_CLUSTER ?? "";
  if (use === "1" || use === "true") {
    const first = (env.KUBECONFIG ?? "").split(":").find((p) => p !== "");
    return first ?? join(home, ".kube", "config");
  }
  // Anything else ("yes", "on") used to mean "no" silently, and the suites
  // then started a local cluster the user did not ask for.
  if (use !== "" && use !== "0" && use !== "false")
    throw new Error(
      `ARCHCTL_USE_EXISTING_CLUSTER=${use} is not understood: set it to 1 (use $KUBECONFIG or ~/.kube/config) or 0, or set ARCHCTL_TEST_KUBECONFIG=/path/to/kubeconfig`,
    );
  return undefined;
}

export type KubectlResult = { exitCode: number; stdout: string; stderr: string };

export type TestCluster = {
  tier: ClusterTier;
  /** True when running against ARCHCTL_TEST_KUBECONFIG / ARCHCTL_USE_EXISTING_CLUSTER. */
  existing: boolean;
  kubeconfig: string;
  /** A fresh client config (client-node v2). */
  kc: KubeConfig;
  /** Local cluster details (undefined for an existing cluster). */
  local: ClusterInfo | undefined;
  /** Run kubectl against the cluster. Throws on a non-zero exit unless reject: false. */
  kubectl(
    args: string[],
    opts?: { input?: string; reject?: boolean; timeoutMs?: number },
  ): Promise<KubectlResult>;
  /** `kubectl apply --server-side` of objects (JSON-serialisable manifests) into a namespace. */
  apply(namespace: string | undefined, objects: object[]): Promise<void>;
  /**
   * A fresh namespace for this test, deleted when it ends. On failure, the
   * namespace's objects, events and the component logs are kept in .cache/test-logs/.
   */
  namespace(t: TestContext, opts?: { prefix?: string }): Promise<string>;
  /** Names of nodes labelled nvidia.com/gpu.present=true (empty: no GPU pool). */
  gpuNodes(): Promise<string[]>;
  /** Poll until fn returns a truthy value; throws the last error / a timeout. */
  eventually<T>(
    what: string,
    fn: () => Promise<T | undefined | null | false>,
    timeoutMs?: number,
  ): Promise<T>;
};

const memo = new Map<ClusterTier, Promise<TestCluster>>();
/** Local clusters this process (one test file) uses: never stopped for another of its own. */
const usedHere = new Set<string>();

/** The cluster for a tier, started once per run (shared by every test file). */
export function getCluster(tier: ClusterTier): Promise<TestCluster> {
  let p = memo.get(tier);
  if (!p) {
    p = makeCluster(tier);
    memo.set(tier, p);
  }
  return p;
}

async function makeCluster(tier: ClusterTier): Promise<TestCluster> {
  const existing = existingClusterKubeconfig();
  let local: ClusterInfo | undefined;
  let kubeconfig: string;
  if (existing) {
    kubeconfig = existing;
  } else {
    const name = TEST_CLUSTER_NAMES[tier];
    await stopClustersOtherThan(name, usedHere);
    usedHere.add(name);
    // Recorded before it is created: a run interrupted half way through the
    // start still stops it (its teardown runs on Ctrl-C).
    const creating = !existsSync(clusterDir(name));
    if (creating) recordStarted(name, tier);
    local = await clusterUp({
      name,
      tier,
      timeoutMs: 10 * 60_000,
      onProgress: (l) => process.stderr.write(`# [cluster ${name}] ${l}\n`),
    });
    kubeconfig = local.kubeconfig;
    // This run started it (or restarted a stopped one), so this run stops it;
    // not one that was already up.
    if (local.started && !creating) recordStarted(name, tier);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);

  const kubectl = (
    args: string[],
    opts: { input?: string; reject?: boolean; timeoutMs?: number } = {},
  ) => kubectlAt(kubeconfig, args, opts);

  const cluster: TestCluster = {
    tier,
    existing: existing !== undefined,
    kubeconfig,
    kc,
    local,
    kubectl,
    async apply(namespace, objects) {
      const list = { apiVersion: "v1", kind: "List", items: objects };
      await kubectl(
        [
          "apply",
          "--server-side",
          "--field-manager=archctl-test",
          ...(namespace ? ["-n", namespace] : []),
          "-f",
          "-",
        ],
        { input: JSON.stringify(list) },
      );
    },
    async namespace(t, opts = {}) {
      const ns = namespaceName(opts.prefix ?? t.name);
      await kubectl(["create", "namespace", ns]);
      await kubectl(["label", "namespace", ns, "archctl.io/test=true"]);
      t.after(async () => {
        // TestContext.passed exists at runtime in Node 24 (not in every @types/node).
        const passed = (t as TestContext & { passed?: boolean }).passed;
        if (passed === false) await dumpFailure(cluster, t, ns);
        if (process.env.ARCHCTL_KEEP_NAMESPACES !== "1") {
          await kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"], {
            reject: false,
          });
        }
      });
      if (tier === "kwok" || existing) {
        // Pods need the namespace's `default` ServiceAccount (ServiceAccount admission).
        await cluster.eventually(`serviceaccount default in ${ns}`, async () => {
          const r = await kubectl(["get", "serviceaccount", "default", "-n", ns, "-o", "name"], {
            reject: false,
          });
          return r.exitCode === 0;
        });
      }
      return ns;
    },
    async gpuNodes() {
      const r = await kubectl([
        "get",
        "nodes",
        "-l",
        `${GPU_PRESENT_LABEL}=true`,
        "-o",
        "jsonpath={.items[*].metadata.name}",
      ]);
      return r.stdout.split(/\s+/).filter((s) => s !== "");
    },
    async eventually(what, fn, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let lastErr: unknown;
      for (;;) {
        try {
          const v = await fn();
          if (v) return v as NonNullable<typeof v>;
        } catch (err) {
          lastErr = err;
        }
        if (Date.now() > deadline) {
          const why = lastErr instanceof Error ? `: ${lastErr.message}` : "";
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
        }
        await sleep(250);
      }
    },
  };
  return cluster;
}

function slug(s: string, max: number): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, max)
      .replace(/-+$/g, "") || "t"
  );
}

/** t-<slug>-<random>, a valid DNS label. */
export function namespaceName(prefix: string): string {
  const rand = Math.random().toString(36).slice(2, 7);
  return `t-${slug(prefix, 50)}-${rand}`;
}

async function dumpFailure(cluster: TestCluster, t: TestContext, ns: string): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = join(TEST_LOGS_DIR, `${stamp}-${slug(t.fullName ?? t.name, 80)}`);
  try {
    mkdirSync(dir, { recursive: true });
    const grab = async (file: string, args: string[]) => {
      const r = await cluster.kubectl(args, { reject: false, timeoutMs: 30_000 });
      writeFileSync(join(dir, file), r.stdout + (r.stderr ? `\n# stderr:\n${r.stderr}` : ""));
    };
    await grab("namespace-objects.yaml", [
      "get",
      "all,configmaps,secrets,events,leases",
      "-n",
      ns,
      "-o",
      "yaml",
    ]);
    await grab("events.txt", ["get", "events", "-n", ns, "--sort-by=.lastTimestamp"]);
    await grab("pods-describe.txt", ["describe", "pods", "-n", ns]);
    if (cluster.tier === "kwok" || cluster.existing)
      await grab("nodes.txt", ["get", "nodes", "-o", "wide", "--show-labels"]);
    const logs = cluster.local?.logsDir;
    if (logs && existsSync(logs)) {
      mkdirSync(join(dir, "components"), { recursive: true });
      for (const f of readdirSync(logs)) copyFileSync(join(logs, f), join(dir, "components", f));
    }
    process.stderr.write(
      `# test "${t.name}" failed: namespace ${ns} and cluster logs kept in ${dir}\n`,
    );
  } catch (err) {
    process.stderr.write(`# could not save failure logs to ${dir}: ${String(err)}\n`);
  }
}

/**
 * A file that starts a cluster of its own (its own name, set before this
 * module is imported) calls this in its top-level `after`: in a run whose
 * files go one at a time, the cluster goes when the file ends rather than
 * lingering through the files that follow.
 */
export async function stopFileClusterOf(cluster: TestCluster | undefined): Promise<void> {
  if (cluster?.local) await stopFileCluster(cluster.local.name);
}

/**
 * node:test global setup (`node --test --test-global-setup=test/support/cluster.ts`).
 * Clears the run's markers; clusters are started lazily by getCluster().
 */
export async function globalSetup(): Promise<void> {
  startRun();
}

/**
 * Deletes the local clusters this run created and has not stopped yet (not
 * ones that were already running, e.g. kept by ARCHCTL_KEEP_CLUSTER=1 or
 * started by hand), unless ARCHCTL_KEEP_CLUSTER=1.
 */
export async function globalTeardown(): Promise<void> {
  await endRun();
}

// The local cluster's command-line options, for test/cluster/cli.ts (the npm
// cluster:* scripts) and test/cluster/measure.ts: counts, names, tiers and
// timeouts are checked before anything starts, so a bad flag changes nothing.
import { DEFAULT_APISERVER_CLUSTER_NAME } from "./apiserver-only.ts";
import { DEFAULT_CLUSTER_NAME } from "./kwok-cluster.ts";

/** A flag with a bad value: the command prints the message and exits 2. */
export class ClusterOptionError extends Error {
  override name = "ClusterOptionError";
}

export type DevTier = "kwok" | "apiserver";

/**
 * Default cluster name per tier. Distinct names so that `up --tier apiserver`
 * does not run into the kwok dev cluster (one name holds one tier).
 */
export const DEV_CLUSTER_NAMES: Record<DevTier, string> = {
  kwok: DEFAULT_CLUSTER_NAME,
  apiserver: DEFAULT_APISERVER_CLUSTER_NAME,
};

/**
 * More simulated nodes than this is a typo, not a test: each is a Node object
 * kwok heartbeats, and the whole set is applied in one request.
 */
export const MAX_SIMULATED_NODES = 1000;

export function parseTier(value: string | undefined): DevTier {
  const v = value ?? "kwok";
  if (v === "kwok" || v === "apiserver") return v;
  throw new ClusterOptionError(`--tier: unknown tier '${v}': use kwok or apiserver`);
}

// The name becomes a folder under <cache>/kwok/clusters/ that `down` deletes,
// so "../x" or "a/b" must never get through; kwokctl wants a DNS label anyway.
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function clusterName(name: string | undefined, tier: DevTier): string {
  if (name === undefined) return DEV_CLUSTER_NAMES[tier];
  if (name.length > 63 || !NAME.test(name))
    throw new ClusterOptionError(
      `--name: '${name}' is not a valid cluster name: use lower-case letters, digits and '-' (at most 63, starting and ending with a letter or digit), e.g. --name my-dev`,
    );
  return name;
}

/** A count flag: a whole number from 0 to MAX_SIMULATED_NODES, written in digits. */
export function parseCount(flag: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > MAX_SIMULATED_NODES)
    throw new ClusterOptionError(
      `${flag}: '${value}' is not a node count: give a whole number from 0 to ${MAX_SIMULATED_NODES}, e.g. ${flag} 3`,
    );
  return n;
}

/** --timeout SECONDS: a whole number of seconds, at least 1. */
export function parseTimeoutSeconds(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new ClusterOptionError(
      `--timeout: '${value}' is not a number of seconds: give a whole number of at least 1, e.g. --timeout 300`,
    );
  return n;
}

export type RawUpOptions = {
  name?: string;
  tier?: string;
  workers?: string;
  gpuNodes?: string;
  timeout?: string;
};

export type UpOptions = {
  name: string;
  tier: DevTier;
  nodes: { workers?: number; gpuNodes?: number };
  timeoutMs?: number;
};

/** `up` flags as given on the command line -> clusterUp options. Throws ClusterOptionError (exit 2). */
export function parseUpOptions(raw: RawUpOptions): UpOptions {
  const tier = parseTier(raw.tier);
  const name = clusterName(raw.name, tier);
  if (tier === "apiserver") {
    // The apiserver tier has no kwok controller and no nodes: a node count
    // there would be silently ignored.
    for (const [flag, v] of [
      ["--workers", raw.workers],
      ["--gpu-nodes", raw.gpuNodes],
    ] as const) {
      if (v !== undefined)
        throw new ClusterOptionError(
          `${flag}: the apiserver tier has no nodes; drop ${flag} or use --tier kwok`,
        );
    }
  }
  const nodes: UpOptions["nodes"] = {};
  if (raw.workers !== undefined) nodes.workers = parseCount("--workers", raw.workers);
  if (raw.gpuNodes !== undefined) nodes.gpuNodes = parseCount("--gpu-nodes", raw.gpuNodes);
  return {
    name,
    tier,
    nodes,
    ...(raw.timeout !== undefined ? { timeoutMs: parseTimeoutSeconds(raw.timeout) * 1000 } : {}),
  };
}

// Where a local cluster lives on disk: the kwok workdir under the cache, one
// folder per cluster, its kubeconfig. Pure path arithmetic, no I/O.
import { join } from "node:path";
import { cacheDir } from "./binaries.ts";

export type ClusterTier = "kwok" | "apiserver";

export const DEFAULT_CLUSTER_NAME = "archctl-dev";

export function kwokWorkdir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "kwok");
}

export function clusterDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  // clusterDown deletes this folder: a name like "../.." must never reach join().
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
    throw new Error(
      `invalid cluster name '${name}': use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
    );
  return join(kwokWorkdir(env), "clusters", name);
}

/** Path of the cluster's kubeconfig (exists only while the cluster exists). */
export function kubeconfigPath(opts: { name?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return join(clusterDir(opts.name ?? DEFAULT_CLUSTER_NAME, opts.env), "kubeconfig.yaml");
}

// The lighter tier: etcd + kube-apiserver only, for fast integration tests
// (CRD validation, server-side apply, status subresources). Same binaries and
// same kwokctl machinery as the whole cluster, with every other component
// left out (`components: [etcd, kube-apiserver]` in the kwokctl config), so
// PKI, free loopback ports, logs and clean shutdown come for free.
//
// What it lacks: no controllers (no garbage collection, no ServiceAccounts —
// the ServiceAccount admission plugin is disabled as in envtest — no namespace
// finalisation), no scheduler, no nodes. Use the "kwok" tier for those.
import {
  type ClusterInfo,
  type ClusterOptions,
  type ClusterStatus,
  clusterDown,
  clusterStatus,
  clusterUp,
  type DownResult,
  kubeconfigPath,
} from "./kwok-cluster.ts";

export const DEFAULT_APISERVER_CLUSTER_NAME = "archctl-api";

export type ApiserverOptions = Omit<ClusterOptions, "tier" | "nodes">;

export function apiserverUp(opts: ApiserverOptions = {}): Promise<ClusterInfo> {
  return clusterUp({
    ...opts,
    name: opts.name ?? DEFAULT_APISERVER_CLUSTER_NAME,
    tier: "apiserver",
  });
}

export function apiserverDown(
  opts: Pick<ApiserverOptions, "name" | "env" | "onProgress"> = {},
): Promise<DownResult> {
  return clusterDown({ ...opts, name: opts.name ?? DEFAULT_APISERVER_CLUSTER_NAME });
}

export function apiserverStatus(
  opts: Pick<ApiserverOptions, "name" | "env"> = {},
): Promise<ClusterStatus> {
  return clusterStatus({ ...opts, name: opts.name ?? DEFAULT_APISERVER_CLUSTER_NAME });
}

export function apiserverKubeconfigPath(opts: Pick<ApiserverOptions, "name" | "env"> = {}): string {
  return kubeconfigPath({ ...opts, name: opts.name ?? DEFAULT_APISERVER_CLUSTER_NAME });
}

// Local Kubernetes clusters for tests, demos and CI (no Docker, no downloads).
// See README.md in this folder.

export {
  type ApiserverOptions,
  apiserverDown,
  apiserverKubeconfigPath,
  apiserverStatus,
  apiserverUp,
  DEFAULT_APISERVER_CLUSTER_NAME,
} from "./apiserver-only.ts";
export {
  type BinaryPaths,
  binariesPresent,
  binaryPaths,
  cacheDir,
  type EnsureBinariesOptions,
  ensureBinaries,
  K8S_VERSION,
  KWOK_VERSION,
  kubectlBinary,
  type Progress,
} from "./binaries.ts";
export {
  type ClusterInfo,
  type ClusterOptions,
  type ClusterStatus,
  type ClusterTier,
  clusterDir,
  clusterDown,
  clusterPids,
  clusterStatus,
  clusterUp,
  DEFAULT_CLUSTER_NAME,
  type DownResult,
  kubeconfigPath,
  kubectl,
  kwokWorkdir,
} from "./kwok-cluster.ts";
export {
  DEFAULT_NODES,
  GPU_PRESENT_LABEL,
  GPU_PRODUCT_LABEL,
  GPU_RESOURCE,
  GPU_TAINT,
  type Manifest,
  type NodeSpecInput,
  SIMULATED_NODE_LABEL,
  simulatedNodes,
  simulatedNodesList,
} from "./nodes.ts";

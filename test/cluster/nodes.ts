// Simulated Node manifests for the kwok cluster. Pure: no I/O.
//
// kwok manages every Node annotated `kwok.x-k8s.io/node: fake`: it keeps the
// node Ready (heartbeats + lease) and runs the pods bound to it through the
// default stages (Pending -> Running/Ready, pod IPs, container statuses).
// Labels, taints and capacity set here survive kwok's initialisation, so a GPU
// pool is just Nodes with GPU labels, a taint and `nvidia.com/gpu` capacity.

export const GPU_RESOURCE = "nvidia.com/gpu";
export const GPU_PRESENT_LABEL = "nvidia.com/gpu.present";
export const GPU_PRODUCT_LABEL = "nvidia.com/gpu.product";
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" } as const;
/** Label every simulated node carries, to tell them from real ones. */
export const SIMULATED_NODE_LABEL = "archctl.io/simulated-node";

export type NodeSpecInput = {
  /** Ordinary worker nodes. Default 3. */
  workers?: number;
  /** GPU nodes in the pool. Default 2. */
  gpuNodes?: number;
  /** GPUs per GPU node. Default 8. */
  gpusPerNode?: number;
  gpuProduct?: string;
  cpu?: string;
  memory?: string;
  pods?: string;
};

export const DEFAULT_NODES: Required<NodeSpecInput> = {
  workers: 3,
  gpuNodes: 2,
  gpusPerNode: 8,
  gpuProduct: "NVIDIA-A100-SXM4-80GB",
  cpu: "32",
  memory: "128Gi",
  pods: "110",
};

// biome-ignore lint/suspicious/noExplicitAny: plain Kubernetes manifests
export type Manifest = Record<string, any>;

function node(
  name: string,
  labels: Record<string, string>,
  resources: Record<string, string>,
  taints: Manifest[],
): Manifest {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: {
        "node.alpha.kubernetes.io/ttl": "0",
        "kwok.x-k8s.io/node": "fake",
      },
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/role": "agent",
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
        [SIMULATED_NODE_LABEL]: "true",
        ...labels,
      },
    },
    spec: taints.length > 0 ? { taints } : {},
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: {
        architecture: "amd64",
        bootID: "",
        containerRuntimeVersion: "kwok",
        kernelVersion: "",
        kubeProxyVersion: "fake",
        kubeletVersion: "fake",
        machineID: "",
        operatingSystem: "linux",
        osImage: "kwok",
        systemUUID: "",
      },
      phase: "Running",
    },
  };
}

export const ZONE_LABEL = "topology.kubernetes.io/zone";
/** Nodes are spread over three zones, zone-a.., in turn: datastore members spread over them. */
export function zoneOf(i: number): string {
  return `zone-${"abc"[i % 3]}`;
}

/** Worker names: kwok-worker-0.., GPU names: kwok-gpu-0.. */
export function simulatedNodes(input: NodeSpecInput = {}): Manifest[] {
  const o = { ...DEFAULT_NODES, ...input };
  // A NaN or fractional count would make the loops below produce no (or too
  // few) nodes, and the readiness wait would then pass on an empty set.
  for (const key of ["workers", "gpuNodes", "gpusPerNode"] as const) {
    const n = o[key];
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`simulated nodes: ${key} must be a whole number >= 0, got ${n}`);
  }
  // Real nodes report their ephemeral storage; pods request it (render/pod.ts).
  const base = { cpu: o.cpu, memory: o.memory, pods: o.pods, "ephemeral-storage": "200Gi" };
  const out: Manifest[] = [];
  for (let i = 0; i < o.workers; i++) {
    out.push(
      node(`kwok-worker-${i}`, { "archctl.io/pool": "general", [ZONE_LABEL]: zoneOf(i) }, base, []),
    );
  }
  for (let i = 0; i < o.gpuNodes; i++) {
    out.push(
      node(
        `kwok-gpu-${i}`,
        {
          "archctl.io/pool": "gpu",
          [ZONE_LABEL]: zoneOf(i),
          [GPU_PRESENT_LABEL]: "true",
          [GPU_PRODUCT_LABEL]: o.gpuProduct,
          "nvidia.com/gpu.count": String(o.gpusPerNode),
        },
        { ...base, [GPU_RESOURCE]: String(o.gpusPerNode) },
        [{ ...GPU_TAINT }],
      ),
    );
  }
  return out;
}

/** The manifests as one multi-document YAML-compatible JSON list (kubectl apply -f -). */
export function simulatedNodesList(input: NodeSpecInput = {}): Manifest {
  return { apiVersion: "v1", kind: "List", items: simulatedNodes(input) };
}

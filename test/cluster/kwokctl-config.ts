// What kwokctl is given: its KwokctlConfiguration (components, flags, the
// optional audit policy) and the environment it runs in.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BinaryPaths } from "./binaries.ts";
import { type ClusterTier, clusterDir, kwokWorkdir } from "./cluster-paths.ts";

export function kwokEnv(bins: BinaryPaths, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    KWOK_WORKDIR: kwokWorkdir(env),
    // kwokctl calls the first kubectl on PATH: ours.
    PATH: `${bins.k8sDir}:${bins.kwokDir}:${env.PATH ?? ""}`,
  };
}

/**
 * kwokctl options for node heartbeats, set to Kubernetes 1.36's own defaults:
 * the kubelet's 40 s node Lease (renewed every quarter of it), the node
 * lifecycle controller's 5 s monitor period and 50 s grace period
 * (pkg/controller/nodelifecycle/config/v1alpha1/defaults.go). heartbeatFactor
 * 1 stops kwokctl from scaling them.
 */
export const NODE_HEARTBEAT = {
  heartbeatFactor: 1,
  nodeLeaseDurationSeconds: 40,
  kubeControllerManagerNodeMonitorPeriodMilliseconds: 5_000,
  kubeControllerManagerNodeMonitorGracePeriodMilliseconds: 50_000,
} as const;

function components(tier: ClusterTier): string[] {
  return tier === "kwok"
    ? ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"]
    : ["etcd", "kube-apiserver"];
}

/**
 * The KwokctlConfiguration we hand to `kwokctl create cluster -c`; `stagesFile`
 * (kwok tier): more Stages for kwok-controller (see stages.ts).
 */
/**
 * The controller manager and scheduler exit when they cannot renew their
 * leader Lease within the renew deadline (10 s by default), and nothing
 * restarts them here as a kubelet restarts a real control plane's static pods.
 * On a loaded machine the fault tests' API-server restart took 13.6 s once and
 * the controller manager was gone for the rest of the run; a single-replica
 * test cluster keeps its leaders through 60 s of API-server absence instead.
 */
const LEADER_ELECTION_ARGS = [
  "  - key: leader-elect-lease-duration",
  "    value: 75s",
  "  - key: leader-elect-renew-deadline",
  "    value: 60s",
];

export function kwokctlConfig(bins: BinaryPaths, tier: ClusterTier, stagesFile?: string): string {
  // Paths come from ARCHCTL_CACHE_DIR / $HOME: quoted (JSON strings are YAML),
  // so a " #" or ": " in them is not read as a comment or a mapping.
  const q = (path: string) => JSON.stringify(path);
  const lines = [
    "apiVersion: config.kwok.x-k8s.io/v1alpha1",
    "kind: KwokctlConfiguration",
    "options:",
    "  runtime: binary",
    "  bindAddress: 127.0.0.1",
    "  securePort: true",
    "  kubeAuthorization: true",
    // Real admission chain (otherwise kwokctl passes the deprecated --admission-control=).
    "  kubeAdmission: true",
    "  quietPull: true",
    `  etcdBinary: ${q(bins.etcd)}`,
    `  kubeApiserverBinary: ${q(bins.kubeApiserver)}`,
    `  kubeControllerManagerBinary: ${q(bins.kubeControllerManager)}`,
    `  kubeSchedulerBinary: ${q(bins.kubeScheduler)}`,
    `  kwokControllerBinary: ${q(bins.kwok)}`,
    `  kubectlBinary: ${q(bins.kubectl)}`,
    // Node heartbeats as a real cluster's, not kwokctl's (it multiplies them by
    // 5 for clusters of thousands of nodes: a 200 s lease and a 3m20s grace
    // period). A lost node is then NotReady within the real 50 s (see NODE_HEARTBEAT).
    ...Object.entries(NODE_HEARTBEAT).map(([k, v]) => `  ${k}: ${v}`),
    "  components:",
    ...components(tier).map((c) => `  - ${c}`),
    "componentsPatches:",
    "- name: etcd",
    "  extraArgs:",
    // Throw-away test data: skip fsync (envtest does the same).
    "  - key: unsafe-no-fsync",
    '    value: "true"',
    "- name: kube-apiserver",
    "  extraArgs:",
    "  - key: advertise-address",
    "    value: 127.0.0.1",
    // The default, 10.0.0.0/24, holds 254 Services: fewer than a few hundred
    // Architectures need (test/e2e/generative.test.ts). A /16, like kubeadm's.
    "  - key: service-cluster-ip-range",
    "    value: 10.96.0.0/16",
    // No kube-controller-manager in the apiserver tier, so nobody creates
    // ServiceAccounts: drop that admission plugin as envtest does.
    ...(tier === "apiserver"
      ? ["  - key: disable-admission-plugins", "    value: ServiceAccount"]
      : []),
    // Datastore claims get volumes from the controller manager's hostPath
    // provisioner (see storage.ts).
    ...(tier === "kwok"
      ? [
          "- name: kube-controller-manager",
          "  extraArgs:",
          "  - key: enable-hostpath-provisioner",
          '    value: "true"',
          ...LEADER_ELECTION_ARGS,
          "- name: kube-scheduler",
          "  extraArgs:",
          ...LEADER_ELECTION_ARGS,
        ]
      : []),
    // A second --config: kwok-controller reads kwokctl's (default Stages) and this one.
    ...(tier === "kwok" && stagesFile
      ? [
          "- name: kwok-controller",
          "  extraArgs:",
          "  - key: config",
          `    value: ${q(stagesFile)}`,
        ]
      : []),
  ];
  return `${lines.join("\n")}\n`;
}

// --- Audit log (optional) ---------------------------------------------------

export const AUDIT_POLICY_ENV = "ARCHCTL_CLUSTER_AUDIT_POLICY";

/** Where kwokctl's binary runtime has kube-apiserver write the audit log. */
export function auditLogPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(clusterDir(name, env), "logs", "audit.log");
}

/** The config with `kubeAuditPolicy`, the policy written next to it (`<cfg>.audit-policy.yaml`). */
export function withAuditPolicy(config: string, policy: string | undefined, cfg: string): string {
  if (!policy) return config;
  const file = `${cfg.replace(/\.yaml$/, "")}.audit-policy.yaml`;
  writeFileSync(file, policy);
  return config.replace("\noptions:\n", `\noptions:\n  kubeAuditPolicy: ${file}\n`);
}

// A real local Kubernetes cluster without Docker: kwokctl's `binary` runtime
// runs etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the
// kwok controller as local processes from the binaries we build ourselves.
//
// Tiers (same binaries):
//   "kwok"      whole control plane + kwok + simulated nodes (ordinary + GPU pool)
//   "apiserver" etcd + kube-apiserver only (see apiserver-only.ts)
//
// State: KWOK_WORKDIR = <cache>/kwok, one folder per cluster in
// <cache>/kwok/clusters/<name>/ (kubeconfig.yaml, pki/, logs/, pids/, etcd/).
// Everything binds to 127.0.0.1 on ports kwokctl finds free.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import {
  type BinaryPaths,
  binaryPaths,
  cacheDir,
  ensureBinaries,
  type Progress,
} from "./binaries.ts";
import {
  type Manifest,
  type NodeSpecInput,
  SIMULATED_NODE_LABEL,
  simulatedNodes,
  simulatedNodesList,
} from "./nodes.ts";
import { TEST_STAGES } from "./stages.ts";
import { defaultStorageClass } from "./storage.ts";

export type ClusterTier = "kwok" | "apiserver";

export const DEFAULT_CLUSTER_NAME = "archctl-dev";

export type ClusterOptions = {
  /** kwokctl cluster name. Default "archctl-dev". */
  name?: string;
  /** Default "kwok" (whole cluster). */
  tier?: ClusterTier;
  /** Simulated nodes (kwok tier only). */
  nodes?: NodeSpecInput;
  /** One line per step. */
  onProgress?: Progress;
  /** Build missing binaries (default true). When false, a missing binary is an error. */
  build?: boolean;
  /** Overall time limit for up, readiness included. Default 5 minutes. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * An audit policy for kube-apiserver (the text of an audit.k8s.io/v1 Policy,
   * YAML or JSON; default $ARCHCTL_CLUSTER_AUDIT_POLICY). Its log is
   * auditLogPath(name). Used when the cluster is created, not when it exists.
   */
  auditPolicy?: string;
};

export type ClusterInfo = {
  name: string;
  tier: ClusterTier;
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** <cache>/kwok/clusters/<name> */
  dir: string;
  /** Component logs (etcd.log, kube-apiserver.log, ...). */
  logsDir: string;
  /** True when this call created (or restarted) the cluster, false when it was already running. */
  started: boolean;
  /** Wall time of this call. */
  elapsedMs: number;
};

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
export function kubeconfigPath(opts: Pick<ClusterOptions, "name" | "env"> = {}): string {
  return join(clusterDir(opts.name ?? DEFAULT_CLUSTER_NAME, opts.env), "kubeconfig.yaml");
}

function kwokEnv(bins: BinaryPaths, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    KWOK_WORKDIR: kwokWorkdir(env),
    // kwokctl calls the first kubectl on PATH: ours.
    PATH: `${bins.k8sDir}:${bins.kwokDir}:${env.PATH ?? ""}`,
  };
}

/** Run our kubectl against a kubeconfig. */
export async function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; reject?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const bins = binaryPaths(opts.env);
  const bin = existsSync(bins.kubectl) ? bins.kubectl : "kubectl";
  const res = await execa(bin, [`--kubeconfig=${kubeconfig}`, ...args], {
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    timeout: opts.timeoutMs ?? 60_000,
    reject: false,
    env: { ...(opts.env ?? process.env), KUBECONFIG: kubeconfig },
  });
  const out = {
    exitCode: res.exitCode ?? -1,
    stdout: String(res.stdout),
    stderr: String(res.stderr),
  };
  if (opts.reject !== false && out.exitCode !== 0) {
    throw new Error(
      `kubectl ${args.join(" ")} failed (${out.exitCode}): ${out.stderr || out.stdout}`,
    );
  }
  return out;
}

async function apiReady(kubeconfig: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!existsSync(kubeconfig)) return false;
  const r = await kubectl(kubeconfig, ["get", "--raw=/readyz", "--request-timeout=3s"], {
    reject: false,
    timeoutMs: 5_000,
    env,
  });
  return r.exitCode === 0 && r.stdout.trim() === "ok";
}

function serverOf(kubeconfig: string): string {
  const m = /server:\s*(\S+)/.exec(readFileSync(kubeconfig, "utf8"));
  return m?.[1] ?? "";
}

async function waitFor(
  what: string,
  deadline: number,
  check: () => Promise<boolean>,
  progress: Progress,
): Promise<void> {
  let delay = 200;
  let announced = false;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (!announced) {
      progress(`waiting for ${what}`);
      announced = true;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 1_000);
  }
}

/** Cross-process lock (mkdir) so two test files don't create the same cluster at once. */
async function withLock<T>(dir: string, deadline: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(join(dir, ".."), { recursive: true });
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder = 0;
      try {
        holder = Number(readFileSync(join(dir, "pid"), "utf8"));
      } catch {}
      const stale = holder > 0 ? !pidAlive(holder) : Date.now() - statSync(dir).mtimeMs > 10_000;
      if (stale) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${dir}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie (exited, not yet reaped by init) counts as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** True when pid is still one of this cluster's processes (guards against PID reuse). */
function pidBelongsTo(pid: number, dir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    // Empty: the process is exiting (its memory, argv included, is already
    // released, state still R). Seen for kube-apiserver right after `kwokctl
    // delete`; counting it as "not ours" made down return before it was gone.
    if (cmdline === "") return true;
    // With the trailing slash, cluster "a" does not claim a process of cluster "ab".
    return cmdline.includes(`${dir}/`);
  } catch {
    return false;
  }
}

/** PIDs of the component processes kwokctl started for this cluster (from its pids/ folder). */
export function clusterPids(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, number> {
  const dir = join(clusterDir(name, env), "pids");
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".pid")) continue;
    const pid = Number(readFileSync(join(dir, f), "utf8").trim());
    if (pid > 0) out.set(f.replace(/\.pid$/, ""), pid);
  }
  return out;
}

function components(tier: ClusterTier): string[] {
  return tier === "kwok"
    ? ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"]
    : ["etcd", "kube-apiserver"];
}

/**
 * The KwokctlConfiguration we hand to `kwokctl create cluster -c`; `stagesFile`
 * (kwok tier): more Stages for kwok-controller (see stages.ts).
 */
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
function withAuditPolicy(config: string, policy: string | undefined, cfg: string): string {
  if (!policy) return config;
  const file = `${cfg.replace(/\.yaml$/, "")}.audit-policy.yaml`;
  writeFileSync(file, policy);
  return config.replace("\noptions:\n", `\noptions:\n  kubeAuditPolicy: ${file}\n`);
}

async function checkControllers(kubeconfig: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  // kube-controller-manager: its serviceaccount controller creates `default` in every namespace.
  const sa = await kubectl(
    kubeconfig,
    ["get", "serviceaccount", "default", "-n", "default", "-o", "name"],
    {
      reject: false,
      env,
    },
  );
  if (sa.exitCode !== 0) return false;
  // Both controllers hold their leader-election Lease.
  for (const lease of ["kube-controller-manager", "kube-scheduler"]) {
    const r = await kubectl(
      kubeconfig,
      ["get", "lease", lease, "-n", "kube-system", "-o", "jsonpath={.spec.holderIdentity}"],
      { reject: false, env },
    );
    if (r.exitCode !== 0 || r.stdout.trim() === "") return false;
  }
  return true;
}

async function nodesReady(
  kubeconfig: string,
  expected: string[],
  env: NodeJS.ProcessEnv,
): Promise<boolean> {
  const r = await kubectl(
    kubeconfig,
    [
      "get",
      "nodes",
      "-l",
      `${SIMULATED_NODE_LABEL}=true`,
      "-o",
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ],
    { reject: false, env },
  );
  if (r.exitCode !== 0) return false;
  const ready = new Set(
    r.stdout
      .split("\n")
      .filter((l) => l.endsWith("=True"))
      .map((l) => l.slice(0, -"=True".length)),
  );
  return expected.every((n) => ready.has(n));
}

/** Waits for API server, (kwok tier) controllers, and the simulated nodes. */
async function waitReady(
  info: { kubeconfig: string; tier: ClusterTier },
  nodes: NodeSpecInput | undefined,
  deadline: number,
  env: NodeJS.ProcessEnv,
  progress: Progress,
): Promise<void> {
  await waitFor("kube-apiserver /readyz", deadline, () => apiReady(info.kubeconfig, env), progress);
  if (info.tier !== "kwok") return;
  await waitFor(
    "kube-controller-manager and kube-scheduler",
    deadline,
    () => checkControllers(info.kubeconfig, env),
    progress,
  );
  const manifests = simulatedNodes(nodes);
  // Apply (idempotent) so an existing cluster also gets the node set asked for.
  const list = simulatedNodesList(nodes);
  (list.items as Manifest[]).push(defaultStorageClass());
  await kubectl(info.kubeconfig, ["apply", "--server-side", "--force-conflicts", "-f", "-"], {
    input: JSON.stringify(list),
    env,
  });
  const names = manifests.map((m) => m.metadata.name as string);
  await waitFor(
    `${names.length} simulated nodes Ready`,
    deadline,
    () => nodesReady(info.kubeconfig, names, env),
    progress,
  );
}

/**
 * Bring a cluster up (idempotent). Returns when the API server, the
 * controllers and the simulated nodes are ready. Builds binaries if missing.
 */
export async function clusterUp(opts: ClusterOptions = {}): Promise<ClusterInfo> {
  const t0 = Date.now();
  const env = opts.env ?? process.env;
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const tier = opts.tier ?? "kwok";
  const progress = opts.onProgress ?? (() => {});
  const bins =
    opts.build === false ? binaryPaths(env) : await ensureBinaries({ onProgress: progress, env });
  // The time limit starts after a possible build (which has no limit of its own).
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  if (opts.build === false && !existsSync(bins.kwokctl)) {
    throw new Error(
      `binaries missing in ${bins.k8sDir} / ${bins.kwokDir}: run test/cluster/build-binaries.sh`,
    );
  }
  const dir = clusterDir(name, env);
  const kubeconfig = join(dir, "kubeconfig.yaml");
  const kenv = kwokEnv(bins, env);
  const lockDir = join(kwokWorkdir(env), "locks", `${name}.lock`);

  // The lock deadline is generous: a concurrent caller may be waiting for the build.
  return withLock(lockDir, deadline + 60_000, async () => {
    const info = { name, tier, kubeconfig, dir, logsDir: join(dir, "logs") };
    const tierFile = join(dir, "archctl-tier");
    let started = false;

    if (existsSync(dir)) {
      const existingTier = existsSync(tierFile) ? readFileSync(tierFile, "utf8").trim() : "";
      if (existingTier && existingTier !== tier) {
        throw new Error(
          `cluster ${name} exists with tier ${existingTier}, not ${tier}: take it down first`,
        );
      }
      if (await apiReady(kubeconfig, env)) {
        progress(`cluster ${name} is already running`);
      } else {
        progress(`cluster ${name} exists but is not running: starting it`);
        const r = await execa(bins.kwokctl, ["start", "cluster", "--name", name], {
          env: kenv,
          reject: false,
          all: true,
          timeout: Math.max(10_000, deadline - Date.now()),
        });
        started = true;
        if (r.exitCode !== 0 || !(await waitReadyQuiet(kubeconfig, env, 60_000))) {
          progress(`restart failed: deleting and recreating cluster ${name}`);
          await clusterDown({ name, env, onProgress: progress });
        }
      }
    }

    if (!existsSync(dir)) {
      progress(`creating ${tier} cluster ${name} (kwokctl --runtime binary, 127.0.0.1)`);
      const cfgDir = join(kwokWorkdir(env), "configs");
      mkdirSync(cfgDir, { recursive: true });
      const cfg = join(cfgDir, `${name}.yaml`);
      const stages = join(cfgDir, `${name}.stages.yaml`);
      writeFileSync(stages, TEST_STAGES);
      writeFileSync(
        cfg,
        withAuditPolicy(
          kwokctlConfig(bins, tier, stages),
          opts.auditPolicy ?? env[AUDIT_POLICY_ENV],
          cfg,
        ),
      );
      const r = await execa(
        bins.kwokctl,
        ["create", "cluster", "--name", name, "-c", cfg, "--kubeconfig", "", "--timeout", "5m"],
        { env: kenv, reject: false, all: true, timeout: Math.max(10_000, deadline - Date.now()) },
      );
      if (r.exitCode !== 0) {
        const logs = existsSync(info.logsDir) ? ` (logs in ${info.logsDir})` : "";
        throw new Error(
          `kwokctl create cluster ${name} failed${logs}:\n${String(r.all).split("\n").slice(-30).join("\n")}`,
        );
      }
      writeFileSync(tierFile, `${tier}\n`);
      started = true;
    }

    await waitReady({ kubeconfig, tier }, opts.nodes, deadline, env, progress);
    const result: ClusterInfo = {
      ...info,
      server: serverOf(kubeconfig),
      started,
      elapsedMs: Date.now() - t0,
    };
    progress(
      `cluster ${name} ready in ${(result.elapsedMs / 1000).toFixed(1)}s; kubeconfig: ${kubeconfig}`,
    );
    return result;
  });
}

async function waitReadyQuiet(
  kubeconfig: string,
  env: NodeJS.ProcessEnv,
  ms: number,
): Promise<boolean> {
  try {
    await waitFor(
      "api",
      Date.now() + ms,
      () => apiReady(kubeconfig, env),
      () => {},
    );
    return true;
  } catch {
    return false;
  }
}

export type DownResult = { name: string; existed: boolean; stopped: number[] };

/**
 * Take a cluster down: `kwokctl delete cluster`, then make sure every process
 * it had started (and only those: the PIDs in its pids/ folder) is gone.
 */
export async function clusterDown(
  opts: Pick<ClusterOptions, "name" | "env" | "onProgress"> = {},
): Promise<DownResult> {
  const env = opts.env ?? process.env;
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const progress = opts.onProgress ?? (() => {});
  const dir = clusterDir(name, env);
  if (!existsSync(dir)) {
    progress(`cluster ${name} does not exist`);
    return { name, existed: false, stopped: [] };
  }
  const pids = clusterPids(name, env);
  const bins = binaryPaths(env);
  progress(`deleting cluster ${name}`);
  if (existsSync(bins.kwokctl)) {
    // --kubeconfig "" is refused by delete ("empty path"); give it a file of
    // its own so it never edits ~/.kube/config (create got --kubeconfig "").
    const unused = join(kwokWorkdir(env), "unused-kubeconfig.yaml");
    await execa(bins.kwokctl, ["delete", "cluster", "--name", name, "--kubeconfig", unused], {
      env: kwokEnv(bins, env),
      reject: false,
      timeout: 120_000,
    });
  }
  // Belt and braces: anything kwokctl left behind, by exact PID.
  const stopped: number[] = [];
  for (const [component, pid] of pids) {
    for (let i = 0; i < 50 && pidAlive(pid) && pidBelongsTo(pid, dir); i++) await sleep(100);
    if (!pidAlive(pid) || !pidBelongsTo(pid, dir)) {
      stopped.push(pid);
      continue;
    }
    progress(`stopping leftover ${component} (pid ${pid})`);
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
    for (let i = 0; i < 50 && pidAlive(pid); i++) await sleep(100);
    if (pidAlive(pid) && pidBelongsTo(pid, dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    stopped.push(pid);
  }
  rmSync(dir, { recursive: true, force: true });
  progress(`cluster ${name} deleted (${stopped.length} processes stopped)`);
  return { name, existed: true, stopped };
}

export type ClusterStatus = {
  name: string;
  exists: boolean;
  running: boolean;
  tier?: string;
  kubeconfig: string;
  pids: Record<string, number>;
};

export async function clusterStatus(
  opts: Pick<ClusterOptions, "name" | "env"> = {},
): Promise<ClusterStatus> {
  const env = opts.env ?? process.env;
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const dir = clusterDir(name, env);
  const kubeconfig = join(dir, "kubeconfig.yaml");
  const tierFile = join(dir, "archctl-tier");
  const exists = existsSync(dir);
  return {
    name,
    exists,
    running: exists && (await apiReady(kubeconfig, env)),
    ...(existsSync(tierFile) ? { tier: readFileSync(tierFile, "utf8").trim() } : {}),
    kubeconfig,
    pids: Object.fromEntries(clusterPids(name, env)),
  };
}

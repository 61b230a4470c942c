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

// The parts: cluster-paths.ts (where it lives), kwokctl-config.ts (what kwokctl
// is given), readiness.ts (waiting for it), cluster-processes.ts and
// cluster-lock.ts (its processes, one creator at a time), kubectl.ts.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { binaryPaths, ensureBinaries, type Progress } from "./binaries.ts";
import { withLock } from "./cluster-lock.ts";
import {
  type ClusterTier,
  clusterDir,
  DEFAULT_CLUSTER_NAME,
  kubeconfigPath,
  kwokWorkdir,
} from "./cluster-paths.ts";
import { clusterPids, pidAlive, pidBelongsTo } from "./cluster-processes.ts";
import { kubectl } from "./kubectl.ts";
import { AUDIT_POLICY_ENV, kwokctlConfig, kwokEnv, withAuditPolicy } from "./kwokctl-config.ts";
import type { NodeSpecInput } from "./nodes.ts";
import { apiReady, waitReady, waitReadyQuiet } from "./readiness.ts";
import { BACKUP_STAGES, TEST_STAGES } from "./stages.ts";

// Importers of this file keep their imports (the parts were split out of it).
export { AUDIT_POLICY_ENV, auditLogPath, kwokctlConfig } from "./kwokctl-config.ts";
export {
  type ClusterTier,
  clusterDir,
  clusterPids,
  DEFAULT_CLUSTER_NAME,
  kubeconfigPath,
  kubectl,
  kwokWorkdir,
};

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

function serverOf(kubeconfig: string): string {
  const m = /server:\s*(\S+)/.exec(readFileSync(kubeconfig, "utf8"));
  return m?.[1] ?? "";
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
      writeFileSync(stages, [TEST_STAGES, BACKUP_STAGES].join("---\n"));
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

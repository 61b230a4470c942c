// Where the local-cluster binaries live, and how to get them built.
//
// The binaries are built from the Go module proxy by build-binaries.sh (two
// wrapper modules, test/cluster/k8s and test/cluster/kwok, pin the versions in
// their go.mod/go.sum) into a cache directory OUTSIDE the repository, keyed by
// version, so that a fresh clone on the same machine (CI) reuses them.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const HERE = dirname(fileURLToPath(import.meta.url));
/**
 * The source folder test/cluster (with k8s/go.mod, kwok/go.mod and the build
 * script). Found next to this file, or from a compiled copy in
 * dist/test/cluster/ by going back up to the repository.
 */
export const CLUSTER_DIR =
  [HERE, join(HERE, "..", "..", "..", "test", "cluster")].find((d) =>
    existsSync(join(d, "k8s", "go.mod")),
  ) ?? HERE;
export const REPO_ROOT = join(CLUSTER_DIR, "..", "..");
export const BUILD_SCRIPT = join(CLUSTER_DIR, "build-binaries.sh");

/** Progress callback: one human-readable line at a time. */
export type Progress = (line: string) => void;

/** ${ARCHCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/archctl} */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ARCHCTL_CACHE_DIR) return env.ARCHCTL_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "archctl");
}

function moduleVersion(goMod: string, module: string, fallback: string): string {
  if (!existsSync(goMod)) return fallback;
  const text = readFileSync(goMod, "utf8");
  for (const raw of text.split("\n")) {
    const f = raw.trim().split(/\s+/);
    if (f[0] === "require" && f[1] === module && f[2]) return f[2];
    if (f[0] === module && f[1]?.startsWith("v")) return f[1];
  }
  throw new Error(`${goMod}: no version for ${module}`);
}

// The go.mod files are the source of truth; the fallbacks only matter when
// this file runs without the source tree next to it.
/** Kubernetes version pinned by test/cluster/k8s/go.mod, e.g. "v1.36.3". */
export const K8S_VERSION = moduleVersion(
  join(CLUSTER_DIR, "k8s", "go.mod"),
  "k8s.io/kubernetes",
  "v1.36.3",
);
/** kwok version pinned by test/cluster/kwok/go.mod, e.g. "v0.8.0". */
export const KWOK_VERSION = moduleVersion(
  join(CLUSTER_DIR, "kwok", "go.mod"),
  "sigs.k8s.io/kwok",
  "v0.8.0",
);

export type BinaryPaths = {
  k8sDir: string;
  kwokDir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  kwokctl: string;
};

export function binaryPaths(env: NodeJS.ProcessEnv = process.env): BinaryPaths {
  const base = join(cacheDir(env), "bin");
  const k8sDir = join(base, `k8s-${K8S_VERSION}`);
  const kwokDir = join(base, `kwok-${KWOK_VERSION}`);
  return {
    k8sDir,
    kwokDir,
    etcd: join(k8sDir, "etcd"),
    kubeApiserver: join(k8sDir, "kube-apiserver"),
    kubeControllerManager: join(k8sDir, "kube-controller-manager"),
    kubeScheduler: join(k8sDir, "kube-scheduler"),
    kubectl: join(k8sDir, "kubectl"),
    kwok: join(kwokDir, "kwok"),
    kwokctl: join(kwokDir, "kwokctl"),
  };
}

/** True when every binary is present (the build script's completion stamps exist). */
export function binariesPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  const p = binaryPaths(env);
  return (
    existsSync(join(p.k8sDir, ".complete")) &&
    existsSync(join(p.kwokDir, ".complete")) &&
    [
      p.etcd,
      p.kubeApiserver,
      p.kubeControllerManager,
      p.kubeScheduler,
      p.kubectl,
      p.kwok,
      p.kwokctl,
    ].every((f) => existsSync(f))
  );
}

export type EnsureBinariesOptions = {
  onProgress?: Progress;
  /** Rebuild even when present. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
};

/**
 * Returns the binary paths, building them first when missing (about 6.3 min
 * cold on 2 cores, under a minute with a warm Go build cache, nothing when
 * present; figures in README.md).
 */
export async function ensureBinaries(opts: EnsureBinariesOptions = {}): Promise<BinaryPaths> {
  const env = opts.env ?? process.env;
  if (!opts.force && binariesPresent(env)) return binaryPaths(env);
  const progress = opts.onProgress ?? (() => {});
  progress(
    `building Kubernetes ${K8S_VERSION} + kwok ${KWOK_VERSION} binaries with Go (first time: about 6.3 min on 2 cores)`,
  );
  const proc = execa("bash", [BUILD_SCRIPT, ...(opts.force ? ["--force"] : [])], {
    env,
    all: true,
    buffer: { all: true },
    reject: false,
  });
  if (proc.all) {
    let pending = "";
    proc.all.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) progress(l);
    });
  }
  const res = await proc;
  if (res.exitCode !== 0) {
    const tail = String(res.all ?? "")
      .split("\n")
      .slice(-30)
      .join("\n");
    throw new Error(`build-binaries.sh failed (exit ${res.exitCode}):\n${tail}`);
  }
  if (!binariesPresent(env))
    throw new Error("build-binaries.sh succeeded but binaries are missing");
  return binaryPaths(env);
}

/** kubectl to use: ours when built, otherwise the first one on PATH (existing-cluster mode). */
export function kubectlBinary(env: NodeJS.ProcessEnv = process.env): string {
  const ours = binaryPaths(env).kubectl;
  return existsSync(ours) ? ours : "kubectl";
}

/** helm version pinned by test/cluster/helm/go.mod, e.g. "v4.3.1" (chart tests only). */
export const HELM_VERSION = moduleVersion(
  join(CLUSTER_DIR, "helm", "go.mod"),
  "helm.sh/helm/v4",
  "v4.3.1",
);

/** Path of the helm binary built by build-binaries.sh (it may not exist yet). */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "bin", `helm-${HELM_VERSION}`, "helm");
}

/** `binary`, built by build-binaries.sh first when missing (it skips what is present). */
async function ensureBuilt(binary: string, what: string, onProgress?: Progress): Promise<string> {
  if (existsSync(join(dirname(binary), ".complete")) && existsSync(binary)) return binary;
  onProgress?.(`building ${what} with Go (cold: a few minutes)`);
  const res = await execa("bash", [BUILD_SCRIPT], { all: true, reject: false });
  if (res.exitCode !== 0 || !existsSync(binary))
    throw new Error(
      `build-binaries.sh could not build ${what} (exit ${res.exitCode}):\n${String(res.all ?? "")
        .split("\n")
        .slice(-30)
        .join("\n")}`,
    );
  return binary;
}

/** The helm binary, built first when missing (helm alone takes a few minutes cold). */
export function ensureHelm(opts: { onProgress?: Progress } = {}): Promise<string> {
  return ensureBuilt(helmBinary(), `helm ${HELM_VERSION}`, opts.onProgress);
}

/** Prometheus version pinned by test/cluster/promtool/go.mod (alert tests only). */
export const PROMETHEUS_VERSION = moduleVersion(
  join(CLUSTER_DIR, "promtool", "go.mod"),
  "github.com/prometheus/prometheus",
  "v0.316.0",
);

/** Path of the promtool binary built by build-binaries.sh (it may not exist yet). */
export function promtoolBinary(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "bin", `promtool-${PROMETHEUS_VERSION}`, "promtool");
}

/** promtool, built first when missing (cold: several minutes, most of it Prometheus's dependencies). */
export function ensurePromtool(): Promise<string> {
  return ensureBuilt(promtoolBinary(), `promtool (Prometheus ${PROMETHEUS_VERSION})`);
}

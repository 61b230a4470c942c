// Waiting for a cluster to be ready: the API server's /readyz, (kwok tier)
// the controllers' leases, and the simulated nodes applied and Ready.
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Progress } from "./binaries.ts";
import type { ClusterTier } from "./cluster-paths.ts";
import { kubectl } from "./kubectl.ts";
import {
  type Manifest,
  type NodeSpecInput,
  SIMULATED_NODE_LABEL,
  simulatedNodes,
  simulatedNodesList,
} from "./nodes.ts";
import { defaultStorageClass } from "./storage.ts";

export async function apiReady(kubeconfig: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!existsSync(kubeconfig)) return false;
  const r = await kubectl(kubeconfig, ["get", "--raw=/readyz", "--request-timeout=3s"], {
    reject: false,
    timeoutMs: 5_000,
    env,
  });
  return r.exitCode === 0 && r.stdout.trim() === "ok";
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
export async function waitReady(
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

export async function waitReadyQuiet(
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

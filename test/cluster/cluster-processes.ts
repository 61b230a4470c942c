// The processes kwokctl started for a cluster, read from its pids/ folder and
// /proc: which are still alive, and which still belong to the cluster.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { clusterDir } from "./cluster-paths.ts";

export function pidAlive(pid: number): boolean {
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

export /** True when pid is still one of this cluster's processes (guards against PID reuse). */
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

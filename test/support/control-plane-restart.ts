// Restarting a local cluster's etcd and kube-apiserver by PID, with their
// recorded command lines, holding their ports while they are down (used by
// test/e2e/faults-control-plane.test.ts; test/cluster/README.md says why not
// `kwokctl stop/start cluster`).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { clusterDir } from "../cluster/cluster-paths.ts";
import { clusterPids } from "../cluster/cluster-processes.ts";

/** True while pid runs (a zombie waiting for init to reap it counts as gone). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The loopback ports a component listens on, from its command line. */
function listenPorts(argv: string[]): number[] {
  const ports = new Set<number>();
  for (const a of argv) {
    const secure = /^--secure-port=(\d+)$/.exec(a);
    if (secure) ports.add(Number(secure[1]));
    if (/^--listen-[a-z-]*urls=/.test(a))
      for (const m of a.matchAll(/127\.0\.0\.1:(\d+)/g)) ports.add(Number(m[1]));
  }
  return [...ports];
}

/**
 * Listens on the ports and resets every connection, until released. A port
 * the killed process still holds (its last threads exiting) is retried for a
 * few seconds; one that stays taken is left alone.
 */
async function holdPorts(ports: number[]): Promise<{ held: number; release(): Promise<void> }> {
  const listen = (port: number) =>
    new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer((socket) => socket.resetAndDestroy());
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  const servers: ReturnType<typeof createServer>[] = [];
  for (const port of ports) {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        servers.push(await listen(port));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
        await sleep(100);
      }
    }
  }
  return {
    held: servers.length,
    release: async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/**
 * SIGKILLs some of the local cluster's components (by the PIDs kwokctl
 * recorded), waits `downMs`, and starts them again with the same command line,
 * environment and working directory (etcd first), appending to their logs and
 * updating their pid files, so that `cluster down` still finds them. During
 * `downMs` their ports are held here (every connection reset, as a crashed
 * server's would be), so that another cluster started on this machine cannot
 * take them (kwokctl picks free ports).
 */
export async function restartControlPlane(
  name: string,
  components: string[],
  downMs: number,
): Promise<void> {
  const dir = clusterDir(name);
  const pids = clusterPids(name);
  const procs = components.map((component) => {
    const pid = pids.get(component);
    assert.ok(pid && running(pid), `${component} is not running`);
    assert.ok(
      readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir),
      `${pid} is not ${component} of ${name}`,
    );
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((a) => a !== "");
    const env = Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .filter((e) => e.includes("="))
        .map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
    );
    return { component, pid, argv, env, cwd: readlinkSync(`/proc/${pid}/cwd`) };
  });
  for (const p of procs) process.kill(p.pid, "SIGKILL");
  // Gone means no open files left: a killed Go process shows Z while its
  // threads still hold the listening sockets.
  const holdsFiles = (pid: number) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).length > 0;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 200 && procs.some((p) => running(p.pid) || holdsFiles(p.pid)); i++)
    await sleep(50);
  if (downMs > 0) {
    const hold = await holdPorts(procs.flatMap((p) => listenPorts(p.argv)));
    await sleep(downMs);
    await hold.release();
  }
  for (const p of [...procs].sort((a, b) =>
    a.component === "etcd" ? -1 : b.component === "etcd" ? 1 : 0,
  )) {
    // Retried while the port is still taken (the new process exits at once).
    for (let attempt = 1; ; attempt++) {
      const log = openSync(join(dir, "logs", `${p.component}.log`), "a");
      const child = spawn(p.argv[0] as string, p.argv.slice(1), {
        cwd: p.cwd,
        env: p.env,
        detached: true,
        stdio: ["ignore", log, log],
      });
      closeSync(log);
      writeFileSync(join(dir, "pids", `${p.component}.pid`), String(child.pid));
      const exited = await Promise.race([
        new Promise<boolean>((r) => child.once("exit", () => r(true))),
        sleep(1500).then(() => false),
      ]);
      child.unref();
      if (!exited) break;
      assert.ok(attempt < 10, `${p.component} does not start again (see its log)`);
      await sleep(500);
    }
  }
}

// What every real-server launcher shares: the unprivileged user the servers run
// as (PostgreSQL refuses root; .ci/setup-dataplane creates the user), temporary
// directories it owns, child processes started as it, and waiting for a server
// to answer. Servers listen on loopback only, on a free port.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The user the servers run as; override with ARCHCTL_DATAPLANE_USER. */
export const DATAPLANE_USER = process.env.ARCHCTL_DATAPLANE_USER ?? "archctl-dataplane";

export interface Identity {
  name: string;
  uid: number;
  gid: number;
}

let cached: Identity | undefined;

/** uid/gid of DATAPLANE_USER, or a clear error telling how to create it. */
export function dataplaneIdentity(): Identity {
  if (cached) return cached;
  if (process.getuid?.() !== 0) {
    // Not root: run as ourselves (PostgreSQL and the others accept any non-root user).
    cached = { name: "self", uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    return cached;
  }
  try {
    const uid = Number(execFileSync("id", ["-u", DATAPLANE_USER], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", DATAPLANE_USER], { encoding: "utf8" }).trim());
    cached = { name: DATAPLANE_USER, uid, gid };
    return cached;
  } catch {
    throw new Error(
      `the dataplane tier runs servers as the user '${DATAPLANE_USER}', which does not exist: run .ci/setup-dataplane`,
    );
  }
}

/** Whether a program is installed (on PATH or at an absolute path). */
export function installed(program: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v '${program}'`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A fresh temporary directory owned by the dataplane user. */
export function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `archctl-dp-${prefix}-`));
  chownTree(dir);
  return dir;
}

/** Gives a path (recursively) to the dataplane user. */
export function chownTree(path: string): void {
  const id = dataplaneIdentity();
  if (process.getuid?.() !== 0) return;
  execFileSync("chown", ["-R", `${id.uid}:${id.gid}`, path]);
  chownSync(path, id.uid, id.gid);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string | Buffer;
  /** Run as root instead of the dataplane user (only for mount namespaces). */
  asRoot?: boolean;
}

/** The environment children get: PATH and locale, then the caller's variables. */
export function baseEnv(home: string): Record<string, string> {
  return {
    PATH: "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    LANG: "C.UTF-8",
    HOME: home,
  };
}

/** Runs a program to the end as the dataplane user. */
export function runAs(program: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const id = dataplaneIdentity();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...baseEnv(opts.cwd ?? tmpdir()), ...opts.env },
      cwd: opts.cwd ?? tmpdir(),
      ...(opts.asRoot ? {} : { uid: id.uid, gid: id.gid }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    // A program that exits without reading its input closes the pipe: not an error here.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** runAs that throws, with the output, unless the program exits 0. */
export async function mustRun(program: string, args: string[], opts: RunOptions = {}) {
  const r = await runAs(program, args, opts);
  if (r.code !== 0)
    throw new Error(`${program} ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r;
}

export interface Daemon {
  child: ChildProcess;
  logFile: string;
  /** The log so far (for error messages). */
  log(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a long-running server as the dataplane user, its output in `<dir>/<name>.log`. */
export function startDaemon(
  name: string,
  program: string,
  args: string[],
  opts: { dir: string; env?: Record<string, string> },
): Daemon {
  const id = dataplaneIdentity();
  const logFile = join(opts.dir, `${name}.log`);
  const fd = openSync(logFile, "a");
  chownTree(logFile);
  const child = spawn(program, args, {
    env: { ...baseEnv(opts.dir), ...opts.env },
    cwd: opts.dir,
    uid: id.uid,
    gid: id.gid,
    stdio: ["ignore", fd, fd],
  });
  let exited = child.exitCode !== null;
  const gone = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", () => {
      exited = true;
      resolve();
    });
  });
  return {
    child,
    logFile,
    log: () => {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    },
    async stop(graceMs = 15_000) {
      if (exited) return;
      child.kill("SIGTERM");
      const killed = await Promise.race([
        gone.then(() => true),
        sleep(graceMs, false, { ref: false }),
      ]);
      if (!killed) {
        child.kill("SIGKILL");
        await gone;
      }
    },
  };
}

/** Polls `check` until it resolves true; fails with `what` and the daemon's log. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; daemon?: Daemon } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (opts.daemon && opts.daemon.child.exitCode !== null)
      throw new Error(
        `${what}: the server exited (${opts.daemon.child.exitCode}):\n${opts.daemon.log()}`,
      );
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what}: not ready in time\n${opts.daemon?.log() ?? ""}`);
    await sleep(200);
  }
}

/** Removes a temporary directory (after the server using it has stopped). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** What every launcher returns. */
export interface RunningServer {
  host: "127.0.0.1";
  port: number;
  /** The URL an application would be given (credentials included). */
  url: string;
  /** Environment the engine's own client tools read (PGHOST..., MYSQL_PWD, REDISCLI_AUTH...). */
  env: Record<string, string>;
  /** The server's temporary directory (data, sockets, log). */
  dir: string;
  /** The server's log so far. */
  log(): string;
  /** Stops the server; removes its directory unless `keep`. */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

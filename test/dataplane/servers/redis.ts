// A real Redis 7 (Debian's redis-server) as a plain process: password required,
// append-only file in a temporary directory, loopback only. `args` are extra
// server arguments (the rendered `--key value` pairs, or `--replicaof`).
// startSentinel runs redis-sentinel with a generated config watching a master.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../support/free-port.ts";
import {
  chownTree,
  ownedTempDir,
  type RunningServer,
  removeDir,
  runAs,
  startDaemon,
  waitUntil,
} from "./process.ts";

export interface RedisOptions {
  password?: string;
  port?: number;
  args?: string[];
  /** Start in this existing directory (e.g. holding a restored dump.rdb) instead of a new one. */
  dir?: string;
}

export interface RedisServer extends RunningServer {
  password: string;
  /** Runs redis-cli with the password from the environment; returns its output. */
  cli(...args: string[]): Promise<string>;
}

async function redisCli(port: number, password: string, args: string[]): Promise<string> {
  const r = await runAs("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
    env: { REDISCLI_AUTH: password },
  });
  if (r.code !== 0) throw new Error(`redis-cli ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const password = opts.password ?? "dataplane-secret";
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? ownedTempDir("redis");
  chownTree(dir);
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--requirepass",
    password,
    "--masterauth",
    password,
    "--save",
    "",
    "--daemonize",
    "no",
    ...(opts.args ?? []),
  ];
  const daemon = startDaemon("redis", "redis-server", args, { dir });
  try {
    await waitUntil(
      `redis on 127.0.0.1:${port}`,
      async () => (await redisCli(port, password, ["ping"])) === "PONG",
      { daemon },
    );
  } catch (e) {
    await daemon.stop();
    if (!opts.dir) removeDir(dir);
    throw e;
  }
  return {
    host: "127.0.0.1",
    port,
    url: `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}/0`,
    env: { REDISCLI_AUTH: password },
    dir,
    password,
    log: daemon.log,
    cli: (...a) => redisCli(port, password, a),
    async stop(o = {}) {
      await daemon.stop();
      if (!o.keep) removeDir(dir);
    },
  };
}

export interface SentinelOptions {
  master: { host: string; port: number; password: string };
  masterName?: string;
  quorum?: number;
  port?: number;
  /** Extra sentinel.conf lines. */
  config?: string[];
}

export interface SentinelServer extends RunningServer {
  masterName: string;
  cli(...args: string[]): Promise<string>;
}

export async function startSentinel(opts: SentinelOptions): Promise<SentinelServer> {
  const port = opts.port ?? (await freePort());
  const masterName = opts.masterName ?? "mymaster";
  const dir = ownedTempDir("sentinel");
  const conf = join(dir, "sentinel.conf");
  // Sentinel rewrites its config file, so it lives in the sentinel's own directory.
  writeFileSync(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${masterName} ${opts.master.host} ${opts.master.port} ${opts.quorum ?? 1}`,
      `sentinel auth-pass ${masterName} ${opts.master.password}`,
      `sentinel down-after-milliseconds ${masterName} 2000`,
      `sentinel failover-timeout ${masterName} 10000`,
      ...(opts.config ?? []),
      "",
    ].join("\n"),
  );
  chownTree(dir);
  const daemon = startDaemon("sentinel", "redis-sentinel", [conf], { dir });
  const cli = async (...a: string[]) => {
    const r = await runAs("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...a]);
    if (r.code !== 0) throw new Error(`redis-cli (sentinel) ${a.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  try {
    await waitUntil(
      `redis-sentinel on 127.0.0.1:${port}`,
      async () => (await cli("ping")) === "PONG",
      {
        daemon,
      },
    );
  } catch (e) {
    await daemon.stop();
    removeDir(dir);
    throw e;
  }
  return {
    host: "127.0.0.1",
    port,
    url: `redis-sentinel://127.0.0.1:${port}/${masterName}`,
    env: {},
    dir,
    masterName,
    log: daemon.log,
    cli,
    async stop(o = {}) {
      await daemon.stop();
      if (!o.keep) removeDir(dir);
    },
  };
}

// A real RabbitMQ 3.10 (Debian's rabbitmq-server) as a plain process: its own
// node name, data and log directories, Erlang cookie and epmd port (so it never
// meets another node on this machine), the default user from the options, and
// `config` (a rabbitmq.conf fragment, e.g. the rendered one) in its conf.d.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../support/free-port.ts";
import {
  chownTree,
  mustRun,
  ownedTempDir,
  type RunningServer,
  removeDir,
  runAs,
  startDaemon,
  waitUntil,
} from "./process.ts";

const RABBIT_BIN = "/usr/lib/rabbitmq/bin";

export interface RabbitmqOptions {
  user?: string;
  password?: string;
  port?: number;
  /** A rabbitmq.conf fragment, e.g. the rendered `rabbitmq.conf`. */
  config?: string;
  /** Erlang term for enabled_plugins; default none (the management plugin takes seconds to start). */
  enabledPlugins?: string;
}

export interface RabbitmqServer extends RunningServer {
  user: string;
  password: string;
  nodeName: string;
  /** Runs rabbitmqctl against this node; returns its output. */
  ctl(...args: string[]): Promise<string>;
}

export async function startRabbitmq(opts: RabbitmqOptions = {}): Promise<RabbitmqServer> {
  const user = opts.user ?? "app";
  const password = opts.password ?? "dataplane-secret";
  const port = opts.port ?? (await freePort());
  const distPort = await freePort();
  const epmdPort = await freePort();
  const dir = ownedTempDir("rabbitmq");
  const confDir = join(dir, "conf.d");
  mkdirSync(confDir);
  mkdirSync(join(dir, "log"));
  const nodeName = `rabbit-${port}@localhost`;
  writeFileSync(
    join(confDir, "10-dataplane.conf"),
    [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      `default_user = ${user}`,
      `default_pass = ${password}`,
      "loopback_users = none",
      "",
    ].join("\n"),
  );
  if (opts.config) writeFileSync(join(confDir, "90-archctl.conf"), opts.config);
  writeFileSync(join(dir, "enabled_plugins"), opts.enabledPlugins ?? "[].\n");
  const cookie = join(dir, ".erlang.cookie");
  writeFileSync(cookie, `dataplane${port}cookie`);
  chownTree(dir);
  chmodSync(cookie, 0o400);
  const env = {
    HOME: dir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: join(dir, "log"),
    RABBITMQ_LOGS: "-",
    RABBITMQ_CONFIG_FILES: confDir,
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    RABBITMQ_PID_FILE: join(dir, "rabbit.pid"),
  };
  const daemon = startDaemon("rabbitmq", `${RABBIT_BIN}/rabbitmq-server`, [], { dir, env });
  const ctl = async (...a: string[]) =>
    (await mustRun(`${RABBIT_BIN}/rabbitmqctl`, ["-q", "-n", nodeName, ...a], { env, cwd: dir }))
      .stdout;
  try {
    await waitUntil(
      `rabbitmq on 127.0.0.1:${port}`,
      async () =>
        (
          await runAs(
            `${RABBIT_BIN}/rabbitmqctl`,
            ["-q", "-n", nodeName, "await_startup", "--timeout", "5"],
            {
              env,
              cwd: dir,
            },
          )
        ).code === 0,
      { daemon, timeoutMs: 120_000 },
    );
  } catch (e) {
    await daemon.stop();
    await stopEpmd(env, dir);
    removeDir(dir);
    throw e;
  }
  return {
    host: "127.0.0.1",
    port,
    url: `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/`,
    env,
    dir,
    user,
    password,
    nodeName,
    log: daemon.log,
    ctl,
    async stop(o = {}) {
      await runAs(`${RABBIT_BIN}/rabbitmqctl`, ["-q", "-n", nodeName, "stop"], { env, cwd: dir });
      await daemon.stop(30_000);
      await stopEpmd(env, dir);
      if (!o.keep) removeDir(dir);
    },
  };
}

/** The node started its own epmd on a private port: stop that one (and only it). */
async function stopEpmd(env: Record<string, string>, dir: string): Promise<void> {
  await runAs("epmd", ["-port", env.ERL_EPMD_PORT as string, "-kill"], { env, cwd: dir });
}

// A real PostgreSQL 15 (Debian's postgresql-15) as a plain process: initdb into
// a temporary directory, the given user as superuser with a password (as the
// official image makes POSTGRES_USER), the given database, scram over TCP on
// loopback. `dataDir` starts an existing data directory instead (a restored or
// a replica's), `settings` become `-c key=value`, `hba` lines are appended.
import { writeFileSync } from "node:fs";
import { appendFile } from "node:fs/promises";
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

export const POSTGRES_BIN = "/usr/lib/postgresql/15/bin";

export interface PostgresOptions {
  user?: string;
  password?: string;
  database?: string;
  port?: number;
  settings?: Record<string, string>;
  /** Extra pg_hba.conf lines (e.g. for replication from another address). */
  hba?: string[];
  /** Start this existing data directory (owned by the dataplane user) instead of initdb. */
  dataDir?: string;
}

export interface PostgresServer extends RunningServer {
  user: string;
  password: string;
  database: string;
  dataDir: string;
  /** Unix socket directory (psql -h). */
  socketDir: string;
  /** Runs SQL through psql over TCP as the superuser; returns unaligned, tuples-only output. */
  psql(sql: string, database?: string): Promise<string>;
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const user = opts.user ?? "app";
  const password = opts.password ?? "dataplane-secret";
  const database = opts.database ?? user;
  const port = opts.port ?? (await freePort());
  const dir = ownedTempDir("postgres");
  const dataDir = opts.dataDir ?? join(dir, "data");
  const env = {
    PGHOST: "127.0.0.1",
    PGPORT: String(port),
    PGUSER: user,
    PGPASSWORD: password,
    PGDATABASE: database,
  };
  const fresh = !opts.dataDir;
  if (fresh) {
    const pwfile = join(dir, "pwfile");
    writeFileSync(pwfile, `${password}\n`);
    chownTree(pwfile);
    await mustRun(`${POSTGRES_BIN}/initdb`, [
      `--pgdata=${dataDir}`,
      `--username=${user}`,
      `--pwfile=${pwfile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
    ]);
    const hba = [
      "host all all 127.0.0.1/32 scram-sha-256",
      "host replication all 127.0.0.1/32 scram-sha-256",
      ...(opts.hba ?? []),
    ];
    await appendFile(join(dataDir, "pg_hba.conf"), `${hba.join("\n")}\n`);
  }
  const args = [
    "-D",
    dataDir,
    "-c",
    `port=${port}`,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `unix_socket_directories=${dir}`,
    "-c",
    "fsync=off",
    ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
  ];
  const daemon = startDaemon("postgres", `${POSTGRES_BIN}/postgres`, args, { dir });
  const psql = async (sql: string, db = database) =>
    (
      await mustRun(`${POSTGRES_BIN}/psql`, ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], {
        env: { ...env, PGDATABASE: db },
      })
    ).stdout.trim();
  try {
    await waitUntil(
      `postgres on 127.0.0.1:${port}`,
      async () =>
        (
          await runAs(`${POSTGRES_BIN}/pg_isready`, ["-q"], {
            env: { ...env, PGDATABASE: "postgres" },
          })
        ).code === 0,
      { daemon },
    );
    if (fresh && database !== "postgres") await psql(`CREATE DATABASE "${database}"`, "postgres");
  } catch (e) {
    await daemon.stop();
    removeDir(dir);
    throw e;
  }
  return {
    host: "127.0.0.1",
    port,
    url: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    env,
    dir,
    dataDir,
    socketDir: dir,
    user,
    password,
    database,
    log: daemon.log,
    psql,
    async stop(o = {}) {
      // SIGTERM is PostgreSQL's "smart" shutdown; SIGINT ("fast") does not wait for clients.
      daemon.child.kill("SIGINT");
      await daemon.stop();
      if (!o.keep) removeDir(dir);
    },
  };
}

// A real MariaDB 10.11 (Debian's mariadb-server, standing in for MySQL 8.4: the
// wire protocol, mysqldump and the mysql client are compatible for what archctl
// runs) as a plain process. Set up as the official MySQL image does from its
// env: root with MYSQL_ROOT_PASSWORD from anywhere, MYSQL_DATABASE, and
// MYSQL_USER with all rights on it. `config` is a my.cnf fragment (the rendered
// ConfigMap's), included after the launcher's own settings.
import { writeFileSync } from "node:fs";
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

export interface MariadbOptions {
  rootPassword?: string;
  user?: string;
  password?: string;
  database?: string;
  port?: number;
  /** A my.cnf fragment, e.g. the rendered `archctl.cnf`. */
  config?: string;
}

export interface MariadbServer extends RunningServer {
  rootPassword: string;
  user: string;
  password: string;
  database: string;
  socket: string;
  /** Runs SQL as root through the mysql client; returns tab-separated rows, no header. */
  sql(statement: string, database?: string): Promise<string>;
}

const sqlString = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;

export async function startMariadb(opts: MariadbOptions = {}): Promise<MariadbServer> {
  const rootPassword = opts.rootPassword ?? "dataplane-root";
  const user = opts.user ?? "app";
  const password = opts.password ?? "dataplane-secret";
  const database = opts.database ?? "app";
  const port = opts.port ?? (await freePort());
  const dir = ownedTempDir("mariadb");
  const dataDir = join(dir, "data");
  const socket = join(dir, "mysqld.sock");
  const cnf = join(dir, "my.cnf");
  const lines = [
    "[mysqld]",
    `datadir = ${dataDir}`,
    `port = ${port}`,
    "bind-address = 127.0.0.1",
    `socket = ${socket}`,
    `pid-file = ${join(dir, "mysqld.pid")}`,
    "skip-name-resolve",
    "innodb_buffer_pool_size = 32M",
    "innodb_flush_log_at_trx_commit = 2",
    "performance_schema = OFF",
  ];
  if (opts.config) {
    writeFileSync(join(dir, "archctl.cnf"), opts.config);
    lines.push(`!include ${join(dir, "archctl.cnf")}`);
  }
  writeFileSync(cnf, `${lines.join("\n")}\n`);
  chownTree(dir);

  await mustRun("mariadb-install-db", [
    `--defaults-file=${cnf}`,
    "--auth-root-authentication-method=normal",
    "--skip-test-db",
  ]);
  const daemon = startDaemon("mariadbd", "mariadbd", [`--defaults-file=${cnf}`], { dir });
  const env = { MYSQL_PWD: rootPassword, MYSQL_HOST: "127.0.0.1", MYSQL_TCP_PORT: String(port) };
  const sql = async (statement: string, db?: string) =>
    (
      await mustRun(
        "mariadb",
        [
          "--no-defaults",
          "--protocol=TCP",
          "--host=127.0.0.1",
          `--port=${port}`,
          "--user=root",
          "--batch",
          "--skip-column-names",
          ...(db ? [`--database=${db}`] : []),
          `--execute=${statement}`,
        ],
        { env },
      )
    ).stdout.trimEnd();
  try {
    await waitUntil(
      `mariadb on 127.0.0.1:${port}`,
      async () =>
        (
          await runAs("mariadb-admin", [
            "--no-defaults",
            `--socket=${socket}`,
            "--user=root",
            "ping",
          ])
        ).code === 0,
      { daemon },
    );
    // Over the socket, where root has no password yet (install-db's "normal" root).
    const setup = [
      `CREATE USER 'root'@'%' IDENTIFIED BY ${sqlString(rootPassword)}`,
      "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION",
      `ALTER USER 'root'@'localhost' IDENTIFIED BY ${sqlString(rootPassword)}`,
      // install-db's passwordless root@127.0.0.1, @::1 and @<hostname> would win over root@'%'.
      "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ('localhost', '%')",
      `CREATE DATABASE \`${database}\``,
      `CREATE USER ${sqlString(user)}@'%' IDENTIFIED BY ${sqlString(password)}`,
      `GRANT ALL ON \`${database}\`.* TO ${sqlString(user)}@'%'`,
      "FLUSH PRIVILEGES",
    ];
    await mustRun("mariadb", ["--no-defaults", `--socket=${socket}`, "--user=root"], {
      input: `${setup.join(";\n")};\n`,
    });
  } catch (e) {
    await daemon.stop();
    removeDir(dir);
    throw e;
  }
  return {
    host: "127.0.0.1",
    port,
    url: `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    env,
    dir,
    rootPassword,
    user,
    password,
    database,
    socket,
    log: daemon.log,
    sql,
    async stop(o = {}) {
      await daemon.stop(30_000);
      if (!o.keep) removeDir(dir);
    },
  };
}

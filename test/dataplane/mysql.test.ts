// MySQL, exercised on MariaDB 10.11 (Debian has no MySQL 8.4): the rendered
// mysqldump backup of the application databases survives destroy -> restore
// unchanged, through the mysql client the restore script uses; the rendered
// my.cnf reaches the server; bad backups and a non-empty target are refused.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import mysql from "mysql2/promise";
import { drillCheckScript } from "../../operator/render/restore-scripts.ts";
import { freePort } from "../support/free-port.ts";
import {
  assertRefused,
  type BackupRecord,
  backupPod,
  listing,
  plantCorrupt,
  plantForeign,
  plantOld,
  runBackup,
  runRestore,
} from "./backup-cycle.ts";
import { runContainer } from "./pod.ts";
import {
  ARCH,
  credentials,
  onLoopback,
  type RenderedDatastore,
  renderDatastore,
} from "./rendered.ts";
import { type MariadbServer, startMariadb } from "./servers/mariadb.ts";
import { ownedTempDir, removeDir } from "./servers/process.ts";

let r: RenderedDatastore;
let server: MariadbServer;
let backups: string;
let record: BackupRecord;
const start = () => {
  const c = credentials(r);
  return startMariadb({
    rootPassword: c["root-password"] as string,
    user: c.username as string,
    password: c.password as string,
    database: c.database as string,
    port: r.db.port as number,
    config: r.find("ConfigMap", `${ARCH}-db-config`).data["archctl.cnf"],
  });
};

async function query<T>(sql: string): Promise<T> {
  const conn = await mysql.createConnection({
    uri: onLoopback(r.appEnv.DB_URL as string, r.host),
    multipleStatements: true,
  });
  try {
    return (await conn.query(sql))[0] as T;
  } finally {
    await conn.end();
  }
}
const snapshot = () =>
  query<unknown[]>(
    "SELECT o.id, o.customer, o.total, o.note, hex(o.blob_) AS b, i.sku FROM orders o LEFT JOIN items i ON i.order_id = o.id ORDER BY o.id, i.sku",
  );
const tableCount = async () =>
  (
    await query<{ n: number }[]>(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = database()",
    )
  )[0]?.n;

before(async () => {
  r = renderDatastore("mysql", await freePort(), { db: { settings: { max_connections: "77" } } });
  server = await start();
  backups = ownedTempDir("backups");
});
after(async () => {
  await server?.stop();
  if (backups) removeDir(backups);
});

test("the rendered my.cnf reaches the server; the backup records size and checksum and prunes to retention", async () => {
  assert.deepEqual(await query("SELECT @@max_connections AS m"), [{ m: 77 }]);
  await query(`CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, customer varchar(64) NOT NULL, total decimal(10,2), note text, blob_ varbinary(32)) CHARSET utf8mb4;
    CREATE TABLE items (order_id int, sku varchar(32), FOREIGN KEY (order_id) REFERENCES orders(id));
    CREATE PROCEDURE big_orders() SELECT * FROM orders WHERE total > 100;
    INSERT INTO orders (customer, total, note, blob_) WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 500) SELECT concat('c', n), n * 1.5, concat('naïve ☃ ', n), unhex(md5(n)) FROM g;
    INSERT INTO items SELECT id, concat('sku-', id) FROM orders WHERE id % 3 = 0;`);
  plantOld(backups, ["db-20200101T000000Z.sql", "db-20210101T000000Z.sql"]);
  record = await runBackup(r, backups);
  assert.match(record.file, /^db-\d{8}T\d{6}Z\.sql$/);
  assert.deepEqual(
    listing(backups),
    [
      "db-20210101T000000Z.sql",
      "db-20210101T000000Z.sql.sha256",
      record.file,
      `${record.file}.sha256`,
    ].sort(),
  );
  process.stdout.write(`# mysql (mariadb) backup: ${record.size} bytes for 666 rows\n`);
});

test("destroy, then restore: bad backups are refused and the target stays empty; the real one restores identically", async () => {
  const before = await snapshot();
  assert.equal(before.length, 500);
  await server.stop();
  server = await start();
  assert.equal(await tableCount(), 0);

  assertRefused(await runRestore(r, { backups }, "db-20990101T000000Z.sql"), /does not exist/);
  plantCorrupt(backups, record, "db-20220101T000000Z.sql");
  assertRefused(
    await runRestore(r, { backups }, "db-20220101T000000Z.sql"),
    /does not match its recorded checksum/,
  );
  plantForeign(backups, "db-20230101T000000Z.dump", "PGDMP not mysql");
  assertRefused(
    await runRestore(r, { backups }, "db-20230101T000000Z.dump"),
    /not a MySQL .* backup: those end in \.sql/,
  );
  plantForeign(backups, "db-20230102T000000Z.sql", "REDIS0011\n");
  assertRefused(
    await runRestore(r, { backups }, "db-20230102T000000Z.sql"),
    /not a MySQL .* backup \(its content\)/,
  );
  assert.equal(await tableCount(), 0);

  const t0 = performance.now();
  const ok = await runRestore(r, { backups }, record.file);
  assert.equal(ok.code, 0, ok.stderr);
  process.stdout.write(`# mysql (mariadb) restore: ${Math.round(performance.now() - t0)} ms\n`);
  assert.deepEqual(await snapshot(), before);
  assert.equal((await query<unknown[]>("CALL big_orders()")).length, 2);
  // The application user the target made for itself still logs in (the source's users were not restored).
  assert.deepEqual(await query("SELECT current_user() AS u"), [
    { u: `${credentials(r).username}@%` },
  ]);

  assertRefused(
    await runRestore(r, { backups }, record.file),
    /already holds data \(2 tables\): restore only into an empty datastore/,
  );
});

test("the drill's check opens the restored data and counts tables and rows", async () => {
  const script = drillCheckScript(r.ctx, r.db) as string;
  const dump = backupPod(r).containers[0];
  const scratch = ownedTempDir("tmp");
  try {
    const res = await runContainer(
      {
        name: "check",
        command: ["sh", "-c", script],
        env: dump.env,
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
      { secrets: r.secrets, volumes: { tmp: scratch }, hosts: [r.host] },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), 'archctl-drill: {"tables":2,"rows":666}');
  } finally {
    removeDir(scratch);
  }
});

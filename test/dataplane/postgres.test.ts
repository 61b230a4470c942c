// PostgreSQL 15: rows written through the application's URL survive the rendered
// backup -> destroy -> restore cycle unchanged; retention keeps the newest; bad
// backups and a non-empty target are refused and leave the target as it was.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
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
import { credentials, onLoopback, type RenderedDatastore, renderDatastore } from "./rendered.ts";
import { type PostgresServer, startPostgres } from "./servers/postgres.ts";
import { ownedTempDir, removeDir } from "./servers/process.ts";

let r: RenderedDatastore;
let server: PostgresServer;
let backups: string;
let record: BackupRecord;
const start = () => {
  const c = credentials(r);
  return startPostgres({
    user: c.username as string,
    password: c.password as string,
    database: c.database as string,
    port: r.db.port as number,
  });
};

async function query<T>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: onLoopback(r.appEnv.DB_URL as string, r.host) });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}
const snapshot = () =>
  query(
    "SELECT o.id, o.customer, o.total::text, o.note, encode(o.blob, 'hex') AS blob, i.sku FROM orders o LEFT JOIN items i ON i.order_id = o.id ORDER BY o.id, i.sku",
  );

before(async () => {
  r = renderDatastore("postgres", await freePort(), { retention: 2 });
  server = await start();
  backups = ownedTempDir("backups");
});
after(async () => {
  await server?.stop();
  if (backups) removeDir(backups);
});

test("the application's URL writes; the rendered backup records size and checksum and prunes to retention", async () => {
  await query(`CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, total numeric(10,2), note text, blob bytea);
    CREATE TABLE items (order_id int REFERENCES orders(id), sku text);
    CREATE VIEW big AS SELECT * FROM orders WHERE total > 100;
    INSERT INTO orders (customer, total, note, blob) SELECT 'c' || g, g * 1.5, 'naïve ☃ ' || g, decode(md5(g::text), 'hex') FROM generate_series(1, 500) g;
    INSERT INTO items SELECT id, 'sku-' || id FROM orders WHERE id % 3 = 0;`);
  plantOld(backups, ["db-20200101T000000Z.dump", "db-20210101T000000Z.dump"]);
  record = await runBackup(r, backups);
  assert.match(record.file, /^db-\d{8}T\d{6}Z\.dump$/);
  assert.ok(record.size > 1000, `a dump of 500 rows is ${record.size} bytes`);
  // retention 2: the newest old one and the new one stay, each with its checksum.
  assert.deepEqual(
    listing(backups),
    [
      "db-20210101T000000Z.dump",
      "db-20210101T000000Z.dump.sha256",
      record.file,
      `${record.file}.sha256`,
    ].sort(),
  );
  process.stdout.write(`# postgres backup: ${record.size} bytes for 500 + 166 rows\n`);
});

test("destroy, then restore: bad backups are refused and the target stays empty; the real one restores identically", async () => {
  const before = await snapshot();
  assert.equal(before.length, 500);
  await server.stop();
  server = await start();
  assert.deepEqual(
    await query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'"),
    [{ n: 0 }],
  );

  assertRefused(await runRestore(r, { backups }, "db-20990101T000000Z.dump"), /does not exist/);
  plantCorrupt(backups, record, "db-20220101T000000Z.dump");
  assertRefused(
    await runRestore(r, { backups }, "db-20220101T000000Z.dump"),
    /does not match its recorded checksum/,
  );
  plantForeign(backups, "db-20230101T000000Z.rdb", "REDIS0011 not postgres");
  assertRefused(
    await runRestore(r, { backups }, "db-20230101T000000Z.rdb"),
    /not a PostgreSQL .* backup: those end in \.dump/,
  );
  plantForeign(backups, "db-20230102T000000Z.dump", "-- MySQL dump 10.13\n");
  assertRefused(
    await runRestore(r, { backups }, "db-20230102T000000Z.dump"),
    /not a PostgreSQL .* backup \(its content\)/,
  );
  assert.deepEqual(
    await query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'"),
    [{ n: 0 }],
  );

  const t0 = performance.now();
  const ok = await runRestore(r, { backups }, record.file);
  assert.equal(ok.code, 0, ok.stderr);
  process.stdout.write(`# postgres restore: ${Math.round(performance.now() - t0)} ms\n`);
  assert.deepEqual(await snapshot(), before);
  assert.deepEqual(await query("SELECT count(*)::int AS n FROM big"), [{ n: 434 }]);
  // The sequence came back too: the next id follows the restored ones.
  assert.deepEqual(await query("INSERT INTO orders (customer) VALUES ('new') RETURNING id"), [
    { id: 501 },
  ]);

  assertRefused(
    await runRestore(r, { backups }, record.file),
    /already holds data \(\d+ tables, views or sequences\): restore only into an empty datastore/,
  );
});

test("the drill's check opens the restored data and counts tables and rows", async () => {
  const script = drillCheckScript(r.ctx, r.db) as string;
  const dump = backupPod(r).containers[0];
  const res = await runContainer(
    { name: "check", command: ["sh", "-c", script], env: dump.env },
    { secrets: r.secrets, volumes: {}, hosts: [r.host] },
  );
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim(), 'archctl-drill: {"tables":2,"rows":667}');
});

// Redis 7: a dataset written through the application's URL survives the
// rendered RDB backup -> destroy -> restore (an init step on the data volume
// before the server starts, which then loads it with append-only on, as
// rendered); bad backups and a non-empty volume are refused.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
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
import { ownedTempDir, removeDir } from "./servers/process.ts";
import { type RedisServer, startRedis } from "./servers/redis.ts";

let r: RenderedDatastore;
let server: RedisServer;
let backups: string;
let record: BackupRecord;
/** The server's args as rendered, less those the launcher sets itself for loopback. */
function renderedArgs(): string[] {
  const args: string[] = r.find("StatefulSet", `${ARCH}-db`).spec.template.spec.containers[0].args;
  assert.deepEqual(args.slice(0, 9), [
    "redis-server",
    "--port",
    String(r.db.port),
    "--dir",
    "/data",
    "--appendonly",
    "yes",
    "--requirepass",
    "$(REDIS_PASSWORD)",
  ]);
  return args.slice(9);
}
const start = (dir?: string) =>
  startRedis({
    password: credentials(r).password as string,
    port: r.db.port as number,
    args: renderedArgs(),
    ...(dir ? { dir } : {}),
  });

async function withClient<T>(f: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis(onLoopback(r.appEnv.DB_URL as string, r.host));
  try {
    return await f(c);
  } finally {
    c.disconnect();
  }
}
const snapshot = () =>
  withClient(async (c) => {
    const keys = (await c.keys("*")).sort();
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const type = await c.type(k);
      out[k] =
        type === "string"
          ? await c.get(k)
          : type === "hash"
            ? await c.hgetall(k)
            : type === "list"
              ? await c.lrange(k, 0, -1)
              : type === "zset"
                ? await c.zrange(k, "0", "-1", "WITHSCORES")
                : (await c.smembers(k)).sort();
    }
    return out;
  });

before(async () => {
  r = renderDatastore("redis", await freePort(), {
    db: { settings: { "maxmemory-policy": "noeviction" } },
  });
  server = await start();
  backups = ownedTempDir("backups");
});
after(async () => {
  await server?.stop();
  if (backups) removeDir(backups);
});

test("the application's URL writes; the rendered backup records size and checksum and prunes to retention", async () => {
  await withClient(async (c) => {
    assert.deepEqual(await c.config("GET", "maxmemory-policy"), ["maxmemory-policy", "noeviction"]);
    const p = c.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`session:${i}`, `naïve ☃ ${i}`);
    p.hset("user:1", { name: "Ada", plan: "pro" });
    p.rpush("queue", "a", "b", "c");
    p.zadd("scores", 1, "x", 2.5, "y");
    p.sadd("tags", "red", "green");
    await p.exec();
  });
  plantOld(backups, ["db-20200101T000000Z.rdb", "db-20210101T000000Z.rdb"]);
  record = await runBackup(r, backups);
  assert.match(record.file, /^db-\d{8}T\d{6}Z\.rdb$/);
  assert.deepEqual(
    listing(backups),
    [
      "db-20210101T000000Z.rdb",
      "db-20210101T000000Z.rdb.sha256",
      record.file,
      `${record.file}.sha256`,
    ].sort(),
  );
  process.stdout.write(`# redis backup: ${record.size} bytes for 1004 keys\n`);
});

test("destroy, then restore into a new volume: bad backups refused, volume left empty; the real one restores identically", async () => {
  const before = await snapshot();
  assert.equal(Object.keys(before).length, 1004);
  await server.stop();
  const data = ownedTempDir("redis-data");
  const volumes = { backups, data };

  assertRefused(await runRestore(r, volumes, "db-20990101T000000Z.rdb"), /does not exist/);
  plantCorrupt(backups, record, "db-20220101T000000Z.rdb");
  assertRefused(
    await runRestore(r, volumes, "db-20220101T000000Z.rdb"),
    /does not match its recorded checksum/,
  );
  plantForeign(backups, "db-20230101T000000Z.sql", "-- MySQL dump\n");
  assertRefused(
    await runRestore(r, volumes, "db-20230101T000000Z.sql"),
    /not a Redis .* backup: those end in \.rdb/,
  );
  plantForeign(backups, "db-20230102T000000Z.rdb", "PGDMP\n");
  assertRefused(
    await runRestore(r, volumes, "db-20230102T000000Z.rdb"),
    /not a Redis .* backup \(its content\)/,
  );
  assert.deepEqual(readdirSync(data), []);

  const ok = await runRestore(r, volumes, record.file);
  assert.equal(ok.code, 0, ok.stderr);
  // The init step runs again on every pod start: once restored, it is a no-op.
  const again = await runRestore(r, volumes, record.file);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already restored/);

  server = await start(data);
  assert.deepEqual(await snapshot(), before);

  // A volume that holds data (and no restore mark) is refused.
  const used = ownedTempDir("redis-used");
  try {
    plantForeign(used, "appendonly.aof", "x");
    assertRefused(
      await runRestore(r, { backups, data: used }, record.file),
      /already holds data \(2 files in the data volume\)/,
    );
  } finally {
    removeDir(used);
  }
});

test("the drill's check counts the restored keys", async () => {
  const script = drillCheckScript(r.ctx, r.db) as string;
  const dump = backupPod(r).containers[0];
  const res = await runContainer(
    { name: "check", command: ["sh", "-c", script], env: dump.env },
    { secrets: r.secrets, volumes: {}, hosts: [r.host] },
  );
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim(), 'archctl-drill: {"keys":1004}');
});

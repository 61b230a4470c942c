// The real-server launchers: each server starts as the unprivileged user on
// loopback, answers its own ecosystem's client through the URL it hands out,
// and leaves nothing behind when stopped.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import amqp from "amqplib";
import { Redis } from "ioredis";
import mysql from "mysql2/promise";
import pg from "pg";
import { startMariadb } from "./servers/mariadb.ts";
import { startPostgres } from "./servers/postgres.ts";
import { startRabbitmq } from "./servers/rabbitmq.ts";
import { startRedis, startSentinel } from "./servers/redis.ts";

test("postgres: the URL reaches the database as its owner, not as root", async () => {
  const s = await startPostgres({ user: "app", password: "p'w d", database: "shop" });
  try {
    const client = new pg.Client({ connectionString: s.url });
    await client.connect();
    const r = await client.query("select current_user, current_database()");
    await client.end();
    assert.deepEqual(r.rows[0], { current_user: "app", current_database: "shop" });
    assert.match(
      await s.psql("select usename from pg_stat_activity where pid = pg_backend_pid()"),
      /app/,
    );
  } finally {
    await s.stop();
  }
  assert.equal(existsSync(s.dir), false);
});

test("mariadb: the app user reaches its database, root reaches everything", async () => {
  const s = await startMariadb({ database: "shop" });
  try {
    const conn = await mysql.createConnection(s.url);
    const [rows] = await conn.query("select database() as db, current_user() as u");
    await conn.end();
    assert.deepEqual(rows, [{ db: "shop", u: "app@%" }]);
    assert.equal(await s.sql("select count(*) from mysql.user where user = 'root'"), "2");
  } finally {
    await s.stop();
  }
  assert.equal(existsSync(s.dir), false);
});

test("redis: a password is required; sentinel watches the master", async () => {
  const s = await startRedis();
  const sentinel = await startSentinel({
    master: { host: s.host, port: s.port, password: s.password },
  });
  try {
    const client = new Redis(s.url);
    await client.set("k", "v");
    assert.equal(await client.get("k"), "v");
    client.disconnect();
    const anonymous = new Redis({
      host: s.host,
      port: s.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    await anonymous.connect().catch(() => undefined);
    await assert.rejects(anonymous.get("k"), /NOAUTH/);
    anonymous.disconnect();
    assert.match(
      await sentinel.cli("sentinel", "get-master-addr-by-name", sentinel.masterName),
      new RegExp(String(s.port)),
    );
  } finally {
    await sentinel.stop();
    await s.stop();
  }
});

test("rabbitmq: amqp with the default user", async () => {
  const s = await startRabbitmq();
  try {
    const conn = await amqp.connect(s.url);
    const ch = await conn.createChannel();
    await ch.assertExchange("orders", "topic", { durable: true });
    await conn.close();
    assert.match(await s.ctl("list_exchanges", "name", "type"), /orders\s+topic/);
  } finally {
    await s.stop();
  }
  assert.equal(existsSync(s.dir), false);
});

// Redis with Sentinel against real servers (Debian's Redis 7 on loopback): the
// rendered member.sh and sentinel.sh start three members and three Sentinels
// with the rendered settings (quorum 2, down-after, failover-timeout); killing
// the master makes Sentinel promote a replica, a Sentinel-aware client
// (ioredis) finds the new master, and the old master comes back as a replica.
// Loopback has one address, so members differ by port: MEMBER_HOST,
// SENTINEL_HOST, FIRST_MEMBER_PORT and SENTINEL_DIR stand for the pod DNS
// names, the common port and the Sentinel's volume.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import {
  DOWN_AFTER_MS,
  FAILOVER_TIMEOUT_MS,
  REDIS_SCRIPTS,
} from "../../operator/render/datastores/redis-sentinel.ts";
import { freePort } from "../support/free-port.ts";
import { containerEnv, expand, type Json } from "./pod.ts";
import { ARCH, credentials, renderDatastore } from "./rendered.ts";
import { type Daemon, ownedTempDir, removeDir, runAs, startDaemon } from "./servers/process.ts";

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
  return Date.now() - start;
}

async function cli(port: number, password: string | undefined, ...args: string[]): Promise<string> {
  const r = await runAs("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--raw", ...args], {
    env: password ? { REDISCLI_AUTH: password } : {},
  });
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

test("redis: members and Sentinels from the rendered scripts; Sentinel promotes a replica when the master dies; a Sentinel-aware client follows", {
  timeout: 180_000,
}, async (t) => {
  const r = renderDatastore("redis", 6379, { db: { replicas: 3 } });
  const password = credentials(r).password as string;
  const member: Json = r
    .find("StatefulSet", `${ARCH}-db`)
    .spec.template.spec.containers.find((c: Json) => c.name === "redis");
  const sentinel: Json = r
    .find("StatefulSet", `${ARCH}-db-sentinel`)
    .spec.template.spec.containers.find((c: Json) => c.name === "sentinel");
  const scripts = r.find("ConfigMap", `${ARCH}-db-scripts`).data as Record<string, string>;
  assert.equal(scripts["member.sh"], REDIS_SCRIPTS["member.sh"]);
  const sentinelEnv0 = containerEnv(sentinel, r.secrets, { "metadata.name": "x" });
  assert.equal(sentinelEnv0.SENTINEL_QUORUM, "2");
  assert.equal(sentinelEnv0.DOWN_AFTER_MS, String(DOWN_AFTER_MS));
  const masterName = sentinelEnv0.MASTER_NAME as string;

  const ports = [await freePort(), await freePort(), await freePort()];
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const sentinelHosts = sentinelPorts.map((p) => `127.0.0.1:${p}`).join(" ");
  const dirs: string[] = [];
  const daemons: Daemon[] = [];
  t.after(async () => {
    for (const d of daemons) await d.stop(5000);
    for (const d of dirs) removeDir(d);
  });
  const common = {
    FIRST_MEMBER: "127.0.0.1",
    FIRST_MEMBER_PORT: String(ports[0]),
    SENTINEL_HOSTS: sentinelHosts,
  };

  const startMember = (ordinal: number): Daemon => {
    const dir = ownedTempDir(`redis-${ordinal}`);
    dirs.push(dir);
    const env = {
      ...containerEnv(member, r.secrets, { "metadata.name": `${ARCH}-db-${ordinal}` }),
      ...common,
      MEMBER_HOST: "127.0.0.1",
      REDIS_PORT: String(ports[ordinal]),
    };
    const args = (member.args as string[]).map((a) => expand(a, env));
    // Loopback: its own port and directory, bound to 127.0.0.1.
    args[args.indexOf("--port") + 1] = String(ports[ordinal]);
    args[args.indexOf("--dir") + 1] = dir;
    const d = startDaemon(
      `member-${ordinal}`,
      "sh",
      ["-c", REDIS_SCRIPTS["member.sh"], "member", ...args, "--bind", "127.0.0.1"],
      { dir, env },
    );
    daemons.push(d);
    return d;
  };
  const role = async (ordinal: number) =>
    (await cli(ports[ordinal] as number, password, "info", "replication")).match(
      /^role:(\w+)/m,
    )?.[1];
  const ready = (ordinal: number) =>
    runAs("sh", ["-c", REDIS_SCRIPTS["member-ready.sh"]], {
      env: { REDIS_PORT: String(ports[ordinal]), REDISCLI_AUTH: password },
    });

  const members = [startMember(0)];
  await until("member 0 answers", async () => (await role(0)) === "master", 30_000);
  members.push(startMember(1), startMember(2));
  for (const i of [1, 2])
    await until(
      `member ${i} is ready (replicating)`,
      async () => (await ready(i)).code === 0,
      30_000,
    );
  assert.equal(await role(1), "slave");

  for (const [i, port] of sentinelPorts.entries()) {
    const dir = ownedTempDir(`sentinel-${i}`);
    dirs.push(dir);
    const env = {
      ...containerEnv(sentinel, r.secrets, { "metadata.name": `${ARCH}-db-sentinel-${i}` }),
      ...common,
      SENTINEL_HOST: "127.0.0.1",
      SENTINEL_PORT: String(port),
      SENTINEL_DIR: dir,
    };
    daemons.push(
      startDaemon(`sentinel-${i}`, "sh", ["-c", REDIS_SCRIPTS["sentinel.sh"]], { dir, env }),
    );
  }
  for (const port of sentinelPorts)
    await until(
      `sentinel ${port} knows 2 replicas and 2 other Sentinels`,
      async () =>
        (await cli(port, undefined, "sentinel", "replicas", masterName))
          .split("\n")
          .filter((l) => l === "name").length === 2 &&
        (await cli(port, undefined, "sentinel", "sentinels", masterName))
          .split("\n")
          .filter((l) => l === "name").length === 2,
      30_000,
    );

  const client = new Redis({
    sentinels: sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
    name: masterName,
    password,
    sentinelRetryStrategy: () => 200,
    retryStrategy: () => 200,
  });
  // Errors while the master is down are expected: the client retries through Sentinel.
  client.on("error", () => undefined);
  t.after(() => client.disconnect());
  await client.set("session:1", "alice");

  // Kill the master: Sentinel must promote a replica within its failover timeout.
  const killedAt = Date.now();
  members[0]?.child.kill("SIGKILL");
  let promoted = "";
  const ms = await until(
    "a Sentinel names a new master",
    async () => {
      const addr = (
        await cli(
          sentinelPorts[0] as number,
          undefined,
          "sentinel",
          "get-master-addr-by-name",
          masterName,
        )
      ).split("\n");
      promoted = addr[1] ?? "";
      return promoted !== "" && promoted !== String(ports[0]);
    },
    FAILOVER_TIMEOUT_MS,
  );
  t.diagnostic(
    `Sentinel promoted 127.0.0.1:${promoted} ${ms} ms after the master was killed (down-after ${DOWN_AFTER_MS} ms)`,
  );
  const newOrdinal = ports.indexOf(Number(promoted));
  assert.ok(newOrdinal === 1 || newOrdinal === 2);
  await until(
    "the promoted member is master",
    async () => (await role(newOrdinal)) === "master",
    30_000,
  );

  // The Sentinel-aware client finds the new master and writes to it.
  const clientMs = await until(
    "the client writes through the new master",
    async () => (await client.set("session:2", "bob")) === "OK",
    30_000,
  );
  t.diagnostic(
    `the Sentinel-aware client wrote again ${Date.now() - killedAt} ms after the kill (${clientMs} ms after promotion)`,
  );
  assert.equal(await cli(ports[newOrdinal] as number, password, "get", "session:1"), "alice");
  assert.equal(await cli(ports[newOrdinal] as number, password, "get", "session:2"), "bob");

  // The old master restarts through member.sh: Sentinel names the new master, so it joins as a replica.
  startMember(0);
  await until(
    "the old master rejoins as a replica",
    async () => (await role(0)) === "slave" && (await ready(0)).code === 0,
    30_000,
  );
  await until(
    "it has the write made after the failover",
    async () => (await cli(ports[0] as number, password, "get", "session:2")) === "bob",
    30_000,
  );
});

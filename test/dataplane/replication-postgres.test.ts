// PostgreSQL replication and `archctl failover` against real servers (Debian's
// PostgreSQL 15 on loopback): the rendered init script makes the replication
// user, the rendered start.sh clones replicas with pg_basebackup, ready.sh
// tells streaming from not, and runFailover drives the rendered state, fence,
// promote and repoint scripts. A TCP proxy stands for the read-write Service:
// the failover's "move the Service" step retargets it.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runFailover } from "../../cli/failover/run.ts";
import {
  INITDB_SCRIPT,
  REPLICATION_SETTINGS,
  SCRIPTS,
} from "../../operator/render/datastores/postgres-replication.ts";
import { freePort } from "../support/free-port.ts";
import { containerEnv, type Json, runContainer } from "./pod.ts";
import { ARCH, credentials, NAMESPACE, renderDatastore } from "./rendered.ts";
import { type PostgresServer, startPostgres } from "./servers/postgres.ts";
import { chownTree, mustRun, ownedTempDir, removeDir, runAs } from "./servers/process.ts";

/** A TCP forwarder to a port that can change: the read-write Service. */
async function serviceProxy(
  target: number,
): Promise<{ port: number; to(p: number): void; close(): Promise<void> }> {
  let current = target;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(current, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    port,
    to(p) {
      current = p;
      // Like endpoints leaving a Service: open connections to the old target end.
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(200);
  }
}

test("postgres: replicas clone and stream, read-only; a row written on the primary is read on them; failover promotes the most advanced one", {
  timeout: 240_000,
}, async (t) => {
  const primaryPort = await freePort();
  const r = renderDatastore("postgres", primaryPort, { db: { replicas: 3 } });
  const creds = credentials(r);
  const replication = r.secrets[`${ARCH}-db-replication`];
  assert.ok(replication, "the replication Secret is rendered");
  const sts = r.find("StatefulSet", `${ARCH}-db`);
  const container: Json = sts.spec.template.spec.containers.find(
    (c: Json) => c.name === "postgres",
  );
  const scriptsCm = r.find("ConfigMap", `${ARCH}-db-scripts`);
  assert.deepEqual(Object.keys(scriptsCm.data).sort(), Object.keys(SCRIPTS).sort());
  const serverArgs: string[] = container.args;
  const settings: Record<string, string> = {};
  for (let i = 0; i < serverArgs.length; i++)
    if (serverArgs[i] === "-c") {
      const [k, v] = (serverArgs[i + 1] as string).split("=") as [string, string];
      if (k !== "port") settings[k] = v;
    }
  assert.equal(settings.wal_keep_size, REPLICATION_SETTINGS.wal_keep_size);

  const work = ownedTempDir("pg-repl");
  const scriptsDir = join(work, "scripts");
  const initdbDir = join(work, "initdb");
  const shimDir = join(work, "bin");
  for (const d of [scriptsDir, initdbDir, shimDir]) mkdirSync(d);
  for (const [k, v] of Object.entries(scriptsCm.data as Record<string, string>))
    writeFileSync(join(scriptsDir, k), v);
  writeFileSync(join(initdbDir, "10-replication.sh"), scriptsCm.data["10-replication.sh"]);
  // The official image's entrypoint is not emulated: start.sh's bootstrap is what
  // is tested; the server itself is started by the launcher on the same data.
  writeFileSync(join(shimDir, "docker-entrypoint.sh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  chownTree(work);

  const servers: PostgresServer[] = [];
  const proxy = await serviceProxy(primaryPort);
  t.after(async () => {
    await proxy.close();
    for (const s of servers) await s.stop().catch(() => undefined);
    removeDir(work);
  });

  // The primary: initdb as the image does, then the rendered init script.
  const primary = await startPostgres({
    port: primaryPort,
    user: creds.username as string,
    password: creds.password as string,
    database: creds.database as string,
    settings,
  });
  servers.push(primary);
  const baseEnv = (pod: string, port: number, dataDir: string) => ({
    ...containerEnv(container, r.secrets, { "metadata.name": pod }),
    PGPORT: String(port),
    PGDATA: dataDir,
    PRIMARY_HOST: "127.0.0.1",
  });
  const init = await runAs("sh", ["-c", INITDB_SCRIPT], {
    env: {
      ...baseEnv(`${ARCH}-db-0`, primaryPort, primary.dataDir),
      PGHOST: "127.0.0.1",
      PGPASSWORD: creds.password as string,
    },
  });
  assert.equal(init.code, 0, init.stderr);
  await primary.psql("select pg_reload_conf()");
  assert.equal(
    await primary.psql("select rolreplication from pg_roles where rolname = 'replicator'"),
    "t",
  );

  // Two replicas, cloned by the rendered start.sh inside a pod-like mount namespace.
  const members: { pod: string; port: number; server: PostgresServer }[] = [
    { pod: `${ARCH}-db-0`, port: primaryPort, server: primary },
  ];
  const started = Date.now();
  for (const ordinal of [1, 2]) {
    const pod = `${ARCH}-db-${ordinal}`;
    const volume = join(work, `data-${ordinal}`);
    mkdirSync(volume);
    chownTree(volume);
    const boot = await runContainer(
      { ...container, args: container.args },
      {
        secrets: r.secrets,
        volumes: { data: volume, scripts: scriptsDir, initdb: initdbDir },
        hosts: [`${ARCH}-db.${NAMESPACE}.svc`],
        fields: { "metadata.name": pod },
        // The rendered port is the engine's default; on loopback the primary has its own.
        env: {
          PATH: `${shimDir}:/usr/lib/postgresql/15/bin:/usr/bin:/bin`,
          PGPORT: String(primaryPort),
        },
      },
    );
    assert.equal(boot.code, 0, `${boot.stdout}${boot.stderr}`);
    assert.match(boot.stdout, /cloning from the primary/);
    const port = await freePort();
    const server = await startPostgres({
      port,
      dataDir: join(volume, "pgdata"),
      user: creds.username as string,
      password: creds.password as string,
      database: creds.database as string,
    });
    servers.push(server);
    // The rendered conninfo names the Service; on loopback it is the proxy.
    const env = baseEnv(pod, port, join(volume, "pgdata"));
    await mustRun("sh", ["-c", SCRIPTS["repoint.sh"], "repoint", "127.0.0.1", String(proxy.port)], {
      env,
    });
    members.push({ pod, port, server });
  }
  const ready = (m: { pod: string; port: number; server: PostgresServer }) =>
    runAs("sh", ["-c", SCRIPTS["ready.sh"]], { env: baseEnv(m.pod, m.port, m.server.dataDir) });
  for (const m of members.slice(1))
    await until(`${m.pod} ready (streaming)`, async () => (await ready(m)).code === 0);
  t.diagnostic(`two replicas cloned and streaming in ${Date.now() - started} ms`);
  assert.equal((await ready(members[0] as (typeof members)[0])).code, 0, "the primary is ready");

  // Replicas are read-only; a row written on the primary is read on each.
  await primary.psql("create table posts (id int primary key, body text)");
  await primary.psql("insert into posts values (1, 'hello')");
  for (const m of members.slice(1)) {
    await until(
      `row on ${m.pod}`,
      async () => (await m.server.psql("select body from posts where id = 1")) === "hello",
    );
    await assert.rejects(
      m.server.psql("insert into posts values (2, 'x')"),
      /read-only transaction/,
    );
  }
  // A replica that loses its primary is not ready: stop one's WAL receiver by pointing it nowhere.
  const lonely = members[2] as (typeof members)[0];
  const nowhere = await freePort();
  await mustRun("sh", ["-c", SCRIPTS["repoint.sh"], "repoint", "127.0.0.1", String(nowhere)], {
    env: baseEnv(lonely.pod, lonely.port, lonely.server.dataDir),
  });
  await until(
    `${lonely.pod} not ready without its primary`,
    async () => (await ready(lonely)).code !== 0,
  );
  await mustRun("sh", ["-c", SCRIPTS["repoint.sh"], "repoint", "127.0.0.1", String(proxy.port)], {
    env: baseEnv(lonely.pod, lonely.port, lonely.server.dataDir),
  });
  await until(`${lonely.pod} ready again`, async () => (await ready(lonely)).code === 0);

  // Failover: the decision and steps of `archctl failover`, run on the real servers.
  await primary.psql("insert into posts values (3, 'before failover')");
  const byPod = new Map(members.map((m) => [m.pod, m]));
  const log: string[] = [];
  const outcome = await runFailover(
    {
      exec: async (pod, script) => {
        const m = byPod.get(pod);
        if (!m) throw new Error(`no member ${pod}`);
        const args =
          script === "fence.sh" || script === "repoint.sh" ? ["127.0.0.1", String(proxy.port)] : [];
        const res = await runAs(
          "sh",
          ["-c", SCRIPTS[script as keyof typeof SCRIPTS], script, ...args],
          {
            env: baseEnv(m.pod, m.port, m.server.dataDir),
          },
        );
        if (res.code !== 0) throw new Error(res.stderr);
        return res.stdout;
      },
      movePrimary: async (ordinal) => {
        const m = members[ordinal];
        if (!m) throw new Error(`no member ${ordinal}`);
        proxy.to(m.port);
      },
      event: async (type, reason, note) => {
        log.push(`${type} ${reason} ${note}`);
      },
      sleep: (ms) => sleep(ms),
      now: () => Date.now(),
      log: (line) => log.push(line),
    },
    { statefulSet: `${ARCH}-db`, members: 3, primaryOrdinal: 0, force: false },
  );
  assert.ok(outcome.done, JSON.stringify(outcome));
  t.diagnostic(
    `failover: ${outcome.promoted} promoted in ${outcome.ms} ms (fence, catch-up, promote, move, repoint)`,
  );
  const promoted = byPod.get(outcome.promoted);
  assert.ok(promoted);
  assert.equal(await promoted.server.psql("select pg_is_in_recovery()"), "f");
  assert.equal(
    await promoted.server.psql("select body from posts where id = 3"),
    "before failover",
  );
  await promoted.server.psql("insert into posts values (4, 'after failover')");

  // The other replica follows the new primary through the (moved) Service.
  const other = members.find((m) => m.pod !== outcome.promoted && m.pod !== `${ARCH}-db-0`);
  assert.ok(other);
  await until(
    `${other.pod} follows the new primary`,
    async () =>
      (await other.server.psql("select body from posts where id = 4")) === "after failover",
  );

  // The fenced primary restarts as a standby (standby.signal) and follows too.
  const oldData = primary.dataDir;
  await primary.stop({ keep: true });
  const restarted = await startPostgres({
    port: await freePort(),
    dataDir: oldData,
    user: creds.username as string,
    password: creds.password as string,
    database: creds.database as string,
  });
  servers.push(restarted);
  assert.equal(await restarted.psql("select pg_is_in_recovery()"), "t");
  await until(
    "the old primary streams from the new one",
    async () => (await restarted.psql("select body from posts where id = 4")) === "after failover",
  );
  t.after(() => removeDir(primary.dir));
  assert.ok(
    log.some((l) => /^Normal FailedOver promoted/.test(l)),
    log.join("\n"),
  );
});

test("postgres failover: refused with no replica caught up, and nothing changes", {
  timeout: 120_000,
}, async (t) => {
  const port = await freePort();
  const r = renderDatastore("postgres", port, { db: { replicas: 2 } });
  const creds = credentials(r);
  const container: Json = r
    .find("StatefulSet", `${ARCH}-db`)
    .spec.template.spec.containers.find((c: Json) => c.name === "postgres");
  const primary = await startPostgres({
    port,
    user: creds.username as string,
    password: creds.password as string,
    database: creds.database as string,
  });
  t.after(() => primary.stop());
  const env = {
    ...containerEnv(container, r.secrets, { "metadata.name": `${ARCH}-db-0` }),
    PGPORT: String(port),
    PGDATA: primary.dataDir,
  };
  const calls: string[] = [];
  const outcome = await runFailover(
    {
      exec: async (pod, script) => {
        calls.push(`${script} ${pod}`);
        if (pod !== `${ARCH}-db-0`) throw new Error("pod not found");
        const res = await runAs("sh", ["-c", SCRIPTS[script as keyof typeof SCRIPTS]], { env });
        if (res.code !== 0) throw new Error(res.stderr);
        return res.stdout;
      },
      movePrimary: async () => assert.fail("nothing may move"),
      event: async () => assert.fail("no Event for a refusal"),
      sleep: (ms) => sleep(ms),
      now: () => Date.now(),
      log: () => {},
    },
    { statefulSet: `${ARCH}-db`, members: 2, primaryOrdinal: 0, force: false },
  );
  assert.ok(!outcome.done);
  assert.match(outcome.reason, /no replica can be reached/);
  assert.deepEqual(calls.sort(), [`state.sh ${ARCH}-db-0`, `state.sh ${ARCH}-db-1`]);
  assert.equal(await primary.psql("select pg_is_in_recovery()"), "f");
});

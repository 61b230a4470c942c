// The S3 backup target against a real S3 protocol server (servers/s3: gofakes3
// on loopback) with the real AWS CLI (Debian's awscli): for PostgreSQL, MySQL
// (on MariaDB) and Redis, the rendered dump and upload put each backup and its
// checksum in the bucket and prune to retention; `backup list`'s Job reads
// them back; the server is destroyed; the rendered restore pod's download and
// restore containers bring the data back identical. PostgreSQL restores
// through restore.from.s3 as a restore from another namespace renders it
// (its own credentials Secret); refusals come from the real CLI's errors.
// Not exercised: credentials (gofakes3 accepts any key) and TLS.
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import mysql from "mysql2/promise";
import pg from "pg";
import { listJob, parseListing } from "../../cli/backup-jobs.ts";
import type { ResolvedBackup } from "../../operator/api/defaults.ts";
import { listScript } from "../../operator/render/backup-list.ts";
import { freePort } from "../support/free-port.ts";
import { assertRefused, backupPod, plantOld } from "./backup-cycle.ts";
import { type Json, runContainer } from "./pod.ts";
import {
  ARCH,
  credentials,
  onLoopback,
  type RenderedDatastore,
  renderDatastore,
} from "./rendered.ts";
import { startMariadb } from "./servers/mariadb.ts";
import { startPostgres } from "./servers/postgres.ts";
import {
  chownTree,
  ownedTempDir,
  type RunningServer,
  removeDir,
  runAs,
} from "./servers/process.ts";
import { startRedis } from "./servers/redis.ts";
import { AWS_CLI, type S3Server, startS3 } from "./servers/s3.ts";

const BUCKET = "backups";
const KEYS = { AWS_ACCESS_KEY_ID: "AKIADATAPLANE", AWS_SECRET_ACCESS_KEY: "dataplane-secret" };
let s3: S3Server;
before(async () => {
  s3 = await startS3([BUCKET]);
});
after(async () => {
  await s3?.stop();
});

/** The real AWS CLI against the server, as the dataplane user. */
async function aws(...args: string[]): Promise<string> {
  const home = ownedTempDir("aws-home");
  try {
    const r = await runAs(
      AWS_CLI,
      [...args, "--endpoint-url", s3.endpoint, "--region", "us-east-1"],
      {
        env: { ...KEYS, HOME: home },
      },
    );
    if (r.code !== 0) throw new Error(`aws ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  } finally {
    removeDir(home);
  }
}
const keysUnder = async (prefix: string) =>
  (
    await aws(
      "s3api",
      "list-objects-v2",
      "--bucket",
      BUCKET,
      "--prefix",
      prefix,
      "--query",
      "Contents[].Key",
      "--output",
      "text",
    )
  )
    .trim()
    .split(/\s+/)
    .filter((k) => k && k !== "None")
    .sort();

interface Engine {
  type: "postgres" | "mysql" | "redis";
  ext: string;
  start(r: RenderedDatastore, dir?: string): Promise<RunningServer>;
  write(r: RenderedDatastore): Promise<void>;
  snapshot(r: RenderedDatastore): Promise<unknown>;
}

const appUrl = (r: RenderedDatastore) => onLoopback(r.appEnv.DB_URL as string, r.host);

const ENGINES: Engine[] = [
  {
    type: "postgres",
    ext: "dump",
    start: (r) => {
      const c = credentials(r);
      return startPostgres({
        user: c.username as string,
        password: c.password as string,
        database: c.database as string,
        port: r.db.port as number,
      });
    },
    async write(r) {
      const client = new pg.Client({ connectionString: appUrl(r) });
      await client.connect();
      await client.query(
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'naïve ☃ ' || g FROM generate_series(1, 2000) g",
      );
      await client.end();
    },
    async snapshot(r) {
      const client = new pg.Client({ connectionString: appUrl(r) });
      await client.connect();
      try {
        return (await client.query("SELECT id, v FROM t ORDER BY id")).rows;
      } finally {
        await client.end();
      }
    },
  },
  {
    type: "mysql",
    ext: "sql",
    start: (r) => {
      const c = credentials(r);
      return startMariadb({
        rootPassword: c["root-password"] as string,
        user: c.username as string,
        password: c.password as string,
        database: c.database as string,
        port: r.db.port as number,
        config: (r.objects.find((o) => o.kind === "ConfigMap") as Json | undefined)?.data?.[
          "archctl.cnf"
        ],
      });
    },
    async write(r) {
      const conn = await mysql.createConnection({ uri: appUrl(r), multipleStatements: true });
      const rows = Array.from({ length: 2000 }, (_, i) => `(${i + 1}, 'naïve ☃ ${i + 1}')`);
      await conn.query(
        `CREATE TABLE t (id int PRIMARY KEY, v text CHARACTER SET utf8mb4); INSERT INTO t VALUES ${rows.join(",")}`,
      );
      await conn.end();
    },
    async snapshot(r) {
      const conn = await mysql.createConnection({ uri: appUrl(r) });
      try {
        return (await conn.query("SELECT id, v FROM t ORDER BY id"))[0];
      } finally {
        await conn.end();
      }
    },
  },
  {
    type: "redis",
    ext: "rdb",
    start: (r, dir) =>
      startRedis({
        password: credentials(r).password as string,
        port: r.db.port as number,
        ...(dir ? { dir } : {}),
      }),
    async write(r) {
      const c = new Redis(appUrl(r));
      const p = c.pipeline();
      for (let i = 0; i < 2000; i++) p.set(`session:${i}`, `naïve ☃ ${i}`);
      p.hset("user:1", { name: "Ada", plan: "pro" });
      await p.exec();
      c.disconnect();
    },
    async snapshot(r) {
      const c = new Redis(appUrl(r));
      try {
        const keys = (await c.keys("*")).sort();
        const values = await Promise.all(
          keys.map(async (k) => ((await c.type(k)) === "hash" ? c.hgetall(k) : c.get(k))),
        );
        return keys.map((k, i) => [k, values[i]]);
      } finally {
        c.disconnect();
      }
    },
  },
];

for (const e of ENGINES) {
  test(`${e.type}: backup to S3, list, destroy, download and restore with the real AWS CLI`, async () => {
    const prefix = `/${e.type}/nightly/`;
    const target = {
      bucket: BUCKET,
      prefix,
      endpoint: s3.endpoint,
      credentialsSecret: "s3-creds",
    };
    const r = renderDatastore(e.type, await freePort(), { retention: 2, backup: { s3: target } });
    const secrets = { ...r.secrets, "s3-creds": KEYS };
    let server = await e.start(r);
    const staging = ownedTempDir("staging");
    const tmp = ownedTempDir("tmp");
    const key = (f: string) => `${e.type}/nightly/${f}`;
    try {
      await e.write(r);
      const before = await e.snapshot(r);
      // Two older backups (retention 2 keeps one of them) and someone else's object, in one upload.
      const planted = ownedTempDir("planted");
      plantOld(planted, [`db-20200101T000000Z.${e.ext}`, `db-20210101T000000Z.${e.ext}`]);
      writeFileSync(join(planted, "db-notes.txt"), "not a backup\n");
      chownTree(planted);
      await aws("s3", "cp", "--recursive", planted, `s3://${BUCKET}/${e.type}/nightly/`);
      removeDir(planted);

      // The backup Job's pod: the dump (init) container, then the upload container.
      const pod: Json = backupPod(r);
      const dump = await runContainer(pod.initContainers[0], {
        secrets,
        volumes: { backups: staging, tmp: staging },
        hosts: [r.host],
      });
      assert.equal(dump.code, 0, `${dump.stdout}${dump.stderr}`);
      const file = readdirSync(staging).find((f) => f.endsWith(`.${e.ext}`)) as string;
      assert.ok(file);
      const upload = pod.containers.find((c: Json) => c.name === "upload");
      let t0 = performance.now();
      const up = await runContainer(upload, {
        secrets,
        volumes: { backups: staging, tmp },
        hosts: [],
      });
      const uploadMs = Math.round(performance.now() - t0);
      assert.equal(up.code, 0, `${up.stdout}${up.stderr}`);
      assert.deepEqual(
        await keysUnder(`${e.type}/`),
        [
          key(`db-20210101T000000Z.${e.ext}`),
          key(`db-20210101T000000Z.${e.ext}.sha256`),
          key("db-notes.txt"),
          key(file),
          key(`${file}.sha256`),
        ].sort(),
      );

      // backup list's Job: newest first, sizes and checksums as the bucket has them.
      const script = listScript(r.ctx, r.db, r.ctx.arch.backups[0] as ResolvedBackup) as string;
      const job: Json = listJob(r.find("CronJob", `${ARCH}-db-backup`), script, "t");
      const listed = await runContainer(job.spec.template.spec.containers[0], {
        secrets,
        volumes: { "list-tmp": tmp },
        hosts: [],
      });
      assert.equal(listed.code, 0, listed.stderr);
      const entries = parseListing(listed.stdout);
      assert.deepEqual(
        entries.map((x) => x.file),
        [file, `db-20210101T000000Z.${e.ext}`],
      );
      const sha = (await aws("s3", "cp", `s3://${BUCKET}/${key(`${file}.sha256`)}`, "-")).split(
        " ",
      )[0];
      assert.equal(entries[0]?.sha256, sha);

      // Destroy: a new, empty server (Redis: a new, empty data volume).
      await server.stop();
      const data = ownedTempDir("data");
      if (e.type !== "redis") server = await e.start(r);

      // The restore pod as rendered: from this Architecture's bucket, or (PostgreSQL)
      // from.s3 as a restore from another namespace writes it, with that namespace's Secret.
      const from =
        e.type === "postgres"
          ? {
              namespace: "elsewhere",
              architecture: ARCH,
              component: "db",
              s3: { ...target, credentialsSecret: "reader" },
            }
          : { architecture: ARCH, component: "db" };
      const restoring = renderDatastore(e.type, r.db.port as number, {
        retention: 2,
        backup: { s3: target },
        db: { restore: { from } },
      });
      const rpod: Json =
        e.type === "redis"
          ? restoring.find("StatefulSet", `${ARCH}-db`).spec.template.spec
          : restoring.find("Job", `${ARCH}-db-restore`).spec.template.spec;
      const [download, ...rest] = [...(rpod.initContainers ?? []), ...rpod.containers];
      assert.equal(download.name, "download");
      const restore = rest.find((c: Json) => c.name === "restore");
      const rsecrets = { ...r.secrets, "s3-creds": KEYS, reader: KEYS };
      const fetched = ownedTempDir("fetched");
      const fetch = (
        env: Record<string, string> = {},
        s: Record<string, Record<string, string>> = rsecrets,
        c: Json = download,
      ) =>
        runContainer(c, {
          secrets: s,
          volumes: { backups: fetched, "download-tmp": tmp },
          hosts: [],
          env,
        });
      try {
        // Refusals, in the real CLI's words: a backup not in the bucket, a bucket that cannot be read.
        assertRefused(
          await fetch({ ARCHCTL_BACKUP: `db-20990101T000000Z.${e.ext}` }),
          new RegExp(
            `backup 'db-20990101T000000Z\\.${e.ext}' of '.*db' cannot be read from s3://${BUCKET}/${e.type}/nightly/db-\\*: .*(404|Not Found)`,
          ),
        );
        const elsewhere = renderDatastore(e.type, r.db.port as number, {
          db: {
            restore: {
              from: {
                namespace: "elsewhere",
                architecture: ARCH,
                component: "db",
                s3: { ...target, bucket: "no-such-bucket", credentialsSecret: "reader" },
              },
            },
          },
        });
        const epod: Json =
          e.type === "redis"
            ? elsewhere.find("StatefulSet", `${ARCH}-db`).spec.template.spec
            : elsewhere.find("Job", `${ARCH}-db-restore`).spec.template.spec;
        assertRefused(
          await fetch({}, { ...elsewhere.secrets, reader: KEYS }, epod.initContainers[0]),
          /cannot read s3:\/\/no-such-bucket\/.*db-\* with the credentials in Secret 'reader': .*NoSuchBucket/,
        );
        assert.deepEqual(readdirSync(fetched), []);

        t0 = performance.now();
        const got = await fetch();
        const downloadMs = Math.round(performance.now() - t0);
        assert.equal(got.code, 0, `${got.stdout}${got.stderr}`);
        assert.deepEqual(readdirSync(fetched).sort(), [file, `${file}.sha256`]);
        t0 = performance.now();
        const ok = await runContainer(restore, {
          secrets: rsecrets,
          volumes: { backups: fetched, "restore-tmp": tmp, data },
          hosts: [r.host],
        });
        const restoreMs = Math.round(performance.now() - t0);
        assert.equal(ok.code, 0, `${ok.stdout}${ok.stderr}`);
        if (e.type === "redis") server = await e.start(r, data);
        assert.deepEqual(await e.snapshot(r), before);
        process.stdout.write(
          `# ${e.type} via S3: backup ${entries[0]?.size} bytes; upload ${uploadMs} ms, download ${downloadMs} ms, restore ${restoreMs} ms (real aws CLI, loopback)\n`,
        );
      } finally {
        removeDir(fetched);
        removeDir(data);
      }
    } finally {
      await server.stop();
      for (const d of [staging, tmp]) removeDir(d);
    }
  });
}

test("postgres: the restore drill of an S3 backup downloads the latest, restores it into an empty server and counts it", async () => {
  const e = ENGINES[0] as Engine;
  const target = {
    bucket: BUCKET,
    prefix: "/drill/",
    endpoint: s3.endpoint,
    credentialsSecret: "s3-creds",
  };
  const r = renderDatastore("postgres", await freePort(), {
    backup: { s3: target, verify: { schedule: "0 5 * * 0" } },
  });
  const secrets = { ...r.secrets, "s3-creds": KEYS };
  let server = await e.start(r);
  const staging = ownedTempDir("staging");
  const tmp = ownedTempDir("tmp");
  const fetched = ownedTempDir("fetched");
  try {
    await e.write(r);
    // A backup in the bucket, as the backup Job's dump and upload containers put it.
    const pod: Json = backupPod(r);
    const dump = await runContainer(pod.initContainers[0], {
      secrets,
      volumes: { backups: staging, tmp: staging },
      hosts: [r.host],
    });
    assert.equal(dump.code, 0, `${dump.stdout}${dump.stderr}`);
    const file = readdirSync(staging).find((f) => f.endsWith(".dump")) as string;
    const upload = pod.containers.find((c: Json) => c.name === "upload");
    const up = await runContainer(upload, {
      secrets,
      volumes: { backups: staging, tmp },
      hosts: [],
    });
    assert.equal(up.code, 0, `${up.stdout}${up.stderr}`);

    // The drill pod as rendered: download (init), its own empty server, then the drill.
    const drillPod: Json = r.find("CronJob", `${ARCH}-db-drill`).spec.jobTemplate.spec.template
      .spec;
    const [download] = drillPod.initContainers;
    assert.equal(download.name, "download");
    const got = await runContainer(download, {
      secrets,
      volumes: { backups: fetched, "download-tmp": tmp },
      hosts: [],
    });
    assert.equal(got.code, 0, `${got.stdout}${got.stderr}`);
    assert.deepEqual(readdirSync(fetched).sort(), [file, `${file}.sha256`]);
    await server.stop();
    server = await e.start(r);
    const drill = drillPod.containers.find((c: Json) => c.name === "drill");
    const res = await runContainer(drill, {
      secrets,
      volumes: { backups: fetched, "drill-tmp": tmp },
      hosts: [],
    });
    assert.equal(res.code, 0, `${res.stdout}${res.stderr}`);
    assert.match(res.stdout, new RegExp(`restored ${file} into db`));
    assert.match(res.stdout, /^archctl-drill: \{"tables":1,"rows":2000\}$/m);
  } finally {
    await server.stop();
    for (const d of [staging, tmp, fetched]) removeDir(d);
  }
});

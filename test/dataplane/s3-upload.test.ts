// The S3 target without an S3 server (none can be reached from here): the
// rendered dump runs against a real PostgreSQL, then the rendered upload script
// runs with a stand-in `aws` on PATH that keeps a bucket in a directory and
// answers `s3 cp`, `s3 rm` and `s3api list-objects-v2 --query Contents[].Key
// --output text` as the AWS CLI does. What this proves: every backup goes up
// with its checksum, retention counts backups (not checksum files) and removes
// both, the prefix and endpoint options are passed. What it cannot: the real
// CLI's behaviour, credentials and the network.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { listJob, parseListing } from "../../cli/backup-jobs.ts";
import type { ResolvedBackup } from "../../operator/api/defaults.ts";
import { listScript } from "../../operator/render/backup-list.ts";
import { freePort } from "../support/free-port.ts";
import { backupPod, plantOld } from "./backup-cycle.ts";
import { type Json, runContainer } from "./pod.ts";
import { credentials, renderDatastore } from "./rendered.ts";
import { startPostgres } from "./servers/postgres.ts";
import { chownTree, ownedTempDir, removeDir } from "./servers/process.ts";

const FAKE_AWS = `#!/bin/sh
# A stand-in for the AWS CLI over a directory ($FAKE_S3/<bucket>/<key>); logs each call.
echo "$*" >> "$FAKE_S3/calls.log"
[ -n "$AWS_ACCESS_KEY_ID" ] || { echo "no credentials" >&2; exit 255; }
case "$1 $2" in
  "s3 cp")
    case "$3" in
      s3://*) src=\${3#s3://}; [ "$4" = - ] && cat "$FAKE_S3/$src" ;;
      *) dst=\${4#s3://}; mkdir -p "$FAKE_S3/\${dst%/*}"; cp "$3" "$FAKE_S3/$dst" ;;
    esac ;;
  "s3 rm") dst=\${3#s3://}; [ -f "$FAKE_S3/$dst" ] || { echo "no such key $dst" >&2; exit 1; }; rm "$FAKE_S3/$dst" ;;
  "s3api list-objects-v2")
    shift 2; bucket=; prefix=; query=
    while [ $# -gt 0 ]; do case "$1" in --bucket) bucket=$2; shift ;; --prefix) prefix=$2; shift ;; --query) query=$2; shift ;; esac; shift; done
    keys=\`cd "$FAKE_S3/$bucket" && find . -type f | sed 's|^./||' | grep "^$prefix" | sort\`
    if [ "$query" = 'Contents[].[Key,Size]' ]; then
      for k in $keys; do printf '%s\t%s\n' "$k" \`wc -c < "$FAKE_S3/$bucket/$k" | tr -d ' '\`; done
    else
      echo "$keys" | paste -sd '\t' -
    fi ;;
  *) echo "unexpected aws call: $*" >&2; exit 2 ;;
esac
`;

test("s3 target: the rendered dump and upload put each backup and its checksum in the bucket and prune to retention", async () => {
  const r = renderDatastore("postgres", await freePort(), {
    retention: 2,
    backup: {
      s3: {
        bucket: "bkt",
        prefix: "/nightly/",
        endpoint: "https://s3.internal:9000",
        credentialsSecret: "s3-creds",
      },
    },
  });
  const c = credentials(r);
  const server = await startPostgres({
    user: c.username as string,
    password: c.password as string,
    database: c.database as string,
    port: r.db.port as number,
  });
  const staging = ownedTempDir("staging");
  // The upload container mounts its own /tmp: the stand-in and the bucket live there.
  const tmp = ownedTempDir("tmp");
  const s3 = join(tmp, "s3");
  const bin = join(tmp, "bin");
  mkdirSync(bin);
  try {
    await server.psql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)");
    mkdirSync(join(s3, "bkt", "nightly"), { recursive: true });
    plantOld(join(s3, "bkt", "nightly"), ["db-20200101T000000Z.dump", "db-20210101T000000Z.dump"]);
    // Someone else's object under the same prefix: never pruned.
    writeFileSync(join(s3, "bkt", "nightly", "db-notes.txt"), "keep me");
    writeFileSync(join(bin, "aws"), FAKE_AWS, { mode: 0o755 });
    chownTree(tmp);

    const pod: Json = backupPod(r);
    const secrets = {
      ...r.secrets,
      "s3-creds": { AWS_ACCESS_KEY_ID: "AKIA-test", AWS_SECRET_ACCESS_KEY: "s" },
    };
    const dump = await runContainer(pod.initContainers[0], {
      secrets,
      volumes: { backups: staging, tmp: staging },
      hosts: [r.host],
    });
    assert.equal(dump.code, 0, dump.stderr);
    const upload = pod.containers.find((x: Json) => x.name === "upload");
    const up = await runContainer(upload, {
      secrets,
      volumes: { backups: staging, tmp },
      hosts: [r.host],
      env: { FAKE_S3: "/tmp/s3", PATH: "/tmp/bin:/usr/bin:/bin" },
    });
    assert.equal(up.code, 0, `${up.stdout}${up.stderr}`);
    const [file] = readdirSync(staging).filter((f) => f.endsWith(".dump"));
    assert.ok(file);
    assert.deepEqual(
      readdirSync(join(s3, "bkt", "nightly")).sort(),
      [
        "db-20210101T000000Z.dump",
        "db-20210101T000000Z.dump.sha256",
        "db-notes.txt",
        file,
        `${file}.sha256`,
      ].sort(),
    );
    // backup list's script on the same target: newest first, sizes and checksums from the bucket.
    const script = listScript(r.ctx, r.db, r.ctx.arch.backups[0] as ResolvedBackup) as string;
    const job: Json = listJob(r.find("CronJob", "shop-db-backup"), script, "t");
    const listed = await runContainer(job.spec.template.spec.containers[0], {
      secrets,
      volumes: { "list-tmp": tmp },
      hosts: [],
      env: { FAKE_S3: "/tmp/s3", PATH: "/tmp/bin:/usr/bin:/bin" },
    });
    assert.equal(listed.code, 0, listed.stderr);
    const entries = parseListing(listed.stdout);
    assert.deepEqual(
      entries.map((e) => e.file),
      [file, "db-20210101T000000Z.dump"],
    );
    assert.equal(entries[0]?.size, statSync(join(staging, file)).size);
    assert.equal(
      entries[0]?.sha256,
      readFileSync(join(staging, `${file}.sha256`), "utf8").split(" ")[0],
    );
    const calls = readFileSync(join(s3, "calls.log"), "utf8");
    assert.match(calls, /--region us-east-1 --endpoint-url https:\/\/s3\.internal:9000/);
    assert.match(calls, /^s3 rm s3:\/\/bkt\/nightly\/db-20200101T000000Z\.dump\.sha256 /m);
  } finally {
    await server.stop();
    for (const d of [staging, tmp]) removeDir(d);
  }
});

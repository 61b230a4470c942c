import assert from "node:assert/strict";
import { test } from "node:test";
import { AWS_CLI_IMAGE, renderBackups } from "../../../operator/render/backup.ts";
import { connectionSecret } from "../../../operator/render/connection.ts";
import {
  assertRestricted,
  container,
  ctxOf,
  envOf,
  find,
  type Json,
  type Spec,
  secretRefs,
} from "./datastore-helpers.ts";

function render(spec: Spec, uid?: string) {
  const r = renderBackups(ctxOf(spec, undefined, uid));
  return { objects: r.objects, notices: r.notices ?? [] };
}

const COMMANDS = {
  mysql:
    /mysqldump --host=shop-db\.prod\.svc --port=3306 --user=root --single-transaction --routines --databases \$dbs --result-file="\$out"/,
  postgres: /pg_dump --host=shop-db\.prod\.svc --port=5432 -Fc --file="\$out"/,
  mongodb: /mongodump --config=\/tmp\/mongodump\.yaml .*--archive="\$out" --gzip/,
  redis: /redis-cli -h shop-db\.prod\.svc -p 6379 --rdb "\$out"/,
} as const;

for (const [type, command] of Object.entries(COMMANDS)) {
  test(`${type}: CronJob with Forbid, the datastore's own image and dump tool, PVC and retention`, () => {
    const spec: Spec = {
      components: [{ name: "db", type: type as "mysql" }],
      backups: [{ component: "db", schedule: "0 3 * * *", retention: 5 }],
    };
    const { objects, notices } = render(spec);
    assert.deepEqual(notices, []);
    const cron = find(objects, "CronJob", "shop-db-backup");
    assert.equal(cron.apiVersion, "batch/v1");
    assert.equal(cron.spec.schedule, "0 3 * * *");
    assert.equal(cron.spec.concurrencyPolicy, "Forbid");
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const dump = container(pod, "dump");
    const script: string = dump.command[2];
    assert.match(script, command);
    assert.match(script, /ts=`date -u \+%Y%m%dT%H%M%SZ`/);
    assert.match(
      script,
      /tail -n \+6 \| while read -r old; do rm -f -- "\$old" "\$old\.sha256"; done/,
    );
    // Every backup records its checksum (a sidecar) and size (the termination message).
    assert.match(script, /sha256sum "\$out"/);
    assert.match(script, /> "\$file\.sha256"/);
    assert.match(script, /> \/dev\/termination-log/);
    assert.doesNotMatch(script, /\$\(/, "no $( that the kubelet would try to expand");
    assert.ok(dump.image.startsWith(type === "mongodb" ? "mongo:" : `${type}:`));
    // Default (and here explicit) target: a claim <arch>-<c>-backups mounted at /backups.
    const pvc = find(objects, "PersistentVolumeClaim", "shop-db-backups");
    assert.equal(pvc.spec.resources.requests.storage, "20Gi");
    assert.deepEqual(
      pod.volumes.find((v: Json) => v.name === "backups"),
      { name: "backups", persistentVolumeClaim: { claimName: "shop-db-backups" } },
    );
    assert.ok(dump.volumeMounts.some((m: Json) => m.mountPath === "/backups"));
    // Labels the NetworkPolicy relies on.
    const labels = cron.spec.jobTemplate.spec.template.metadata.labels;
    assert.equal(labels["archctl.io/role"], "backup");
    assert.equal(labels["app.kubernetes.io/component"], "db");
    assert.equal(labels["app.kubernetes.io/instance"], "shop-db");
    assertRestricted(objects);
    // Credentials only from keys the datastore's Secret has.
    const ctx = ctxOf(spec);
    const c = ctx.component("db");
    assert.ok(c);
    const keys = Object.keys(connectionSecret(ctx, c)?.keys ?? {});
    const refs = secretRefs(objects);
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      assert.equal(ref.name, "shop-db-credentials");
      assert.ok(keys.includes(ref.key), ref.key);
    }
  });
}

test("mysql dumps as root with MYSQL_PWD; postgres with PG* env", () => {
  const mysql = render({
    components: [{ name: "db", type: "mysql" }],
    backups: [{ component: "db", schedule: "@daily" }],
  });
  const dump = container(
    find(mysql.objects, "CronJob", "shop-db-backup").spec.jobTemplate.spec.template.spec,
    "dump",
  );
  assert.equal(envOf(dump, "MYSQL_PWD").valueFrom.secretKeyRef.key, "root-password");
  const pg = render({
    components: [{ name: "db", type: "postgres" }],
    backups: [{ component: "db", schedule: "@daily" }],
  });
  const pgDump = container(
    find(pg.objects, "CronJob", "shop-db-backup").spec.jobTemplate.spec.template.spec,
    "dump",
  );
  assert.equal(envOf(pgDump, "PGPASSWORD").valueFrom.secretKeyRef.key, "password");
  assert.equal(envOf(pgDump, "PGUSER").valueFrom.secretKeyRef.key, "username");
});

test("s3 target: dump in an init container, upload with the pinned AWS CLI, credentials from the named Secret", () => {
  const { objects } = render({
    components: [{ name: "db", type: "postgres" }],
    backups: [
      {
        component: "db",
        schedule: "0 2 * * *",
        retention: 3,
        s3: {
          bucket: "backups",
          endpoint: "https://s3.example.com",
          prefix: "/prod/",
          credentialsSecret: "s3-creds",
        },
      },
    ],
  });
  assert.equal(objects.filter((o) => o.kind === "PersistentVolumeClaim").length, 0);
  const pod = find(objects, "CronJob", "shop-db-backup").spec.jobTemplate.spec.template.spec;
  assert.deepEqual(
    pod.initContainers.map((c: Json) => c.name),
    ["dump"],
  );
  const upload = container(pod, "upload");
  assert.equal(upload.image, AWS_CLI_IMAGE);
  assert.match(AWS_CLI_IMAGE, /:[0-9]+\.[0-9]+\.[0-9]+$/);
  assert.deepEqual(upload.envFrom, [{ secretRef: { name: "s3-creds" } }]);
  const script: string = upload.command[2];
  assert.match(
    script,
    /aws s3 cp "\$f" 's3:\/\/backups\/prod\/'"\$\{f##\*\/\}" --region "\$region" --endpoint-url 'https:\/\/s3\.example\.com'/,
  );
  assert.match(script, /--prefix 'prod\/db-'/);
  assert.match(script, /tail -n \+4/);
  // Only the backups themselves are counted, and each goes with its checksum.
  assert.match(script, /Z\[\.\]dump\$'/);
  assert.match(script, /aws s3 rm 's3:\/\/backups\/'"\$old\.sha256"/);
  assert.deepEqual(
    pod.volumes.find((v: Json) => v.name === "backups"),
    { name: "backups", emptyDir: {} },
  );
  // No pruning on the (emptyDir) volume: S3 keeps the history.
  assert.doesNotMatch(container(pod, "dump").command[2], /rm -f/);
  assertRestricted(objects);
});

test("no endpoint-url without an endpoint", () => {
  const { objects } = render({
    components: [{ name: "db", type: "redis" }],
    backups: [
      { component: "db", schedule: "0 2 * * *", s3: { bucket: "b-1", credentialsSecret: "aws" } },
    ],
  });
  const script: string = container(
    find(objects, "CronJob", "shop-db-backup").spec.jobTemplate.spec.template.spec,
    "upload",
  ).command[2];
  assert.doesNotMatch(script, /endpoint-url/);
  assert.match(script, /'s3:\/\/b-1\/'"\$\{f##\*\/\}"/);
});

test("the backup claim is kept (no owner reference) unless deletionPolicy is Delete", () => {
  const spec: Spec = {
    components: [{ name: "db", type: "mysql" }],
    backups: [{ component: "db", schedule: "@daily" }],
  };
  const kept = find(render(spec, "uid-1").objects, "PersistentVolumeClaim", "shop-db-backups");
  assert.equal(kept.metadata.ownerReferences, undefined);
  const owned = find(
    render({ ...spec, deletionPolicy: "Delete" }, "uid-1").objects,
    "PersistentVolumeClaim",
    "shop-db-backups",
  );
  assert.equal(owned.metadata.ownerReferences[0].uid, "uid-1");
  assert.equal(
    find(render(spec, "uid-1").objects, "CronJob", "shop-db-backup").metadata.ownerReferences[0]
      .uid,
    "uid-1",
  );
});

test("unsupported datastore: a notice, no objects", () => {
  const { objects, notices } = render({
    components: [{ name: "bus", type: "kafka" }],
    backups: [{ component: "bus", schedule: "@daily" }],
  });
  assert.deepEqual(objects, []);
  assert.equal(notices.length, 1);
  assert.equal(notices[0]?.reason, "BackupUnsupported");
  assert.equal(notices[0]?.component, "bus");
});

test("backups: deterministic", () => {
  const spec: Spec = {
    components: [
      { name: "db", type: "mysql" },
      { name: "cache", type: "redis" },
    ],
    backups: [
      { component: "db", schedule: "@daily" },
      { component: "cache", schedule: "@hourly", s3: { bucket: "bkt", credentialsSecret: "c" } },
    ],
  };
  assert.equal(JSON.stringify(render(spec, "u")), JSON.stringify(render(spec, "u")));
});

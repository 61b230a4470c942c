import assert from "node:assert/strict";
import { test } from "node:test";
import type { Architecture } from "../../../operator/api/schema.ts";
import { checkSemantics } from "../../../operator/api/semantics.ts";
import { render } from "../../../operator/render/index.ts";
import { assertRestricted, type Json } from "./datastore-helpers.ts";

function arch(spec: Record<string, unknown>): Architecture {
  return {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "prod" },
    spec,
  } as unknown as Architecture;
}

const restored = (
  type: string,
  from: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) =>
  arch({
    components: [
      { name: "db", type },
      { name: "db2", type, restore: { from } },
    ],
    backups: [{ component: "db", schedule: "@daily", ...extra }],
  });

const messages = (a: Architecture) =>
  checkSemantics(a)
    .filter((i) => i.severity === "error")
    .map((i) => `${i.path.join(".")}: ${i.message}`);

test("postgres restore: a Job with the engine's image, the target's credentials, the source's PVC read-only", () => {
  const objects = render(
    restored("postgres", { component: "db", backup: "db-20261203T031500Z.dump" }),
  ).objects;
  const job: Json = objects.find((o) => o.kind === "Job" && o.metadata.name === "shop-db2-restore");
  assert.ok(job);
  const pod = job.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(c.name, "restore");
  assert.match(c.command[2], /pg_restore --host=shop-db2\.prod\.svc/);
  assert.match(c.command[2], /sha256sum -c/);
  assert.deepEqual(
    c.env.find((e: Json) => e.name === "ARCHCTL_BACKUP"),
    { name: "ARCHCTL_BACKUP", value: "db-20261203T031500Z.dump" },
  );
  assert.equal(
    c.env.find((e: Json) => e.name === "PGPASSWORD").valueFrom.secretKeyRef.name,
    "shop-db2-credentials",
  );
  assert.deepEqual(pod.volumes[0], {
    name: "backups",
    persistentVolumeClaim: { claimName: "shop-db-backups", readOnly: true },
  });
  assert.deepEqual(job.spec.podFailurePolicy.rules[0].onExitCodes.values, [3]);
  assertRestricted([job]);
  assert.deepEqual(messages(restored("postgres", { component: "db" })), []);
});

test("redis restore: an init container on the StatefulSet's data volume, before the server", () => {
  const objects = render(restored("redis", { component: "db" })).objects;
  const sts: Json = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === "shop-db2");
  const init = sts.spec.template.spec.initContainers;
  assert.deepEqual(
    init.map((c: Json) => c.name),
    ["restore"],
  );
  assert.ok(init[0].volumeMounts.some((m: Json) => m.name === "data" && m.mountPath === "/data"));
  assert.ok(!objects.some((o) => o.kind === "Job" && o.metadata.name === "shop-db2-restore"));
  // The source keeps no init container.
  const src: Json = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === "shop-db");
  assert.equal(src.spec.template.spec.initContainers, undefined);
});

test("from an S3 source: a download init container picks the backup, the restore reads it from an emptyDir", () => {
  const objects = render(
    restored(
      "mysql",
      { component: "db" },
      { s3: { bucket: "bkt", prefix: "n", credentialsSecret: "aws" } },
    ),
  ).objects;
  const pod: Json = (
    objects.find((o) => o.kind === "Job" && o.metadata.name === "shop-db2-restore") as Json
  ).spec.template.spec;
  assert.deepEqual(
    pod.initContainers.map((c: Json) => c.name),
    ["download"],
  );
  assert.match(pod.initContainers[0].command[2], /aws s3 cp 's3:\/\/bkt\/n\/'"\$want"/);
  assert.deepEqual(pod.volumes[0], { name: "backups", emptyDir: {} });
});

test("from another namespace's S3 backups: the restore's own bucket and this namespace's Secret, refusals that say why", () => {
  const a = arch({
    components: [
      {
        name: "db",
        type: "postgres",
        restore: {
          from: {
            namespace: "elsewhere",
            architecture: "shop",
            component: "orders",
            backup: "orders-20261203T031500Z.dump",
            s3: {
              bucket: "bkt",
              prefix: "/shop/",
              endpoint: "http://s3:9000",
              credentialsSecret: "reader",
            },
          },
        },
      },
    ],
  });
  assert.deepEqual(messages(a), []);
  const job: Json = render(a).objects.find(
    (o) => o.kind === "Job" && o.metadata.name === "shop-db-restore",
  );
  assert.equal(
    job.metadata.annotations["archctl.io/restore-from"],
    "elsewhere/shop/orders/orders-20261203T031500Z.dump",
  );
  const download = job.spec.template.spec.initContainers[0];
  assert.deepEqual(download.envFrom, [{ secretRef: { name: "reader" } }]);
  const script: string = download.command[2];
  assert.match(script, /--bucket 'bkt' --prefix 'shop\/orders-'/);
  assert.match(script, /--endpoint-url 'http:\/\/s3:9000'/);
  assert.match(
    script,
    /restore refused: cannot read s3:\/\/bkt\/shop\/orders-\* with the credentials in Secret 'reader': \$\(tail -n 1 \/tmp\/s3-error\)/,
  );
  assert.match(script, /no backup of 'elsewhere\/shop\/orders' in s3:\/\/bkt\/shop\/orders-\*/);
  // A refusal in the download fails the Job at once, as one in the restore does.
  assert.deepEqual(
    job.spec.podFailurePolicy.rules.map((r: Json) => r.onExitCodes.containerName),
    ["restore", "download"],
  );
  const noS3 = arch({
    components: [
      {
        name: "db",
        type: "postgres",
        restore: { from: { namespace: "elsewhere", architecture: "shop", component: "orders" } },
      },
    ],
  });
  assert.match(
    messages(noS3).join("\n"),
    /components\.0\.restore\.from\.namespace: backups on a PVC cannot be read from another namespace \(a pod mounts only claims of its own\), so 'elsewhere' is read only from S3/,
  );
  const fix = checkSemantics(noS3).find((i) => i.severity === "error")?.hint ?? "";
  assert.match(fix, /add restore\.from\.s3/);
});

test("validate: other engines, unknown sources, foreign names, kafka/rabbitmq/milvus are refused with the reason", () => {
  const bad = arch({
    components: [
      { name: "db", type: "postgres" },
      { name: "cache", type: "redis" },
      { name: "a", type: "mysql", restore: { from: { component: "db" } } },
      {
        name: "b",
        type: "postgres",
        restore: { from: { component: "db", backup: "db-20261203T031500Z.rdb" } },
      },
      { name: "c", type: "postgres", restore: { from: { component: "nope" } } },
      { name: "d", type: "redis", restore: { from: { component: "cache" } } },
      { name: "q", type: "rabbitmq", restore: { from: { component: "db" } } },
      {
        name: "e",
        type: "postgres",
        restore: { from: { architecture: "other", namespace: "elsewhere", component: "db" } },
      },
    ],
    backups: [
      { component: "db", schedule: "@daily" },
      { component: "q", schedule: "@daily" },
    ],
  });
  const m = messages(bad).join("\n");
  assert.match(m, /components\.2\.restore\.from\.component: 'db' is a postgres; 'a' is a mysql/);
  assert.match(
    m,
    /components\.3\.restore\.from\.backup: backup 'db-20261203T031500Z\.rdb' is not a postgres backup \(those end in \.dump\)/,
  );
  assert.match(m, /components\.4\.restore\.from\.component: 'nope' is not a component/);
  assert.match(m, /components\.5\.restore\.from\.component: 'cache' has no backups/);
  assert.match(
    m,
    /components\.6\.restore: 'q' is a rabbitmq, which cannot be restored: RabbitMQ holds messages in flight/,
  );
  assert.match(
    m,
    /backups\.1\.component: 'q' is a rabbitmq; backups cover .*: RabbitMQ holds messages in flight/,
  );
  assert.match(
    m,
    /components\.7\.restore\.from\.namespace: backups on a PVC cannot be read from another namespace/,
  );
});

test("restore drill: a CronJob whose pod runs the datastore's own server as a sidecar on an ephemeral volume, no Service", () => {
  const a = arch({
    components: [{ name: "db", type: "mysql" }],
    backups: [{ component: "db", schedule: "@daily", verify: { schedule: "0 5 * * 0" } }],
  });
  const objects = render(a).objects;
  const cron: Json = objects.find(
    (o) => o.kind === "CronJob" && o.metadata.name === "shop-db-drill",
  );
  assert.ok(cron);
  assert.equal(cron.spec.schedule, "0 5 * * 0");
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const server = pod.initContainers.find((c: Json) => c.name === "server");
  assert.equal(server.restartPolicy, "Always");
  assert.equal(
    server.env.find((e: Json) => e.name === "MYSQL_ROOT_PASSWORD").valueFrom.secretKeyRef.name,
    "shop-db-credentials",
  );
  assert.deepEqual(
    pod.volumes.find((v: Json) => v.name === "data"),
    { name: "data", emptyDir: {} },
  );
  const drill = pod.containers[0];
  assert.match(
    drill.env.find((e: Json) => e.name === "RESTORE_SCRIPT").value,
    /mysql --host=127\.0\.0\.1/,
  );
  assert.match(drill.env.find((e: Json) => e.name === "CHECK_SCRIPT").value, /archctl-drill/);
  assert.ok(!objects.some((o) => o.kind === "Service" && o.metadata.name.includes("drill")));
  assertRestricted([cron]);
  assert.deepEqual(messages(a), []);
  const s3 = arch({
    components: [{ name: "db", type: "mysql" }],
    backups: [
      {
        component: "db",
        schedule: "@daily",
        verify: { schedule: "61 * * * *" },
        s3: { bucket: "bkt", credentialsSecret: "a" },
      },
    ],
  });
  assert.match(messages(s3).join("\n"), /verify\.schedule: invalid cron schedule '61 \* \* \* \*'/);
  assert.doesNotMatch(messages(s3).join("\n"), /S3/);
  // An S3 target is drilled too: the latest backup downloaded first, by a restore's download container.
  const inS3 = arch({
    components: [{ name: "db", type: "mysql" }],
    backups: [
      {
        component: "db",
        schedule: "@daily",
        verify: { schedule: "0 5 * * 0" },
        s3: { bucket: "bkt", prefix: "shop", credentialsSecret: "s3-creds" },
      },
    ],
  });
  assert.deepEqual(messages(inS3), []);
  const s3Cron: Json = render(inS3).objects.find(
    (o) => o.kind === "CronJob" && o.metadata.name === "shop-db-drill",
  );
  const s3Pod = s3Cron.spec.jobTemplate.spec.template.spec;
  assert.deepEqual(
    s3Pod.initContainers.map((c: Json) => c.name),
    ["download", "server"],
  );
  const download = s3Pod.initContainers[0];
  assert.deepEqual(download.envFrom, [{ secretRef: { name: "s3-creds" } }]);
  assert.match(download.command[2], /list-objects-v2 --bucket 'bkt' --prefix 'shop\/db-'/);
  assert.deepEqual(
    s3Pod.volumes.find((v: Json) => v.name === "backups"),
    { name: "backups", emptyDir: {} },
  );
  assertRestricted([s3Cron]);
});

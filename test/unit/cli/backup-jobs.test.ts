import assert from "node:assert/strict";
import { test } from "node:test";
import {
  humanSize,
  isoTime,
  jobFromCronJob,
  jobState,
  listJob,
  parseListing,
  parseRecord,
  targetOf,
  terminationMessage,
} from "../../../cli/backup-jobs.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { render } from "../../../operator/render/index.ts";

// biome-ignore lint/suspicious/noExplicitAny: rendered JSON
type Json = any;

function cronOf(backup: Record<string, unknown>): Json {
  const arch = {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "prod" },
    spec: {
      components: [{ name: "db", type: "postgres" }],
      backups: [{ component: "db", schedule: "@daily", ...backup }],
    },
  } as unknown as Architecture;
  const cron: Json = render(arch).objects.find((o) => o.kind === "CronJob");
  cron.metadata.uid = "u-1";
  return cron;
}

test("backup run's Job is the CronJob's template, owned by it, marked manual", () => {
  const cron = cronOf({});
  const job: Json = jobFromCronJob(cron, "abc");
  assert.equal(job.metadata.name, "shop-db-backup-manual-abc");
  assert.equal(job.metadata.namespace, "prod");
  assert.deepEqual(job.spec, cron.spec.jobTemplate.spec);
  assert.equal(job.metadata.ownerReferences[0].uid, "u-1");
  assert.equal(job.metadata.labels["archctl.io/trigger"], "manual");
  assert.equal(job.metadata.labels["archctl.io/role"], "backup");
});

test("backup list's Job mounts the PVC read-only with the datastore's image and no credentials", () => {
  const cron = cronOf({});
  const job: Json = listJob(cron, "echo list", "x");
  const pod = job.spec.template.spec;
  assert.equal(pod.initContainers, undefined);
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0];
  assert.deepEqual(c.command, ["sh", "-c", "echo list"]);
  assert.equal(c.image, cron.spec.jobTemplate.spec.template.spec.containers[0].image);
  assert.equal(c.env, undefined);
  assert.deepEqual(c.volumeMounts[0], { name: "backups", mountPath: "/backups", readOnly: true });
  assert.equal(pod.volumes[0].persistentVolumeClaim.claimName, "shop-db-backups");
  assert.equal(job.spec.backoffLimit, 0);
  assert.equal(targetOf(cron), "PVC shop-db-backups");
});

test("on S3 the listing runs in the AWS CLI container with its credentials and no backup volume", () => {
  const cron = cronOf({ s3: { bucket: "bkt", prefix: "p", credentialsSecret: "aws" } });
  const pod = (listJob(cron, "echo list", "x") as Json).spec.template.spec;
  assert.equal(pod.containers[0].image.startsWith("amazon/aws-cli:"), true);
  assert.deepEqual(pod.containers[0].envFrom, [{ secretRef: { name: "aws" } }]);
  assert.deepEqual(
    pod.volumes.map((v: Json) => v.name),
    ["list-tmp"],
  );
  assert.equal(targetOf(cron), "s3://bkt/p/");
});

test("records and listings parse; anything else is no record", () => {
  assert.deepEqual(
    parseRecord(
      '{"file":"db-20261203T031500Z.dump","time":"20261203T031500Z","size":19575,"sha256":"ab"}\n',
    ),
    {
      file: "db-20261203T031500Z.dump",
      time: "20261203T031500Z",
      size: 19575,
      sha256: "ab",
    },
  );
  assert.equal(parseRecord("not json"), undefined);
  assert.equal(parseRecord(undefined), undefined);
  assert.deepEqual(
    parseListing("db-20200101T000000Z.sql 10 -\ngarbage\ndb-20260101T000000Z.sql 2048 cd\n").map(
      (e) => [e.file, e.size, e.sha256],
    ),
    [
      ["db-20260101T000000Z.sql", 2048, "cd"],
      ["db-20200101T000000Z.sql", 10, "-"],
    ],
  );
  assert.equal(humanSize(19575), "19.1 KiB");
  assert.equal(humanSize(12), "12 B");
  assert.equal(isoTime("20261203T031500Z"), "2026-12-03T03:15:00Z");
});

test("a Job's state from its conditions; the termination message from its pod", () => {
  assert.deepEqual(jobState({ status: {} }), { kind: "running" });
  assert.deepEqual(jobState({ status: { conditions: [{ type: "Complete", status: "True" }] } }), {
    kind: "succeeded",
  });
  assert.deepEqual(
    jobState({
      status: {
        conditions: [
          {
            type: "Failed",
            status: "True",
            reason: "BackoffLimitExceeded",
            message: "Job has reached the specified backoff limit",
          },
        ],
      },
    }),
    {
      kind: "failed",
      reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
    },
  );
  assert.equal(
    terminationMessage({
      status: { containerStatuses: [{ state: { terminated: { message: "m" } } }] },
    }),
    "m",
  );
  assert.equal(
    terminationMessage({ status: { containerStatuses: [{ state: { running: {} } }] } }),
    undefined,
  );
});

test("restore --from parses [[NS/]ARCH/]COMPONENT[@BACKUP]; anything else is a user error", async () => {
  const { parseFrom } = await import("../../../cli/commands/restore.ts");
  assert.deepEqual(parseFrom("orders-db"), { component: "orders-db" });
  assert.deepEqual(parseFrom("shop/orders-db@orders-db-20261203T031500Z.dump"), {
    architecture: "shop",
    component: "orders-db",
    backup: "orders-db-20261203T031500Z.dump",
  });
  assert.deepEqual(parseFrom("prod/shop/orders-db"), {
    namespace: "prod",
    architecture: "shop",
    component: "orders-db",
  });
  assert.throws(
    () => parseFrom("Shop/x"),
    /must be \[\[NAMESPACE\/\]ARCHITECTURE\/\]COMPONENT\[@BACKUP\]/,
  );
  assert.throws(() => parseFrom("a/b/c/d"), /must be/);
  assert.throws(() => parseFrom("a/b@x@y"), /must be/);
});

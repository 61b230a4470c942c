// Backups end to end on the kwok cluster: `archctl backup run`, `backup list`,
// `restore` and a restore drill, the CLI run as a user runs it (a subprocess
// with --kubeconfig), the operator in this process, and the real Job and
// CronJob controllers, scheduler and garbage collector of the cluster.
//
// What is real here: the Jobs the CLI creates from the CronJob (ownerReferences
// and all), the Job controller making their pods and marking them Complete,
// the CronJob controller starting the drill on its schedule, the CLI following
// each Job to its end, the operator's Restoring phase with the datastore's
// users held back until the restore Job completes, BackupVerified from the
// drill pod, and garbage collection of it all when the Architecture goes; and
// a restore from another namespace's S3 backups (download + restore pod).
// What is a stand-in: kwok runs no containers, so the termination message a
// backup, listing or drill script writes is written by a kwok Stage
// (test/cluster/stages.ts, STAND_IN_*) when it finishes the pod. The scripts
// themselves run on real servers in the dataplane tier (test/dataplane).
import { CHECKOUT_ID } from "../support/checkout-id.ts";

process.env.ARCHCTL_TEST_CLUSTER_NAME ||= `archctl-test-backup-${CHECKOUT_ID}`;

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { REPO_ROOT } from "../cluster/binaries.ts";
import {
  RESTORE_STAND_IN_MS,
  STAND_IN_ARCHITECTURE,
  STAND_IN_BACKUP,
  STAND_IN_DRILL,
  STAND_IN_OLDER,
} from "../cluster/stages.ts";
import type { TestCluster } from "../support/cluster.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");
const { installCrd, startOperator } = await import("../support/operator.ts");

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON
type Json = any;

let cluster: TestCluster;
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

const MAIN = join(REPO_ROOT, "cli/main.ts");
const ARCH = STAND_IN_ARCHITECTURE;

async function archctl(ns: string, args: string[]) {
  const started = Date.now();
  const r = await execa(
    process.execPath,
    [MAIN, "--kubeconfig", cluster.kubeconfig, "-n", ns, ...args],
    { reject: false, env: { NO_COLOR: "1", ARCHCTL_DEBUG: "" }, timeout: 300_000, stdin: "ignore" },
  );
  // A figure for the README, not an assertion.
  console.log(`# archctl ${args.join(" ")}: exit ${r.exitCode} in ${Date.now() - started} ms`);
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function get(kind: string, ns: string, name?: string): Promise<Json> {
  const r = await cluster.kubectl(["get", kind, ...(name ? [name] : []), "-n", ns, "-o", "json"]);
  return JSON.parse(r.stdout);
}

const architecture = (ns: string, withCopy: boolean) => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: ARCH, namespace: ns },
  spec: {
    components: [
      { name: "db", type: "postgres" },
      { name: "api", type: "service", image: "example.com/ledger-api:1", uses: ["db"] },
      ...(withCopy
        ? [
            { name: "db-copy", type: "postgres" },
            { name: "report", type: "service", image: "example.com/report:1", uses: ["db-copy"] },
          ]
        : []),
    ],
    // The drill every minute, so the CronJob controller starts one during the test.
    backups: [
      { component: "db", schedule: "0 3 * * *", retention: 3, verify: { schedule: "* * * * *" } },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
  },
});

function blueprintFile(ns: string, withCopy: boolean): string {
  const file = join(mkdtempSync(join(tmpdir(), "archctl-backup-e2e-")), `${ARCH}.yaml`);
  writeFileSync(file, JSON.stringify(architecture(ns, withCopy), null, 2));
  return file;
}

const condition = (a: Json, type: string) =>
  (a.status?.conditions ?? []).find((c: Json) => c.type === type);

test("backup run, backup list, a drill and a restore, with the cluster's own controllers", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "backup-e2e" });
  const op = await startOperator(t, cluster, ns);
  const applied = await archctl(ns, [
    ...["apply", "-f", blueprintFile(ns, false), "--wait", "--timeout", "4m"],
  ]);
  assert.equal(applied.code, 0, `${applied.stdout}\n${applied.stderr}`);

  // --- backup run: a Job from the CronJob, followed to the end by the CLI.
  const run = await archctl(ns, ["backup", "run", ARCH, "db", "--timeout", "3m"]);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.equal(
    run.stdout,
    [
      `backup of db written to PVC ${ARCH}-db-backups: ${STAND_IN_BACKUP.file}`,
      `  time 2026-12-01T03:00:00Z  size 47.1 KiB (${STAND_IN_BACKUP.size} bytes)  sha256 ${STAND_IN_BACKUP.sha256}`,
    ].join("\n"),
  );
  const created = /job\.batch\/(\S+) created/.exec(run.stderr)?.[1];
  assert.ok(created, run.stderr);
  assert.match(run.stderr, new RegExp(`${created} succeeded: pod ${created}-\\S+ Succeeded`));
  const cron = await get("cronjob", ns, `${ARCH}-db-backup`);
  const job = await get("job", ns, created);
  // The owner is the CronJob (so the Job goes with it), and the Job controller, not the test, finished it.
  assert.deepEqual(
    job.metadata.ownerReferences.map((o: Json) => [o.kind, o.name, o.uid]),
    [["CronJob", cron.metadata.name, cron.metadata.uid]],
  );
  assert.equal(condition(job, "Complete")?.status, "True");
  assert.equal(job.status.succeeded, 1);
  const pods = (
    await cluster.kubectl(["get", "pods", "-n", ns, "-l", `job-name=${created}`, "-o", "json"])
  ).stdout;
  const pod = JSON.parse(pods).items[0];
  assert.ok(pod.spec.nodeName, "the scheduler placed the backup pod");
  assert.equal(
    pod.spec.volumes.find((v: Json) => v.name === "backups")?.persistentVolumeClaim?.claimName,
    `${ARCH}-db-backups`,
  );

  // --- backup list: a short-lived listing Job, newest first.
  const listed = await archctl(ns, ["backup", "list", ARCH, "--timeout", "3m"]);
  assert.equal(listed.code, 0, `${listed.stdout}\n${listed.stderr}`);
  const lines = listed.stdout.trim().split("\n");
  assert.match(lines[0] ?? "", /^COMPONENT\s+BACKUP\s+TIME\s+SIZE\s+SHA256\s+WHERE$/);
  assert.match(
    lines[1] ?? "",
    new RegExp(
      `^db\\s+${STAND_IN_BACKUP.file.replace(".", "\\.")}\\s+2026-12-01T03:00:00Z\\s+47\\.1 KiB\\s+${STAND_IN_BACKUP.sha256.slice(0, 12)}\\s+PVC ${ARCH}-db-backups$`,
    ),
  );
  assert.match(lines[2] ?? "", new RegExp(`^db\\s+${STAND_IN_OLDER.file.replace(".", "\\.")}\\s`));
  assert.equal(lines.length, 3);
  const json = await archctl(ns, ["backup", "list", ARCH, "db", "-o", "json"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(
    JSON.parse(json.stdout).map((b: Json) => [b.file, b.size]),
    [
      [STAND_IN_BACKUP.file, STAND_IN_BACKUP.size],
      [STAND_IN_OLDER.file, STAND_IN_OLDER.size],
    ],
  );
  const listJob = (await get("jobs", ns)).items.find((j: Json) =>
    j.metadata.name.startsWith(`${ARCH}-db-backup-list-`),
  );
  assert.ok(listJob, "the listing Job");
  assert.deepEqual(listJob.spec.template.spec.containers[0].volumeMounts[0], {
    name: "backups",
    mountPath: "/backups",
    readOnly: true,
  });

  // --- the drill: started by the CronJob controller on its schedule (every minute).
  const verified = await cluster.eventually(
    "BackupVerified True from a drill the CronJob controller started",
    async () => {
      const a = await get("architecture", ns, ARCH);
      return condition(a, "BackupVerified")?.status === "True" ? a : undefined;
    },
    150_000,
  );
  assert.equal(
    condition(verified, "BackupVerified").message,
    `db: verified backup ${STAND_IN_DRILL.backup} taken 2026-12-01T03:00:00Z: restored and opened (${STAND_IN_DRILL.tables} tables, ${STAND_IN_DRILL.rows} rows)`,
  );
  const drillJobs = (await get("jobs", ns)).items.filter((j: Json) =>
    j.metadata.name.startsWith(`${ARCH}-db-drill-`),
  );
  assert.ok(drillJobs.length >= 1);
  assert.equal(drillJobs[0].metadata.ownerReferences[0].kind, "CronJob");
  assert.doesNotMatch(drillJobs[0].metadata.name, /manual/, "scheduled, not created by hand");
  assert.match(
    await op.metrics.registry.metrics(),
    new RegExp(
      `archctl_backup_verified\\{namespace="${ns}",architecture="${ARCH}",component="db"\\} 1`,
    ),
  );
  const status = await archctl(ns, ["status", ARCH]);
  assert.match(status.stdout, /BackupVerified\s+True/);

  // --- restore: refused into db, which holds data; accepted into a new component.
  const refused = await archctl(ns, ["restore", ARCH, "db", "--from", "db"]);
  assert.equal(refused.code, 6, refused.stderr);
  assert.match(refused.stderr, /db already has a data volume \(data-ledger-db-0\)/);
  // The operator makes a new datastore's volume within milliseconds of its
  // apply, after which `restore` refuses it; so the copy is added while this
  // namespace's operator is paused (as `restore: {from}` in the blueprint would).
  await op.stop();
  const added = await archctl(ns, ["apply", "-f", blueprintFile(ns, true)]);
  assert.equal(added.code, 0, added.stderr);
  const restore = await archctl(ns, [
    ...["restore", ARCH, "db-copy", "--from", `db@${STAND_IN_BACKUP.file}`],
  ]);
  assert.equal(restore.code, 0, restore.stderr);
  assert.equal(
    restore.stdout,
    `${ARCH}/db-copy will be restored from ${ARCH}/db@${STAND_IN_BACKUP.file}`,
  );
  await startOperator(t, cluster, ns);
  const restoring = await cluster.eventually(
    "phase Restoring",
    async () => {
      const a = await get("architecture", ns, ARCH);
      return a.status?.phase === "Restoring" ? a : undefined;
    },
    RESTORE_STAND_IN_MS * 15,
  );
  assert.match(condition(restoring, "Restoring").message, /^db-copy: restoring from /);
  assert.equal(
    restoring.status.components.find((c: Json) => c.name === "report")?.message,
    "held back until db-copy is restored",
  );
  const restoreJob = await cluster.eventually("the restore Job completes", async () => {
    const j = await get("job", ns, `${ARCH}-db-copy-restore`);
    return condition(j, "Complete")?.status === "True" ? j : undefined;
  });
  const deployment = await cluster.eventually("the report Deployment", async () => {
    const r = await cluster.kubectl(
      ["get", "deployment", `${ARCH}-report`, "-n", ns, "-o", "json"],
      { reject: false },
    );
    return r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
  });
  // Held back: made only once the Job controller had counted the restore done.
  assert.ok(
    Date.parse(deployment.metadata.creationTimestamp) >=
      Date.parse(restoreJob.status.completionTime),
    `${deployment.metadata.creationTimestamp} >= ${restoreJob.status.completionTime}`,
  );
  const done = await cluster.eventually(
    "phase Ready after the restore",
    async () => {
      const a = await get("architecture", ns, ARCH);
      return a.status?.phase === "Ready" ? a : undefined;
    },
    180_000,
  );
  assert.equal(condition(done, "Restoring"), undefined);

  // --- the garbage collector: the Architecture's Jobs and pods go with it.
  const deleted = await archctl(ns, ["delete", ARCH, "--wait", "--timeout", "3m"]);
  assert.equal(deleted.code, 0, `${deleted.stdout}\n${deleted.stderr}`);
  await cluster.eventually(
    "no Jobs or Job pods left",
    async () => {
      const jobs = (await get("jobs", ns)).items;
      const jobPods = (await get("pods", ns)).items.filter(
        (p: Json) => p.metadata.labels?.["job-name"],
      );
      return jobs.length === 0 && jobPods.length === 0;
    },
    120_000,
  );
});

test("restore from another namespace's S3 backups: the CLI fills in the bucket, the Job controller runs the download and restore pod", async (t) => {
  const src = await cluster.namespace(t, { prefix: "backup-e2e-src" });
  const ns = await cluster.namespace(t, { prefix: "backup-e2e-dst" });
  const s3 = { bucket: "ledger-backups", prefix: "prod", credentialsSecret: "aws" };
  await cluster.apply(src, [
    {
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      metadata: { name: "books", namespace: src },
      spec: {
        components: [{ name: "db", type: "postgres" }],
        backups: [{ component: "db", schedule: "0 3 * * *", s3 }],
      },
    },
  ]);
  await cluster.apply(ns, [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "backup-reader", namespace: ns },
      stringData: { AWS_ACCESS_KEY_ID: "reader", AWS_SECRET_ACCESS_KEY: "not-a-real-key" },
    },
  ]);
  // Stored before any operator runs here, so db-copy has no volume yet (see above).
  const applied = await archctl(ns, ["apply", "-f", blueprintFile(ns, true)]);
  assert.equal(applied.code, 0, applied.stderr);
  const restore = await archctl(ns, [
    ...["restore", ARCH, "db-copy", "--from", `${src}/books/db`],
    ...["--credentials-secret", "backup-reader"],
  ]);
  assert.equal(restore.code, 0, restore.stderr);
  assert.equal(
    restore.stdout,
    `${ARCH}/db-copy will be restored from ${src}/books/db@latest (s3://ledger-backups, read with Secret backup-reader)`,
  );
  await startOperator(t, cluster, ns);
  const restoring = await cluster.eventually("phase Restoring", async () => {
    const a = await get("architecture", ns, ARCH);
    return a.status?.phase === "Restoring" ? a : undefined;
  });
  assert.match(
    condition(restoring, "Restoring").message,
    new RegExp(`^db-copy: restoring from ${src}/books/db@latest`),
  );
  const job = await cluster.eventually("the restore Job completes", async () => {
    const j = await get("job", ns, `${ARCH}-db-copy-restore`);
    return condition(j, "Complete")?.status === "True" ? j : undefined;
  });
  const pod = job.spec.template.spec;
  assert.deepEqual(
    pod.initContainers.map((c: Json) => [c.name, c.envFrom]),
    [["download", [{ secretRef: { name: "backup-reader" } }]]],
  );
  const pods = (await get("pods", ns)).items.filter(
    (p: Json) => p.metadata.labels?.["job-name"] === job.metadata.name,
  );
  assert.equal(pods[0]?.status.phase, "Succeeded");
  await cluster.eventually(
    "phase Ready after the restore",
    async () => (await get("architecture", ns, ARCH)).status?.phase === "Ready",
    180_000,
  );
});

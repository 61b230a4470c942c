// archctl backup run / backup list against a real kube-apiserver: the Jobs they
// create, how they follow them and what they print. The apiserver tier runs
// no controllers and no kubelet, so the test plays both: when a Job appears it
// creates its pod, marks it Succeeded with the termination message a backup
// (or listing) container writes, and counts the Job succeeded. What the
// containers do is the dataplane tier's (test/dataplane).
import assert from "node:assert/strict";
import { before, type TestContext, test } from "node:test";
import type { Architecture } from "../../operator/api/schema.ts";
import { render } from "../../operator/render/index.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { installCrd } from "../support/operator.ts";
import { archctl } from "../unit/cli/helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON
type Json = any;

let cluster: TestCluster;
before(
  async () => {
    cluster = await getCluster("apiserver");
    await installCrd(cluster);
  },
  { timeout: 40 * 60_000 },
);

async function setUp(t: TestContext): Promise<string> {
  const ns = await cluster.namespace(t, { prefix: "backup" });
  const arch = {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: ns },
    spec: {
      components: [{ name: "db", type: "postgres" }],
      backups: [{ component: "db", schedule: "0 3 * * *", retention: 3 }],
    },
  } as unknown as Architecture;
  const cron = render(arch).objects.find((o) => o.kind === "CronJob");
  assert.ok(cron);
  await cluster.apply(ns, [arch, cron]);
  return ns;
}

/** Plays Job controller and kubelet for the next Job whose name contains `marker`. */
async function completeJob(ns: string, marker: string, message: string): Promise<Json> {
  const job: Json = await cluster.eventually(`a ${marker} Job`, async () => {
    const r = await cluster.kubectl(["get", "jobs", "-n", ns, "-o", "json"]);
    return (JSON.parse(r.stdout).items as Json[]).find((j) => j.metadata.name.includes(marker));
  });
  const name = job.metadata.name as string;
  const container = job.spec.template.spec.containers[0].name;
  await cluster.apply(ns, [
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${name}-p`, namespace: ns, labels: { "job-name": name } },
      spec: job.spec.template.spec,
    },
  ]);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await cluster.kubectl([
    "patch",
    "pod",
    `${name}-p`,
    "-n",
    ns,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({
      status: {
        phase: "Succeeded",
        containerStatuses: [
          {
            name: container,
            image: job.spec.template.spec.containers[0].image,
            imageID: "",
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode: 0,
                reason: "Completed",
                message,
                startedAt: now,
                finishedAt: now,
              },
            },
          },
        ],
      },
    }),
  ]);
  await cluster.kubectl([
    "patch",
    "job",
    name,
    "-n",
    ns,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: { startTime: now, succeeded: 1 } }),
  ]);
  return job;
}

test("backup run: a Job from the CronJob, followed to its end, then where, size and checksum", async (t) => {
  const ns = await setUp(t);
  const run = archctl([
    "--kubeconfig",
    cluster.kubeconfig,
    "-n",
    ns,
    "backup",
    "run",
    "shop",
    "db",
    "--timeout",
    "3m",
  ]);
  const record =
    '{"file":"db-20261203T031500Z.dump","time":"20261203T031500Z","size":19575,"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}';
  const job = await completeJob(ns, "-backup-manual-", `${record}\n`);
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(job.metadata.ownerReferences[0].kind, "CronJob");
  assert.equal(job.metadata.labels["archctl.io/trigger"], "manual");
  assert.match(
    r.stdout,
    /^backup of db written to PVC shop-db-backups: db-20261203T031500Z\.dump$/m,
  );
  assert.match(
    r.stdout,
    /time 2026-12-03T03:15:00Z {2}size 19\.1 KiB \(19575 bytes\) {2}sha256 9f86d081/,
  );
  assert.match(r.stderr, /job\.batch\/shop-db-backup-manual-\S+ created/);
});

test("backup list: a listing Job on the PVC, read-only, and its list newest first", async (t) => {
  const ns = await setUp(t);
  const run = archctl([
    "--kubeconfig",
    cluster.kubeconfig,
    "-n",
    ns,
    "backup",
    "list",
    "shop",
    "--timeout",
    "3m",
  ]);
  const job = await completeJob(
    ns,
    "-backup-list-",
    "db-20261201T031500Z.dump 1024 aa\ndb-20261203T031500Z.dump 19575 9f86d081884c7d65\n",
  );
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  const pod = job.spec.template.spec;
  assert.deepEqual(pod.containers[0].volumeMounts[0], {
    name: "backups",
    mountPath: "/backups",
    readOnly: true,
  });
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0] ?? "", /^COMPONENT\s+BACKUP\s+TIME\s+SIZE\s+SHA256\s+WHERE$/);
  assert.match(
    lines[1] ?? "",
    /^db\s+db-20261203T031500Z\.dump\s+2026-12-03T03:15:00Z\s+19\.1 KiB\s+9f86d081884c\s+PVC shop-db-backups$/,
  );
  assert.match(lines[2] ?? "", /^db\s+db-20261201T031500Z\.dump/);
});

test("backup run of a component without backups: exit 5 and how to add one", async (t) => {
  const ns = await setUp(t);
  const r = await archctl([
    "--kubeconfig",
    cluster.kubeconfig,
    "-n",
    ns,
    "backup",
    "run",
    "shop",
    "cache",
  ]);
  assert.equal(r.code, 5);
  assert.match(r.stderr, /shop has no backup of component 'cache': add one under spec\.backups/);
  assert.equal(r.stdout, "");
});

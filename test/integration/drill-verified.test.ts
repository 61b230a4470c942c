// Restore drill results with the real operator on a real kube-apiserver: a
// drill pod (made and finished by the test, as the CronJob and Job
// controllers and the kubelet would) is read from the operator's pod cache
// into the condition BackupVerified, with the backup's time, and the
// archctl_backup_verified metrics; a later failed drill turns it False.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, test } from "node:test";
import { ARCHITECTURE_LABEL, COMPONENT_LABEL } from "../../operator/api/names.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { clientFor, converged, installCrd, startOperator } from "../support/operator.ts";

let cluster: TestCluster;
before(
  async () => {
    cluster = await getCluster("apiserver");
    await installCrd(cluster);
  },
  { timeout: 40 * 60_000 },
);

const shop = (ns: string): Architecture => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "shop", namespace: ns },
  spec: {
    components: [{ name: "db", type: "postgres" }],
    backups: [{ component: "db", schedule: "@daily", verify: { schedule: "0 5 * * 0" } }],
    monitoring: { serviceMonitors: false, dashboard: false },
  },
});

/** A finished drill pod of Job `job`, its drill container ended with `exitCode` and `message`. */
async function finishedDrill(ns: string, job: string, exitCode: number, message: string) {
  const name = `${job}-p`;
  await cluster.apply(ns, [
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: ns,
        labels: { [ARCHITECTURE_LABEL]: "shop", [COMPONENT_LABEL]: "db", "job-name": job },
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job, uid: randomUUID() }],
      },
      spec: { restartPolicy: "Never", containers: [{ name: "drill", image: "postgres:17" }] },
    },
  ]);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await cluster.kubectl([
    ...["patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p"],
    JSON.stringify({
      status: {
        phase: exitCode === 0 ? "Succeeded" : "Failed",
        containerStatuses: [
          {
            name: "drill",
            image: "postgres:17",
            imageID: "",
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode,
                reason: exitCode === 0 ? "Completed" : "Error",
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
}

test("a drill's result becomes BackupVerified (with the backup's time) and a metric", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "drill-verified" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await client.apply(shop(ns) as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
  const first = await converged(cluster, client, ns, "shop");
  const none = first.status?.conditions?.find((c) => c.type === "BackupVerified");
  assert.equal(none?.status, "Unknown");
  assert.equal(none?.message, "db: no drill has run yet (schedule '0 5 * * 0')");

  await finishedDrill(
    ns,
    "shop-db-drill-29000000",
    0,
    '{"backup":"db-20261203T031500Z.dump","tables":2,"rows":666}\n',
  );
  const verified = await cluster.eventually("BackupVerified True", async () => {
    const a = await converged(cluster, client, ns, "shop");
    const c = a.status?.conditions?.find((x) => x.type === "BackupVerified");
    return c?.status === "True" ? c : undefined;
  });
  assert.equal(verified.reason, "DrillSucceeded");
  assert.equal(
    verified.message,
    "db: verified backup db-20261203T031500Z.dump taken 2026-12-03T03:15:00Z: restored and opened (2 tables, 666 rows)",
  );
  const text = await op.metrics.registry.metrics();
  assert.match(
    text,
    new RegExp(
      `archctl_backup_verified\\{namespace="${ns}",architecture="shop",component="db"\\} 1`,
    ),
  );
  assert.match(
    text,
    new RegExp(
      `archctl_backup_verified_timestamp_seconds\\{namespace="${ns}",architecture="shop",component="db"\\} ${Date.parse("2026-12-03T03:15:00Z") / 1000}`,
    ),
  );

  await finishedDrill(ns, "shop-db-drill-29000100", 3, "restore refused: corrupt");
  const failed = await cluster.eventually("BackupVerified False", async () => {
    const a = await converged(cluster, client, ns, "shop");
    const c = a.status?.conditions?.find((x) => x.type === "BackupVerified");
    return c?.status === "False" ? c : undefined;
  });
  assert.equal(failed.reason, "DrillFailed");
  assert.match(
    failed.message,
    /^db: drill failed \(exit code 3, Error: restore refused: corrupt\)/,
  );
  assert.match(
    await op.metrics.registry.metrics(),
    new RegExp(
      `archctl_backup_verified\\{namespace="${ns}",architecture="shop",component="db"\\} 0`,
    ),
  );
});

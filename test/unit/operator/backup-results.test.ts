// Backup results from the cached backup pods: the newest finished run of each
// backed-up datastore becomes the BackupSucceeded condition, so a backup that
// cannot reach its target says so in status as well as in the alert.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { backupCondition, latestBackup } from "../../../operator/status/backup-results.ts";
import type { ContainerStatusView, PodView } from "../../../operator/status/causes.ts";
import { rollupStatus } from "../../../operator/status/rollup.ts";

const arch = applyDefaults({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "shop", namespace: "ns" },
  spec: {
    components: [
      { name: "db", type: "postgres" },
      { name: "cache", type: "redis" },
    ],
    backups: [
      { component: "db", schedule: "@daily" },
      { component: "cache", schedule: "0 */6 * * *" },
    ],
  },
} as unknown as Architecture);

const RECORD =
  '{"file":"db-20261203T031500Z.dump","time":"20261203T031500Z","size":19575,"sha256":"ab12"}\n';

function pod(
  job: string,
  created: string,
  phase: string | undefined,
  statuses: { init?: ContainerStatusView[]; main?: ContainerStatusView[] },
): PodView {
  return {
    metadata: {
      name: `${job}-x`,
      creationTimestamp: created,
      ownerReferences: [{ kind: "Job", name: job }],
    },
    status: {
      ...(phase ? { phase } : {}),
      ...(statuses.init ? { initContainerStatuses: statuses.init } : {}),
      ...(statuses.main ? { containerStatuses: statuses.main } : {}),
    },
  };
}
const ended = (name: string, exitCode: number, message?: string, reason?: string) => ({
  name,
  state: {
    terminated: { exitCode, ...(message ? { message } : {}), ...(reason ? { reason } : {}) },
  },
});

test("the newest finished run counts, with the file and size it recorded; listing Jobs, running pods and other components' do not", () => {
  const pods = [
    pod("shop-db-backup-100", "2026-12-02T03:00:00Z", "Failed", { main: [ended("dump", 1)] }),
    pod("shop-db-backup-200", "2026-12-03T03:15:00Z", "Succeeded", {
      main: [ended("dump", 0, RECORD)],
    }),
    pod("shop-db-backup-list-abc", "2026-12-03T09:00:00Z", "Failed", {
      main: [ended("list", 1)],
    }),
    pod("shop-db-backup-300", "2026-12-04T03:00:00Z", "Running", {}),
    pod("shop-db-drill-400", "2026-12-05T03:00:00Z", "Failed", { main: [ended("drill", 1)] }),
  ];
  const run = latestBackup("shop", "db", pods);
  assert.equal(run?.ok, true);
  assert.equal(
    run?.message,
    "last backup db-20261203T031500Z.dump (19575 bytes, 20261203T031500Z) succeeded",
  );
  assert.equal(latestBackup("shop", "cache", pods), undefined);
});

test("an S3 upload that cannot reach its target: False, naming the container, its message and the log to read", () => {
  const pods = [
    pod("shop-db-backup-manual-k2", "2026-12-03T10:00:00Z", "Failed", {
      init: [ended("dump", 0, RECORD)],
      main: [ended("upload", 255, "Could not connect to the endpoint URL; check it", "Error")],
    }),
  ];
  const c = backupCondition(arch, (component) => (component === "db" ? pods : []), undefined);
  assert.equal(c?.type, "BackupSucceeded");
  assert.equal(c?.status, "False");
  assert.equal(c?.reason, "BackupFailed");
  assert.equal(
    c?.message,
    "db: backup failed (container 'upload' exit code 255, Error: Could not connect to the endpoint URL, check it), kubectl logs job/shop-db-backup-manual-k2 -c upload says why; cache: no backup has run yet (schedule '0 */6 * * *')",
  );
});

test("Unknown until every backup has run; True when all succeeded; a clause outlives its pods", () => {
  const ok = (c: string) => [
    pod(`shop-${c}-backup-1`, "2026-12-03T03:00:00Z", "Succeeded", {
      main: [ended("dump", 0, RECORD.replace("db-", `${c}-`))],
    }),
  ];
  const some = backupCondition(arch, (c) => (c === "db" ? ok(c) : []), undefined);
  assert.equal(some?.status, "Unknown");
  assert.equal(some?.reason, "NoBackupYet");
  const all = backupCondition(arch, ok, undefined);
  assert.equal(all?.status, "True");
  // The Jobs' history is gone: the previous message still tells what happened.
  const later = backupCondition(arch, () => [], all);
  assert.deepEqual(later, all);
  const none = applyDefaults({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "x", namespace: "ns" },
    spec: { components: [{ name: "db", type: "postgres" }] },
  } as unknown as Architecture);
  assert.equal(
    backupCondition(none, () => [], undefined),
    undefined,
  );
});

test("the roll-up carries BackupSucceeded beside the other conditions", () => {
  const failed = [
    pod("shop-cache-backup-9", "2026-12-03T06:00:00Z", "Failed", { main: [ended("dump", 1)] }),
  ];
  const status = rollupStatus({
    arch,
    generation: 1,
    child: () => undefined,
    notices: [],
    blocked: [],
    failures: [],
    now: new Date("2026-12-03T07:00:00Z"),
    pods: (c) => (c === "cache" ? failed : []),
  });
  const c = status.conditions?.find((x) => x.type === "BackupSucceeded");
  assert.equal(c?.status, "False");
  assert.match(c?.message ?? "", /cache: backup failed \(container 'dump' exit code 1\)/);
});

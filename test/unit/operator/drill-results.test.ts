// Restore drill results from the cached drill pods: the newest finished drill
// of each datastore becomes the BackupVerified condition (with the backup's
// time) and the archctl_backup_verified metrics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { OperatorMetrics } from "../../../operator/runtime/metrics.ts";
import type { PodView } from "../../../operator/status/causes.ts";
import { backupTime, drillCondition, latestDrill } from "../../../operator/status/drill-results.ts";
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
      { component: "db", schedule: "@daily", verify: { schedule: "0 5 * * 0" } },
      { component: "cache", schedule: "@daily", verify: { schedule: "0 6 * * 0" } },
    ],
  },
} as unknown as Architecture);

function pod(
  job: string,
  created: string,
  terminated?: { exitCode: number; message?: string; reason?: string },
  phase?: string,
): PodView {
  return {
    metadata: {
      name: `${job}-x`,
      creationTimestamp: created,
      ownerReferences: [{ kind: "Job", name: job }],
    },
    status: {
      ...(phase ? { phase } : {}),
      containerStatuses: [{ name: "drill", ...(terminated ? { state: { terminated } } : {}) }],
    },
  };
}
const OK = '{"backup":"db-20261203T031500Z.dump","tables":2,"rows":666}\n';

test("the backup's time comes from its name", () => {
  assert.equal(backupTime("db-20261203T031500Z.dump"), "2026-12-03T03:15:00Z");
  assert.equal(backupTime("cache-20261130T235959Z.rdb"), "2026-11-30T23:59:59Z");
  assert.equal(backupTime("notes.txt"), undefined);
});

test("the newest finished drill counts; running ones and other components' pods do not", () => {
  const pods = [
    pod("shop-db-drill-100", "2026-12-01T05:00:00Z", { exitCode: 1, reason: "Error" }),
    pod("shop-db-drill-200", "2026-12-03T05:00:00Z", { exitCode: 0, message: OK }),
    pod("shop-db-drill-300", "2026-12-04T05:00:00Z"), // still running
    pod("shop-db-backup-400", "2026-12-05T05:00:00Z", { exitCode: 1 }),
  ];
  const r = latestDrill("shop", "db", pods);
  assert.equal(r?.ok, true);
  assert.equal(r?.backup, "db-20261203T031500Z.dump");
  assert.equal(r?.backupTime, "2026-12-03T03:15:00Z");
  assert.deepEqual(r?.counts, { tables: 2, rows: 666 });
  assert.equal(
    r?.message,
    "verified backup db-20261203T031500Z.dump taken 2026-12-03T03:15:00Z: restored and opened (2 tables, 666 rows)",
  );
  assert.equal(latestDrill("shop", "db", pods.slice(2)), undefined);
});

test("a failed drill says how and where to read why; a pod failed before the check too", () => {
  const failed = latestDrill("shop", "db", [
    pod("shop-db-drill-1", "2026-12-03T05:00:00Z", {
      exitCode: 3,
      reason: "Error",
      message: "restore refused: x; y",
    }),
  ]);
  assert.equal(failed?.ok, false);
  assert.equal(
    failed?.message,
    "drill failed (exit code 3, Error: restore refused: x, y), kubectl logs job/shop-db-drill-1 -c drill says why",
  );
  const deadline = latestDrill("shop", "db", [
    pod("shop-db-drill-2", "2026-12-03T05:00:00Z", undefined, "Failed"),
  ]);
  assert.match(deadline?.message ?? "", /^drill failed \(the pod failed before the check ended\)/);
  const silent = latestDrill("shop", "db", [
    pod("shop-db-drill-3", "2026-12-03T05:00:00Z", { exitCode: 0, message: "" }),
  ]);
  assert.equal(silent?.ok, false);
});

test("BackupVerified: Unknown until every drilled datastore has run, True when all pass, False when one fails", () => {
  const none = drillCondition(arch, () => [], undefined);
  assert.equal(none?.status, "Unknown");
  assert.equal(none?.reason, "NoDrillYet");
  const dbOnly = (c: string) =>
    c === "db"
      ? [pod("shop-db-drill-1", "2026-12-03T05:00:00Z", { exitCode: 0, message: OK })]
      : [];
  const half = drillCondition(arch, dbOnly, undefined);
  assert.equal(half?.status, "Unknown");
  assert.match(
    half?.message ?? "",
    /^db: verified backup .*; cache: no drill has run yet \(schedule '0 6 \* \* 0'\)$/,
  );
  const cacheOk = '{"backup":"cache-20261203T031500Z.rdb","keys":1004}';
  const all = (c: string) =>
    c === "db"
      ? dbOnly(c)
      : [pod("shop-cache-drill-1", "2026-12-03T06:00:00Z", { exitCode: 0, message: cacheOk })];
  const ok = drillCondition(arch, all, undefined);
  assert.equal(ok?.status, "True");
  assert.equal(ok?.reason, "DrillSucceeded");
  const broken = (c: string) =>
    c === "db" ? [pod("shop-db-drill-2", "2026-12-10T05:00:00Z", { exitCode: 1 })] : all(c);
  const bad = drillCondition(arch, broken, ok);
  assert.equal(bad?.status, "False");
  assert.equal(bad?.reason, "DrillFailed");
  // The drill pods are gone (Job history, TTL): the previous result stays.
  const kept = drillCondition(arch, () => [], ok);
  assert.equal(kept?.status, "True");
  assert.equal(kept?.message, ok?.message);
});

test("no drills, no condition; the roll-up carries it", () => {
  const plain = applyDefaults({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "ns" },
    spec: { components: [{ name: "db", type: "postgres" }] },
  } as unknown as Architecture);
  assert.equal(
    drillCondition(plain, () => [], undefined),
    undefined,
  );
  const s = rollupStatus({
    arch,
    generation: 1,
    child: () => undefined,
    notices: [],
    blocked: [],
    failures: [],
    now: new Date("2026-12-03T07:00:00Z"),
    pods: (c) =>
      c === "db"
        ? [pod("shop-db-drill-1", "2026-12-03T05:00:00Z", { exitCode: 0, message: OK })]
        : [],
  });
  const c = s.conditions?.find((x) => x.type === "BackupVerified");
  assert.equal(c?.status, "Unknown");
  assert.match(c?.message ?? "", /taken 2026-12-03T03:15:00Z/);
});

test("metrics: 1 or 0 per drilled datastore, and the verified backup's time", async () => {
  const m = new OperatorMetrics(false);
  const ok = latestDrill("shop", "db", [
    pod("shop-db-drill-1", "2026-12-03T05:00:00Z", { exitCode: 0, message: OK }),
  ]);
  const failed = latestDrill("shop", "cache", [
    pod("shop-cache-drill-1", "2026-12-03T05:00:00Z", { exitCode: 1 }),
  ]);
  assert.ok(ok && failed);
  m.drills = () => [
    { namespace: "ns", architecture: "shop", result: ok },
    { namespace: "ns", architecture: "shop", result: failed },
  ];
  const text = await m.registry.metrics();
  assert.match(
    text,
    /archctl_backup_verified\{namespace="ns",architecture="shop",component="db"\} 1/,
  );
  assert.match(
    text,
    /archctl_backup_verified\{namespace="ns",architecture="shop",component="cache"\} 0/,
  );
  assert.match(
    text,
    /archctl_backup_verified_timestamp_seconds\{namespace="ns",architecture="shop",component="db"\} 1796267700\n/,
  );
  assert.doesNotMatch(text, /archctl_backup_verified_timestamp_seconds\{[^}]*component="cache"/);
});

// The alert rules, read by Prometheus's own tool. Every reference blueprint's
// PrometheusRule passes `promtool check rules`, and `promtool test rules`
// evaluates the rendered expressions over series shaped like those of
// kube-state-metrics, the kubelet, KEDA, the ingress controller and the
// operator: each alert fires when it should, with the labels its
// annotations name, and stays silent when it should not. The rules are taken
// from the render, never copied here; only the input series are the test's.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { stringify } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { render } from "../../operator/render/index.ts";
import { ALL_CAPABILITIES } from "../../operator/render/types.ts";
import { ensurePromtool } from "../cluster/binaries.ts";
import { alertsShop } from "../support/alerts-shop.ts";

interface Rule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}

const ROOT = join(import.meta.dirname, "../..");
let promtool: string;
let dir: string;
before(async () => {
  promtool = await ensurePromtool();
  dir = mkdtempSync(join(tmpdir(), "archctl-alerts-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function groupsOf(arch: Architecture): Group[] {
  const rule = render(arch, ALL_CAPABILITIES).objects.find((o) => o.kind === "PrometheusRule") as
    | { spec: { groups: Group[] } }
    | undefined;
  return rule?.spec.groups ?? [];
}

async function promtoolRun(args: string[]) {
  return execa(promtool, args, { cwd: dir, reject: false, all: true, timeout: 60_000 });
}

test("every reference blueprint's alert rules pass promtool check rules", async () => {
  let checked = 0;
  for (const file of readdirSync(join(ROOT, "blueprints")).filter((f) => f.endsWith(".yaml"))) {
    const path = join(ROOT, "blueprints", file);
    const text = readFileSync(path, "utf8");
    for (const env of [undefined, ...loadBlueprint(text, { file: path }).environments]) {
      const loaded = loadBlueprint(text, { file: path, ...(env ? { env } : {}) });
      assert.ok(loaded.architecture, `${file} ${env ?? ""}`);
      const groups = groupsOf(loaded.architecture);
      if (!groups.length) continue;
      const out = join(dir, `${file}.${env ?? "base"}.rules.yaml`);
      writeFileSync(out, stringify({ groups }));
      const res = await promtoolRun(["check", "rules", out]);
      assert.equal(res.exitCode, 0, `${file} ${env ?? ""}:\n${res.all}`);
      checked += groups[0]?.rules.length ?? 0;
    }
  }
  assert.ok(checked > 20, `only ${checked} rules checked`);
});

const shop = alertsShop;

/** What Prometheus would make of `{{ $labels.x }}` in an annotation. */
function expand(text: string, labels: Record<string, string>): string {
  return text.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, k: string) => labels[k] ?? "");
}

/** An expected alert: the rule's labels plus the series', annotations expanded. */
function fired(rule: Rule, labels: Record<string, string>) {
  const all = { ...labels, ...rule.labels };
  return {
    exp_labels: all,
    exp_annotations: Object.fromEntries(
      Object.entries(rule.annotations).map(([k, v]) => [k, expand(v, all)]),
    ),
  };
}

interface Case {
  alert: string;
  at: string;
  /** Series labels of each alert expected at `at`; [] = silent. */
  expect: Record<string, string>[];
}

async function promtoolTest(
  groups: Group[],
  series: { series: string; values: string }[],
  cases: Case[],
) {
  const rulesFile = join(dir, "shop.rules.yaml");
  writeFileSync(rulesFile, stringify({ groups }));
  const rule = (name: string) => {
    const r = groups[0]?.rules.find((x) => x.alert === name);
    assert.ok(r, `the render has no ${name} alert`);
    return r;
  };
  const testFile = join(dir, "shop.test.yaml");
  writeFileSync(
    testFile,
    stringify({
      rule_files: [rulesFile],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: series,
          alert_rule_test: cases.map((c) => ({
            eval_time: c.at,
            alertname: c.alert,
            exp_alerts: c.expect.map((labels) => fired(rule(c.alert), labels)),
          })),
        },
      ],
    }),
  );
  const res = await promtoolRun(["test", "rules", testFile]);
  assert.equal(res.exitCode, 0, res.all);
}

test("backup alerts: a failure after the last success fires, one before it does not; too old; a failed drill", async () => {
  const ns = { namespace: "ns" };
  await promtoolTest(
    groupsOf(shop()),
    [
      // A backup run that failed at t=1000 s, then a successful one at 2000 s:
      // the failed Job is kept for its logs, and must not keep the alert firing.
      {
        series: 'kube_job_status_start_time{namespace="ns", job_name="shop-db-backup-100"}',
        values: "1000x800",
      },
      {
        series: 'kube_job_failed{namespace="ns", job_name="shop-db-backup-100", condition="true"}',
        values: "1x800",
      },
      {
        series:
          'kube_cronjob_status_last_successful_time{namespace="ns", cronjob="shop-db-backup"}',
        values: "2000x800",
      },
      // A drill run by hand after the drill CronJob's last success, and failed.
      {
        series: 'kube_job_status_start_time{namespace="ns", job_name="shop-db-drill-manual-x1"}',
        values: "3000x800",
      },
      {
        series:
          'kube_job_failed{namespace="ns", job_name="shop-db-drill-manual-x1", condition="true"}',
        values: "1x800",
      },
      {
        series: 'kube_cronjob_status_last_successful_time{namespace="ns", cronjob="shop-db-drill"}',
        values: "2500x800",
      },
      // Another Architecture's failed backup is not this one's alert.
      {
        series: 'kube_job_status_start_time{namespace="ns", job_name="other-db-backup-1"}',
        values: "1000x800",
      },
      {
        series: 'kube_job_failed{namespace="ns", job_name="other-db-backup-1", condition="true"}',
        values: "1x800",
      },
      {
        series:
          'archctl_backup_verified{namespace="ns", architecture="shop", component="db", job="archctl"}',
        values: "1 1 0x800",
      },
    ],
    [
      {
        alert: "BackupJobFailed",
        at: "5m",
        expect: [{ ...ns, cronjob: "shop-db-drill", job_name: "shop-db-drill-manual-x1" }],
      },
      // Every 6 h: too old after 12 h without a success (the last at 2000 s).
      { alert: "BackupTooOld", at: "10h", expect: [] },
      { alert: "BackupTooOld", at: "13h", expect: [{ ...ns, cronjob: "shop-db-backup" }] },
      {
        alert: "BackupDrillFailed",
        at: "5m",
        expect: [{ ...ns, architecture: "shop", component: "db", job: "archctl" }],
      },
    ],
  );
});

test("a backup Job that failed while its CronJob never succeeded fires", async () => {
  await promtoolTest(
    groupsOf(shop()),
    [
      {
        series: 'kube_job_status_start_time{namespace="ns", job_name="shop-db-backup-7"}',
        values: "60x10",
      },
      {
        series: 'kube_job_failed{namespace="ns", job_name="shop-db-backup-7", condition="true"}',
        values: "1x10",
      },
    ],
    [
      {
        alert: "BackupJobFailed",
        at: "5m",
        expect: [{ namespace: "ns", cronjob: "shop-db-backup", job_name: "shop-db-backup-7" }],
      },
    ],
  );
});

test("datastore down, volume filling, queue backlog at max replicas, ingress 5xx", async () => {
  await promtoolTest(
    groupsOf(shop()),
    [
      {
        series: 'kube_statefulset_status_replicas_ready{namespace="ns", statefulset="shop-db"}',
        values: "1 1 0x20",
      },
      {
        series: 'kube_statefulset_status_replicas_ready{namespace="ns", statefulset="shop-queue"}',
        values: "1x22",
      },
      {
        series:
          'kubelet_volume_stats_used_bytes{namespace="ns", persistentvolumeclaim="data-shop-db-0"}',
        values: "90x20",
      },
      {
        series:
          'kubelet_volume_stats_capacity_bytes{namespace="ns", persistentvolumeclaim="data-shop-db-0"}',
        values: "100x20",
      },
      {
        series:
          'kubelet_volume_stats_used_bytes{namespace="ns", persistentvolumeclaim="data-shop-queue-0"}',
        values: "50x20",
      },
      {
        series:
          'kubelet_volume_stats_capacity_bytes{namespace="ns", persistentvolumeclaim="data-shop-queue-0"}',
        values: "100x20",
      },
      {
        series: 'keda_scaler_metrics_value{namespace="ns", scaledObject="shop-worker"}',
        values: "400x20",
      },
      {
        series:
          'kube_horizontalpodautoscaler_status_current_replicas{namespace="ns", horizontalpodautoscaler="keda-hpa-shop-worker"}',
        values: "8x20",
      },
      {
        series:
          'nginx_ingress_controller_requests{namespace="ns", host="shop.example.com", status="500"}',
        values: "0+10x20",
      },
      {
        series:
          'nginx_ingress_controller_requests{namespace="ns", host="shop.example.com", status="200"}',
        values: "0+90x20",
      },
      // Another host's errors are not the shop's.
      {
        series:
          'nginx_ingress_controller_requests{namespace="ns", host="other.example.com", status="500"}',
        values: "0+1000x20",
      },
    ],
    [
      { alert: "DatastoreDown", at: "3m", expect: [] },
      {
        alert: "DatastoreDown",
        at: "5m",
        expect: [{ namespace: "ns", statefulset: "shop-db" }],
      },
      {
        alert: "VolumeFilling",
        at: "10m",
        expect: [{ namespace: "ns", persistentvolumeclaim: "data-shop-db-0" }],
      },
      { alert: "QueueBacklogAtMaxReplicas", at: "5m", expect: [] },
      { alert: "QueueBacklogAtMaxReplicas", at: "15m", expect: [{}] },
      { alert: "IngressErrors", at: "15m", expect: [{}] },
    ],
  );
});

test("ingress 5xx through Envoy Gateway: the HTTPRoutes' upstream clusters", async () => {
  const groups = groupsOf(
    shop({
      ingress: {
        hosts: [{ host: "shop.example.com", routes: [{ path: "/", component: "api" }] }],
        provider: "gateway",
        gateway: { name: "edge", namespace: "infra" },
      },
    }),
  );
  await promtoolTest(
    groups,
    [
      {
        series:
          'envoy_cluster_upstream_rq_xx{envoy_cluster_name="httproute/ns/shop-api/rule/0", envoy_response_code_class="5"}',
        values: "0+20x20",
      },
      {
        series:
          'envoy_cluster_upstream_rq_xx{envoy_cluster_name="httproute/ns/shop-api/rule/0", envoy_response_code_class="2"}',
        values: "0+80x20",
      },
    ],
    [{ alert: "IngressErrors", at: "15m", expect: [{}] }],
  );
});

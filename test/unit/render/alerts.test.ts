// The PrometheusRule: one per Architecture with the ServiceMonitors, each
// alert built from the blueprint (backup schedules, datastores and their
// volumes, queue targets and max replicas, the ingress provider).
import assert from "node:assert/strict";
import { test } from "node:test";
import { cronPeriodSeconds } from "../../../operator/api/cron-period.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { render } from "../../../operator/render/index.ts";
import { capabilitiesFromApiVersions } from "../../../operator/render/optional-kinds.ts";
import { ALL_CAPABILITIES, noCapabilities } from "../../../operator/render/types.ts";
import { alertsShop } from "../../support/alerts-shop.ts";

type Rule = { alert: string; expr: string; for?: string; labels: Record<string, string> };

const shop = alertsShop;

function rules(arch: Architecture, capabilities = ALL_CAPABILITIES): Rule[] | undefined {
  const rule = render(arch, capabilities).objects.find((o) => o.kind === "PrometheusRule") as
    | { metadata: { name: string }; spec: { groups: { rules: Rule[] }[] } }
    | undefined;
  return rule?.spec.groups[0]?.rules;
}
const find = (rs: Rule[] | undefined, alert: string) => rs?.find((r) => r.alert === alert);

test("cron periods: the longest gap the schedule allows", () => {
  assert.equal(cronPeriodSeconds("@daily"), 86_400);
  assert.equal(cronPeriodSeconds("@hourly"), 3600);
  assert.equal(cronPeriodSeconds("30 2 * * *"), 86_400);
  assert.equal(cronPeriodSeconds("0 */6 * * *"), 6 * 3600);
  assert.equal(cronPeriodSeconds("0 1,13 * * *"), 12 * 3600);
  assert.equal(cronPeriodSeconds("0 2,4 * * *"), 22 * 3600);
  assert.equal(cronPeriodSeconds("*/15 * * * *"), 900);
  assert.equal(cronPeriodSeconds("0 5 * * 0"), 7 * 86_400);
  assert.equal(cronPeriodSeconds("0 5 1 * *"), 31 * 86_400);
  assert.equal(cronPeriodSeconds("* * * * *"), 60);
});

test("one PrometheusRule named <arch>-alerts, every alert labelled with the Architecture", () => {
  const objects = render(shop(), ALL_CAPABILITIES).objects.filter(
    (o) => o.kind === "PrometheusRule",
  );
  assert.equal(objects.length, 1);
  assert.equal(objects[0]?.metadata.name, "shop-alerts");
  assert.equal(objects[0]?.apiVersion, "monitoring.coreos.com/v1");
  const rs = rules(shop()) ?? [];
  assert.deepEqual(
    rs.map((r) => r.alert),
    [
      "BackupTooOld",
      "BackupJobFailed",
      "BackupDrillFailed",
      "DatastoreDown",
      "VolumeFilling",
      "QueueBacklogAtMaxReplicas",
      "IngressErrors",
    ],
  );
  for (const r of rs) assert.equal(r.labels.architecture, "shop");
});

test("backups: older than twice the schedule; failed backup and drill Jobs; a failed drill", () => {
  const rs = rules(shop());
  assert.equal(
    find(rs, "BackupTooOld")?.expr,
    'time() - kube_cronjob_status_last_successful_time{namespace="ns", cronjob="shop-db-backup"} > 43200',
  );
  assert.match(
    find(rs, "BackupJobFailed")?.expr ?? "",
    /job_name=~"\(shop-db\)-\(backup\|drill\)-\.\+"/,
  );
  assert.equal(
    find(rs, "BackupDrillFailed")?.expr,
    'archctl_backup_verified{namespace="ns", architecture="shop"} == 0',
  );
  const undrilled = rules(shop({ backups: [{ component: "db", schedule: "@daily" }] }));
  assert.equal(find(undrilled, "BackupDrillFailed"), undefined);
  assert.match(find(undrilled, "BackupTooOld")?.expr ?? "", /> 172800$/);
  const none = rules(shop({ backups: [] }));
  assert.equal(find(none, "BackupTooOld"), undefined);
  assert.equal(find(none, "BackupJobFailed"), undefined);
});

test("datastores down and volumes over 80%: the StatefulSets and claims of this Architecture", () => {
  const rs = rules(shop());
  assert.equal(
    find(rs, "DatastoreDown")?.expr,
    'kube_statefulset_status_replicas_ready{namespace="ns", statefulset=~"shop-db|shop-queue"} == 0',
  );
  const volume = find(rs, "VolumeFilling");
  assert.match(
    volume?.expr ?? "",
    /persistentvolumeclaim=~"data-\(shop-db\|shop-queue\)\(-\[a-z0-9-\]\+\)\?-\[0-9\]\+\|shop-db-backups"/,
  );
  assert.match(volume?.expr ?? "", /> 0\.8$/);
});

test("a queue backlog above its target per replica at max replicas, for 10 minutes", () => {
  const q = find(rules(shop()), "QueueBacklogAtMaxReplicas");
  assert.equal(q?.for, "10m");
  assert.match(
    q?.expr ?? "",
    /keda_scaler_metrics_value\{namespace="ns", scaledObject="shop-worker"\}/,
  );
  assert.match(q?.expr ?? "", /> 20\) and on\(\)/);
  assert.match(q?.expr ?? "", />= 8\)$/);
  assert.equal(find(rules(shop({ autoscaling: [] })), "QueueBacklogAtMaxReplicas"), undefined);
});

test("ingress 5xx ratio: nginx's requests by host, or Envoy Gateway's upstream clusters", () => {
  const nginx = find(rules(shop()), "IngressErrors")?.expr ?? "";
  assert.match(
    nginx,
    /nginx_ingress_controller_requests\{host=~"shop\\\\.example\\\\.com", status=~"5\.\."\}/,
  );
  assert.match(nginx, /> 0\.05$/);
  const gateway = shop();
  (gateway.spec.ingress as Record<string, unknown>).provider = "gateway";
  const envoy = find(rules(gateway), "IngressErrors")?.expr ?? "";
  assert.match(
    envoy,
    /envoy_cluster_upstream_rq_xx\{envoy_cluster_name=~"httproute\/ns\/shop\(-\.\+\)\?\/rule\/\.\+", envoy_response_code_class="5"\}/,
  );
  assert.equal(find(rules(shop({ ingress: undefined })), "IngressErrors"), undefined);
});

test("rendered like the ServiceMonitors: not without the Prometheus Operator, nor when switched off", () => {
  assert.equal(rules(shop(), noCapabilities()), undefined);
  assert.equal(rules(shop({ monitoring: { serviceMonitors: false } })), undefined);
  const { capabilities, problems } = capabilitiesFromApiVersions([
    "monitoring.coreos.com/v1/PrometheusRule",
  ]);
  assert.deepEqual(problems, []);
  assert.equal(capabilities.serviceMonitors, true);
  assert.ok(rules(shop(), capabilities));
});

test("the dashboard shows the last backup's age, and the last verified one's", () => {
  const cm = render(shop(), ALL_CAPABILITIES).objects.find(
    (o) => o.kind === "ConfigMap" && o.metadata.name === "shop-dashboard",
  ) as unknown as { data: Record<string, string> };
  const model = JSON.parse(cm.data["shop.json"] ?? "{}") as {
    panels: { title: string; unit?: string; targets: { expr: string; legendFormat: string }[] }[];
  };
  const panel = model.panels.find((p) => p.title === "backups: age of the last successful backup");
  assert.deepEqual(
    panel?.targets.map((t) => [t.legendFormat, t.expr]),
    [
      [
        "db: last backup",
        'time() - kube_cronjob_status_last_successful_time{namespace="ns", cronjob="shop-db-backup"}',
      ],
      [
        "db: last verified backup",
        'time() - archctl_backup_verified_timestamp_seconds{namespace="ns", architecture="shop", component="db"}',
      ],
    ],
  );
});

// Alerts: one Prometheus Operator PrometheusRule per Architecture, made with
// its ServiceMonitors (same switch, same capability), on what kube-state-metrics,
// the kubelet, KEDA, the ingress controller and the operator already export:
// a backup older than twice its schedule, a failed backup or drill Job, a
// failed drill, a datastore down, a volume over 80% full, a queue backlog
// above its target at max replicas for 10 minutes, and an ingress 5xx ratio
// above 5%. Pure.
import { cronPeriodSeconds } from "../api/cron-period.ts";
import type { ResolvedArchitecture } from "../api/defaults.ts";
import { childName } from "../api/names.ts";
import { isDatastoreType } from "../api/schema.ts";
import type { KubeObject } from "../kube/types.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { DATA_VOLUME } from "./datastores/statefulset.ts";
import { childMeta } from "./meta.ts";

/** Share of ingress responses that are 5xx above which IngressErrors fires. */
export const INGRESS_5XX_RATIO = 0.05;
/** Share of a volume in use above which VolumeFilling fires. */
export const VOLUME_FULL_RATIO = 0.8;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: "warning" | "critical"; architecture?: string };
  annotations: { summary: string; description: string };
}

/** Regex escaping for a PromQL label matcher (inside a double-quoted string). */
const quoteRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&");
const alternatives = (names: readonly string[]) => names.map(quoteRegex).join("|");

function backupRules(arch: ResolvedArchitecture): Rule[] {
  const ns = `namespace="${arch.namespace}"`;
  const rules: Rule[] = arch.backups.map((b) => {
    const cron = childName(arch.name, b.component, "backup");
    const limit = 2 * cronPeriodSeconds(b.schedule);
    return {
      alert: "BackupTooOld",
      expr: `time() - kube_cronjob_status_last_successful_time{${ns}, cronjob="${cron}"} > ${limit}`,
      labels: { severity: "critical" },
      annotations: {
        summary: `${arch.name}/${b.component}: no successful backup for more than twice its schedule`,
        description: `The last successful run of CronJob ${cron} ('${b.schedule}') is older than ${limit} s. archctl backup list ${arch.name} ${b.component} shows what exists; kubectl get jobs -n ${arch.namespace} shows the failed runs.`,
      },
    };
  });
  if (!arch.backups.length) return rules;
  const jobs = alternatives(arch.backups.map((b) => childName(arch.name, b.component)));
  // A failed Job is kept for its logs (failedJobsHistoryLimit), so "failed" alone
  // would fire until it is deleted: only a failure newer than its CronJob's last
  // success counts (or any failure of a CronJob that never succeeded). The
  // CronJob's name is the Job's without the last part (<cronjob>-<time> from the
  // CronJob controller, <cronjob>-manual-<id> from archctl backup run).
  const failedStart = `max by (namespace, cronjob, job_name) (label_replace(kube_job_status_start_time{${ns}, job_name=~"(${jobs})-(backup|drill)-.+"} and on (namespace, job_name) (kube_job_failed{${ns}, condition="true"} == 1), "cronjob", "$1", "job_name", "(.+-(?:backup|drill))-.+"))`;
  const lastSuccess = `max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${ns}})`;
  rules.push({
    alert: "BackupJobFailed",
    expr: `(${failedStart} > on (namespace, cronjob) group_left () ${lastSuccess}) or (${failedStart} unless on (namespace, cronjob) ${lastSuccess})`,
    labels: { severity: "critical" },
    annotations: {
      summary: `${arch.name}: a backup or restore drill Job failed`,
      description:
        "Job {{ $labels.job_name }} failed (an unreachable target, a full volume, a refused restore): kubectl logs job/{{ $labels.job_name }} says why.",
    },
  });
  if (arch.backups.some((b) => b.verify))
    rules.push({
      alert: "BackupDrillFailed",
      expr: `archctl_backup_verified{${ns}, architecture="${arch.name}"} == 0`,
      labels: { severity: "critical" },
      annotations: {
        summary: `${arch.name}/{{ $labels.component }}: the latest restore drill failed`,
        description: `The newest backup could not be restored and opened; the Architecture's condition BackupVerified says how.`,
      },
    });
  return rules;
}

function datastoreRules(arch: ResolvedArchitecture): Rule[] {
  const stores = arch.components.filter((c) => isDatastoreType(c.type)).map((c) => c.name);
  if (!stores.length) return [];
  const ns = `namespace="${arch.namespace}"`;
  const sets = alternatives(stores.map((c) => childName(arch.name, c)));
  const backedUp = arch.backups.map((b) => childName(arch.name, b.component, "backups"));
  // Claims of the datastores' StatefulSets (data-<set>-<ordinal>) and the backup volumes.
  const claims = [`${DATA_VOLUME}-(${sets})(-[a-z0-9-]+)?-[0-9]+`, ...backedUp.map(quoteRegex)];
  const claimSel = `${ns}, persistentvolumeclaim=~"${claims.join("|")}"`;
  return [
    {
      alert: "DatastoreDown",
      expr: `kube_statefulset_status_replicas_ready{${ns}, statefulset=~"${sets}"} == 0`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: `${arch.name}: datastore {{ $labels.statefulset }} has no ready replica`,
        description: `archctl status ${arch.name} -n ${arch.namespace} says why (pods, claims, restores).`,
      },
    },
    {
      alert: "VolumeFilling",
      expr: `kubelet_volume_stats_used_bytes{${claimSel}} / kubelet_volume_stats_capacity_bytes{${claimSel}} > ${VOLUME_FULL_RATIO}`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: `${arch.name}: volume {{ $labels.persistentvolumeclaim }} is over ${VOLUME_FULL_RATIO * 100}% full`,
        description:
          "Grow the component's storage in the blueprint, or lower the backup retention for a backup volume.",
      },
    },
  ];
}

function queueRules(arch: ResolvedArchitecture): Rule[] {
  const ns = `namespace="${arch.namespace}"`;
  return arch.autoscaling.flatMap((a) => {
    if (!a.queue) return [];
    const scaled = childName(arch.name, a.component);
    const hpa = `${ns}, horizontalpodautoscaler=~"(keda-hpa-)?${quoteRegex(scaled)}"`;
    const current = `max(kube_horizontalpodautoscaler_status_current_replicas{${hpa}})`;
    return [
      {
        alert: "QueueBacklogAtMaxReplicas",
        // The backlog per replica above the target while no more replicas may be added.
        expr: `(max(keda_scaler_metrics_value{${ns}, scaledObject="${scaled}"}) / clamp_min(${current}, 1) > ${a.queue.targetLength}) and on() (${current} >= ${a.maxReplicas})`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: `${arch.name}/${a.component}: '${a.queue.name}' backlog above ${a.queue.targetLength} per replica at ${a.maxReplicas} replicas`,
          description: `The queue grows faster than ${a.maxReplicas} replicas drain it: raise maxReplicas, or make the consumers faster.`,
        },
      },
    ];
  });
}

function ingressRules(arch: ResolvedArchitecture): Rule[] {
  const ingress = arch.ingress;
  if (!ingress?.hosts.length) return [];
  const ratio = (errors: string, all: string) =>
    `sum(rate(${errors}[5m])) / sum(rate(${all}[5m])) > ${INGRESS_5XX_RATIO}`;
  let expr: string;
  if (ingress.provider === "gateway") {
    // Envoy Gateway names an HTTPRoute's upstream cluster httproute/<ns>/<route>/rule/<n>.
    const clusters = `envoy_cluster_name=~"httproute/${quoteRegex(arch.namespace)}/${quoteRegex(arch.name)}(-.+)?/rule/.+"`;
    expr = ratio(
      `envoy_cluster_upstream_rq_xx{${clusters}, envoy_response_code_class="5"}`,
      `envoy_cluster_upstream_rq_xx{${clusters}}`,
    );
  } else {
    const hosts = `host=~"${alternatives(ingress.hosts.map((h) => h.host))}"`;
    expr = ratio(
      `nginx_ingress_controller_requests{${hosts}, status=~"5.."}`,
      `nginx_ingress_controller_requests{${hosts}}`,
    );
  }
  return [
    {
      alert: "IngressErrors",
      expr,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: `${arch.name}: more than ${INGRESS_5XX_RATIO * 100}% of ingress responses are 5xx`,
        description: `archctl status ${arch.name} -n ${arch.namespace} shows which component is not ready; the ingress controller's access log which upstream answered 5xx.`,
      },
    },
  ];
}

/** The Architecture's alert rules, in a stable order; empty when there is nothing to watch. */
export function alertRules(arch: ResolvedArchitecture): Rule[] {
  return [
    ...backupRules(arch),
    ...datastoreRules(arch),
    ...queueRules(arch),
    ...ingressRules(arch),
  ];
}

function prometheusRule(ctx: RenderContext, rules: Rule[]): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: childMeta(ctx, "alerts", undefined, { release: ctx.arch.monitoring.release }),
    spec: {
      groups: [
        {
          name: `archctl.${ctx.arch.namespace}.${ctx.arch.name}`,
          // Which Architecture fired, whatever the expression's own labels.
          rules: rules.map((r) => ({ ...r, labels: { ...r.labels, architecture: ctx.arch.name } })),
        },
      ],
    },
  };
}

/** With the ServiceMonitors: the same switch, and absent (said once, by them) without the CRDs. */
export const renderAlerts: ConcernRenderer = (ctx) => {
  if (!ctx.arch.monitoring.serviceMonitors || !ctx.capabilities.serviceMonitors)
    return { objects: [] };
  const rules = alertRules(ctx.arch);
  return { objects: rules.length ? [prometheusRule(ctx, rules)] : [] };
};

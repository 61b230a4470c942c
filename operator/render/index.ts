// render(architecture) -> every Kubernetes object it needs. Pure and
// deterministic: same input, byte-identical output, stable order. The CLI's
// previews and the operator both call this, so a preview is what gets built.
import { applyDefaults } from "../api/defaults.ts";
import type { Architecture, ComponentType } from "../api/schema.ts";
import type { KubeObject } from "../kube/types.ts";
import { renderAppSecrets } from "./app-secrets.ts";
import { renderAutoscaling } from "./autoscaling.ts";
import { renderBackups } from "./backup.ts";
import { renderCron } from "./components/cron.ts";
import { renderJob } from "./components/job.ts";
import { renderService } from "./components/service.ts";
import { renderWorker } from "./components/worker.ts";
import { connectionSecret } from "./connection.ts";
import type { ComponentRenderer, ConcernRenderer, Rendered } from "./context.ts";
import { createContext } from "./context.ts";
import { renderKafka } from "./datastores/kafka.ts";
import { renderMilvus } from "./datastores/milvus.ts";
import { renderMongodb } from "./datastores/mongodb.ts";
import { renderMysql } from "./datastores/mysql.ts";
import { renderPostgres } from "./datastores/postgres.ts";
import { renderRabbitmq } from "./datastores/rabbitmq.ts";
import { renderRedis } from "./datastores/redis.ts";
import { renderDestinationRules } from "./destination-rule.ts";
import { renderDrills } from "./drill.ts";
import { renderGateway } from "./gateway.ts";
import { renderIngress } from "./ingress.ts";
import { renderMonitoring } from "./monitoring.ts";
import { renderNetworkPolicies } from "./network-policy.ts";
import { renderRestores } from "./restore.ts";
import { renderTrafficPolicies } from "./traffic-policy.ts";
import type { Capabilities, RenderResult } from "./types.ts";
import { ALL_CAPABILITIES } from "./types.ts";

export type { Capabilities, RenderNotice, RenderResult, SecretSpec } from "./types.ts";
export { ALL_CAPABILITIES } from "./types.ts";

const COMPONENTS: Record<ComponentType, ComponentRenderer> = {
  service: renderService,
  gateway: renderService,
  worker: renderWorker,
  job: renderJob,
  cron: renderCron,
  mysql: renderMysql,
  postgres: renderPostgres,
  mongodb: renderMongodb,
  redis: renderRedis,
  rabbitmq: renderRabbitmq,
  kafka: renderKafka,
  milvus: renderMilvus,
};

const CONCERNS: ConcernRenderer[] = [
  renderAutoscaling,
  renderIngress,
  renderGateway,
  renderTrafficPolicies,
  renderDestinationRules,
  renderBackups,
  renderRestores,
  renderDrills,
  renderMonitoring,
  renderNetworkPolicies,
  renderAppSecrets,
];

// Apply order: what others refer to comes first (config before workloads,
// workloads before what scales or routes to them).
const KIND_ORDER = [
  "ServiceAccount",
  "ConfigMap",
  "PersistentVolumeClaim",
  "Service",
  "StatefulSet",
  "Deployment",
  "Job",
  "CronJob",
  "HorizontalPodAutoscaler",
  "TriggerAuthentication",
  "ScaledObject",
  "PodDisruptionBudget",
  "Ingress",
  "Certificate",
  "ReferenceGrant",
  "HTTPRoute",
  "BackendTrafficPolicy",
  "DestinationRule",
  "NetworkPolicy",
  "ServiceMonitor",
  "ExternalSecret",
];

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

// Code-point order, not localeCompare: the result must not depend on the locale.
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function compareObjects(a: KubeObject, b: KubeObject): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    byString(a.kind, b.kind) ||
    byString(a.metadata.name, b.metadata.name)
  );
}

/** Renders a valid Architecture (see validateArchitecture) into its children. */
export function render(
  architecture: Architecture,
  capabilities: Capabilities = ALL_CAPABILITIES,
): RenderResult {
  const ctx = createContext(applyDefaults(architecture), capabilities);
  const parts: Rendered[] = [];
  for (const c of ctx.arch.components) {
    parts.push(COMPONENTS[c.type](c, ctx));
    const secret = connectionSecret(ctx, c);
    if (secret) parts.push({ objects: [], secrets: [secret] });
  }
  for (const concern of CONCERNS) parts.push(concern(ctx));
  return {
    objects: parts.flatMap((p) => p.objects).sort(compareObjects),
    secrets: parts.flatMap((p) => p.secrets ?? []).sort((a, b) => byString(a.name, b.name)),
    notices: parts.flatMap((p) => p.notices ?? []),
  };
}

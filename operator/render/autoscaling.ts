// spec.autoscaling: an autoscaling/v2 HorizontalPodAutoscaler on CPU/memory, or,
// for queue-length scaling, a KEDA ScaledObject (which creates and owns the HPA
// itself). Without KEDA a queue target degrades to CPU scaling and says so.
import type { ResolvedComponent } from "../api/defaults.ts";
import { childName, credentialsSecretName } from "../api/names.ts";
import type { Autoscaling } from "../api/schema.ts";
import type { KubeObject } from "../kube/types.ts";
import { serviceHost } from "./connection.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { childMeta } from "./meta.ts";
import type { RenderNotice } from "./types.ts";

export const DEFAULT_CPU_TARGET = 70;

/**
 * Scale up fast (a queue or traffic spike must be absorbed now), scale down
 * slowly: five minutes of lower load before removing pods, a fifth at a time,
 * so a dip between bursts does not throw away warm replicas.
 */
export function scalingBehavior(): Record<string, unknown> {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [
        { type: "Percent", value: 100, periodSeconds: 15 },
        { type: "Pods", value: 4, periodSeconds: 15 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: 300,
      selectPolicy: "Max",
      policies: [{ type: "Percent", value: 20, periodSeconds: 60 }],
    },
  };
}

const POLLING_INTERVAL_SECONDS = 15;
const COOLDOWN_SECONDS = 300;

export const renderAutoscaling: ConcernRenderer = (ctx) => {
  const objects: KubeObject[] = [];
  const notices: RenderNotice[] = [];
  const entries = [...ctx.arch.autoscaling].sort((a, b) =>
    a.component < b.component ? -1 : a.component > b.component ? 1 : 0,
  );
  for (const a of entries) {
    if (!ctx.component(a.component)) continue;
    const queue = a.queue ? ctx.component(a.queue.component) : undefined;
    if (a.queue && queue && ctx.capabilities.keda) {
      objects.push(...scaledObject(ctx, a, queue));
      continue;
    }
    if (a.queue) {
      notices.push({
        component: a.component,
        reason: "KedaMissing",
        message: `KEDA is not installed, so '${a.component}' cannot scale on the length of '${a.queue.name}' in '${a.queue.component}'; it scales on CPU (target ${a.targetCPUUtilization ?? DEFAULT_CPU_TARGET}%) with at least ${Math.max(1, a.minReplicas)} replica(s) instead. Install KEDA to scale on the queue.`,
      });
      objects.push(hpa(ctx, a, true));
      continue;
    }
    objects.push(hpa(ctx, a, false));
  }
  return { objects, notices };
};

function scaleTargetRef(ctx: RenderContext, component: string): Record<string, string> {
  return { apiVersion: "apps/v1", kind: "Deployment", name: childName(ctx.arch.name, component) };
}

function hpa(ctx: RenderContext, a: Autoscaling, queueFallback: boolean): KubeObject {
  const metrics: Record<string, unknown>[] = [];
  const cpu =
    a.targetCPUUtilization ??
    (queueFallback || a.targetMemoryUtilization === undefined ? DEFAULT_CPU_TARGET : undefined);
  if (cpu !== undefined) metrics.push(resourceMetric("cpu", cpu));
  if (a.targetMemoryUtilization !== undefined)
    metrics.push(resourceMetric("memory", a.targetMemoryUtilization));
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: childMeta(ctx, a.component),
    spec: {
      scaleTargetRef: scaleTargetRef(ctx, a.component),
      // A plain HPA cannot scale to zero (that needs KEDA's activation).
      minReplicas: Math.max(1, a.minReplicas),
      maxReplicas: a.maxReplicas,
      metrics,
      behavior: scalingBehavior(),
    },
  };
}

function resourceMetric(name: "cpu" | "memory", utilization: number): Record<string, unknown> {
  return {
    type: "Resource",
    resource: { name, target: { type: "Utilization", averageUtilization: utilization } },
  };
}

/** The ScaledObject and, when the queue needs credentials, its TriggerAuthentication. */
function scaledObject(ctx: RenderContext, a: Autoscaling, queue: ResolvedComponent): KubeObject[] {
  const q = a.queue as NonNullable<Autoscaling["queue"]>;
  const out: KubeObject[] = [];
  const authName = childName(ctx.arch.name, a.component, "queue");
  const secret = credentialsSecretName(ctx.arch.name, queue.name);
  const length = String(q.targetLength);
  let trigger: Record<string, unknown>;
  // KEDA reads credentials through a TriggerAuthentication that points at the
  // datastore's Secret, so no password appears in the ScaledObject.
  let secretRefs: { parameter: string; key: string }[] = [];
  switch (queue.type) {
    case "redis":
      trigger = {
        type: "redis",
        metadata: {
          address: `${serviceHost(ctx, queue.name)}:${queue.port}`,
          listName: q.name,
          listLength: length,
        },
      };
      secretRefs = [{ parameter: "password", key: "password" }];
      break;
    case "rabbitmq":
      // QueueLength: messages ready in the queue per replica (not the publish rate).
      trigger = {
        type: "rabbitmq",
        metadata: { protocol: "amqp", queueName: q.name, mode: "QueueLength", value: length },
      };
      secretRefs = [{ parameter: "host", key: "url" }];
      break;
    default:
      // kafka: consumer lag of the workers' group; Kafka runs without auth in-cluster.
      trigger = {
        type: "kafka",
        metadata: {
          bootstrapServers: `${serviceHost(ctx, queue.name)}:${queue.port}`,
          consumerGroup: q.consumerGroup ?? a.component,
          topic: q.name,
          lagThreshold: length,
        },
      };
  }
  if (secretRefs.length > 0) {
    trigger.authenticationRef = { name: authName };
    out.push({
      apiVersion: "keda.sh/v1alpha1",
      kind: "TriggerAuthentication",
      metadata: childMeta(ctx, a.component, "queue"),
      spec: {
        secretTargetRef: secretRefs.map((r) => ({
          parameter: r.parameter,
          name: secret,
          key: r.key,
        })),
      },
    });
  }
  const triggers: Record<string, unknown>[] = [trigger];
  // CPU and memory triggers alongside the queue: busy replicas still get help
  // even when the queue is short.
  if (a.targetCPUUtilization !== undefined) {
    triggers.push({
      type: "cpu",
      metricType: "Utilization",
      metadata: { value: String(a.targetCPUUtilization) },
    });
  }
  if (a.targetMemoryUtilization !== undefined) {
    triggers.push({
      type: "memory",
      metricType: "Utilization",
      metadata: { value: String(a.targetMemoryUtilization) },
    });
  }
  out.push({
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: childMeta(ctx, a.component),
    spec: {
      scaleTargetRef: scaleTargetRef(ctx, a.component),
      minReplicaCount: a.minReplicas,
      maxReplicaCount: a.maxReplicas,
      pollingInterval: POLLING_INTERVAL_SECONDS,
      cooldownPeriod: COOLDOWN_SECONDS,
      advanced: { horizontalPodAutoscalerConfig: { behavior: scalingBehavior() } },
      triggers,
    },
  });
  return out;
}

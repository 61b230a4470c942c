// `service` (HTTP API) and `gateway` (websocket) components: a Deployment, a
// ClusterIP Service on port 80 and, when more than one replica may run, a
// PodDisruptionBudget. Gateways differ where long-lived connections matter:
// sticky Service routing and a long, draining shutdown.
import type { ResolvedComponent } from "../../api/defaults.ts";
import { selectorLabels } from "../../api/names.ts";
import type { KubeObject } from "../../kube/types.ts";
import { APP_SERVICE_PORT } from "../connection.ts";
import type { ComponentRenderer, RenderContext } from "../context.ts";
import { childMeta } from "../meta.ts";
import { httpProbes, topologySpread } from "../pod.ts";
import { appPodTemplate, isAutoscaled } from "./app-pod.ts";

// How long a pod keeps serving after it is told to stop. The preStop sleep comes
// first: it gives kube-proxy and the ingress controller time to drop the pod from
// their endpoints, so no new request or websocket lands on a stopping pod. Then
// SIGTERM: an HTTP server finishes in-flight requests quickly; a gateway tells its
// clients to reconnect elsewhere and lets open websockets close, which takes longer.
const SHUTDOWN = {
  service: { preStopSeconds: 5, gracePeriodSeconds: 30 },
  gateway: { preStopSeconds: 15, gracePeriodSeconds: 90 },
} as const;

const REVISION_HISTORY = 5;

export const renderService: ComponentRenderer = (c, ctx) => {
  const objects: KubeObject[] = [deployment(ctx, c), service(ctx, c)];
  const autoscaled = isAutoscaled(ctx, c);
  if (c.replicas > 1 || autoscaled) objects.push(podDisruptionBudget(ctx, c.name));
  return { objects };
};

function deployment(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const port = c.port ?? 8080;
  const shutdown = c.type === "gateway" ? SHUTDOWN.gateway : SHUTDOWN.service;
  const template = appPodTemplate(ctx, c, {
    container: {
      ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
      ...httpProbes(c.healthPath ?? "/healthz", port),
      lifecycle: { preStop: { sleep: { seconds: shutdown.preStopSeconds } } },
    },
    pod: {
      terminationGracePeriodSeconds: shutdown.gracePeriodSeconds,
      topologySpreadConstraints: topologySpread(ctx, c.name),
    },
  });
  const spec: Record<string, unknown> = {};
  // With an HPA or ScaledObject the autoscaler owns the replica count; a value
  // here would be re-applied on every reconcile and fight it.
  if (!isAutoscaled(ctx, c)) spec.replicas = c.replicas;
  Object.assign(spec, {
    revisionHistoryLimit: REVISION_HISTORY,
    selector: { matchLabels: selectorLabels(ctx.arch.name, c.name) },
    // Never below the desired capacity during a rollout: new pods come up first.
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
    template,
  });
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: childMeta(ctx, c.name), spec };
}

function service(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const spec: Record<string, unknown> = {
    type: "ClusterIP",
    selector: selectorLabels(ctx.arch.name, c.name),
    ports: [{ name: "http", port: APP_SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
  };
  // In-cluster clients of a gateway keep reaching the replica that holds their
  // session (the ingress does the same with a cookie).
  if (c.type === "gateway") spec.sessionAffinity = "ClientIP";
  return { apiVersion: "v1", kind: "Service", metadata: childMeta(ctx, c.name), spec };
}

/** At most one replica down at a time for voluntary disruptions (drains, upgrades). */
export function podDisruptionBudget(ctx: RenderContext, component: string): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: childMeta(ctx, component),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(ctx.arch.name, component) },
    },
  };
}

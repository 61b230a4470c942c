// `worker` components: queue consumers. A Deployment without a Service (nothing
// calls a worker). A singleton (a scheduler, a leader-only consumer) runs as
// exactly one pod and is replaced, never rolled, so two never run at once.
import type { ResolvedComponent } from "../../api/defaults.ts";
import { selectorLabels } from "../../api/names.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { ComponentRenderer, RenderContext } from "../context.ts";
import { childMeta } from "../meta.ts";
import { topologySpread } from "../pod.ts";
import { appPodTemplate, isAutoscaled } from "./app-pod.ts";
import { podDisruptionBudget } from "./service.ts";

// Time to finish (or hand back) the item in hand after SIGTERM.
const GRACE_PERIOD_SECONDS = 60;

export const renderWorker: ComponentRenderer = (c, ctx) => {
  const objects: KubeObject[] = [deployment(ctx, c)];
  if (!c.singleton && (c.replicas > 1 || isAutoscaled(ctx, c)))
    objects.push(podDisruptionBudget(ctx, c.name));
  return { objects };
};

function strategy(c: ResolvedComponent): Record<string, unknown> {
  if (c.singleton) return { type: "Recreate" };
  // A surge pod on a full GPU pool would stay Pending and stall the rollout;
  // GPU workers are replaced one at a time instead.
  if (c.gpu) return { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
  return { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } };
}

function deployment(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const pod: Record<string, unknown> = { terminationGracePeriodSeconds: GRACE_PERIOD_SECONDS };
  if (!c.singleton) pod.topologySpreadConstraints = topologySpread(ctx, c.name);
  const spec: Record<string, unknown> = {};
  if (c.singleton) spec.replicas = 1;
  else if (!isAutoscaled(ctx, c)) spec.replicas = c.replicas;
  Object.assign(spec, {
    revisionHistoryLimit: 5,
    selector: { matchLabels: selectorLabels(ctx.arch.name, c.name) },
    strategy: strategy(c),
    template: appPodTemplate(ctx, c, { pod }),
  });
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: childMeta(ctx, c.name), spec };
}

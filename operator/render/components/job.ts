// `job` components: one-off batch work (an ingestion run, a migration), as a
// batch/v1 Job that runs to completion once per Architecture.
import type { ResolvedComponent } from "../../api/defaults.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { ComponentRenderer, RenderContext } from "../context.ts";
import { childMeta } from "../meta.ts";
import { appPodTemplate } from "./app-pod.ts";

/**
 * The Job spec shared with cron components. restartPolicy Never: each retry is a
 * fresh pod and the failed ones stay (up to backoffLimit) for `kubectl logs`.
 */
export function jobSpec(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  return {
    completions: c.completions ?? 1,
    parallelism: c.parallelism ?? 1,
    backoffLimit: c.backoffLimit ?? 3,
    template: appPodTemplate(ctx, c, {
      pod: { restartPolicy: "Never", terminationGracePeriodSeconds: 30 },
    }),
  };
}

// No ttlSecondsAfterFinished on purpose: the operator re-applies every desired
// object, so a finished Job that the TTL controller deleted would be created
// again and run a second time. The finished Job stays as the record that it ran
// and goes with the Architecture (owner reference).
export const renderJob: ComponentRenderer = (c, ctx) => {
  const job: KubeObject = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: childMeta(ctx, c.name),
    spec: jobSpec(ctx, c),
  };
  return { objects: [job] };
};

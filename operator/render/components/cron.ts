// `cron` components: timed work as a batch/v1 CronJob. Runs never overlap
// (concurrencyPolicy Forbid): a slow run delays the next instead of doubling up,
// which timed triggers of stateful work (trading, reports) rely on.

import type { KubeObject } from "../../kube/types.ts";
import type { ComponentRenderer } from "../context.ts";
import { childMeta } from "../meta.ts";
import { jobSpec } from "./job.ts";

// A run missed by more than this (controller down, cluster upgrade) is skipped
// rather than started late; it also keeps the controller from counting the
// >100 missed schedules that would stop the CronJob for good.
const STARTING_DEADLINE_SECONDS = 300;
// Finished Jobs are cleaned up by the history limits, which keep the latest few
// for `kubectl get jobs` and logs (a TTL would empty the history of a weekly job).

export const renderCron: ComponentRenderer = (c, ctx) => {
  const meta = childMeta(ctx, c.name);
  const spec: Record<string, unknown> = { schedule: c.schedule ?? "" };
  if (c.timeZone) spec.timeZone = c.timeZone;
  Object.assign(spec, {
    concurrencyPolicy: "Forbid",
    startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    jobTemplate: {
      metadata: { labels: meta.labels },
      spec: jobSpec(ctx, c),
    },
  });
  const cron: KubeObject = { apiVersion: "batch/v1", kind: "CronJob", metadata: meta, spec };
  return { objects: [cron] };
};

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { renderCron } from "../../../operator/render/components/cron.ts";
import { renderJob } from "../../../operator/render/components/job.ts";
import { assertRestricted, comp, ctxOf, type Json, podSpec } from "./app-fixtures.ts";

const spec: ArchitectureSpec = {
  gpuPools: [{ name: "gpu" }],
  components: [
    {
      name: "ingest",
      type: "job",
      image: "ex/ingest:1",
      completions: 4,
      parallelism: 2,
      backoffLimit: 1,
      gpu: { pool: "gpu", count: 1 },
    },
    {
      name: "migrate",
      type: "job",
      image: "ex/migrate:1",
      command: ["/bin/migrate"],
      args: ["up"],
    },
    {
      name: "report",
      type: "cron",
      image: "ex/report:1",
      schedule: "0 3 * * *",
      timeZone: "Europe/Berlin",
    },
    { name: "tick", type: "cron", image: "ex/tick:1", schedule: "*/5 * * * *" },
  ],
};

function renderOf(name: string, fn = renderJob) {
  const ctx = ctxOf(spec);
  return fn(comp(ctx, name), ctx).objects;
}

test("job: batch/v1 Job with completions, parallelism, backoffLimit and restartPolicy Never", () => {
  const [job] = renderOf("ingest") as Json[];
  assert.equal(job.apiVersion, "batch/v1");
  assert.equal(job.kind, "Job");
  assert.equal(job.metadata.name, "shop-ingest");
  assert.equal(job.spec.completions, 4);
  assert.equal(job.spec.parallelism, 2);
  assert.equal(job.spec.backoffLimit, 1);
  // Re-applied by the operator: a TTL would delete it and the operator would run it again.
  assert.equal(job.spec.ttlSecondsAfterFinished, undefined);
  assert.equal(job.spec.selector, undefined);
  const pod = podSpec(job);
  assert.equal(pod.restartPolicy, "Never");
  assertRestricted(pod);
  assert.equal(pod.containers[0].resources.limits["nvidia.com/gpu"], "1");
  assert.deepEqual(pod.nodeSelector, { "nvidia.com/gpu.present": "true" });
});

test("job: defaults and command/args", () => {
  const [job] = renderOf("migrate") as Json[];
  assert.equal(job.spec.completions, 1);
  assert.equal(job.spec.parallelism, 1);
  assert.equal(job.spec.backoffLimit, 3);
  const c = podSpec(job).containers[0];
  assert.deepEqual(c.command, ["/bin/migrate"]);
  assert.deepEqual(c.args, ["up"]);
  assert.equal(podSpec(job).tolerations, undefined);
});

test("cron: CronJob with schedule, time zone, Forbid, deadline and history limits", () => {
  const [cron] = renderOf("report", renderCron) as Json[];
  assert.equal(cron.apiVersion, "batch/v1");
  assert.equal(cron.kind, "CronJob");
  assert.equal(cron.metadata.name, "shop-report");
  assert.equal(cron.spec.schedule, "0 3 * * *");
  assert.equal(cron.spec.timeZone, "Europe/Berlin");
  assert.equal(cron.spec.concurrencyPolicy, "Forbid");
  assert.equal(cron.spec.startingDeadlineSeconds, 300);
  assert.equal(cron.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cron.spec.failedJobsHistoryLimit, 3);
  assert.equal(cron.spec.jobTemplate.metadata.labels["app.kubernetes.io/instance"], "shop-report");
  assert.equal(cron.spec.jobTemplate.spec.backoffLimit, 3);
  const pod = podSpec(cron);
  assert.equal(pod.restartPolicy, "Never");
  assertRestricted(pod);
});

test("cron without a time zone leaves it out (the controller's zone applies)", () => {
  const [cron] = renderOf("tick", renderCron) as Json[];
  assert.equal("timeZone" in cron.spec, false);
});

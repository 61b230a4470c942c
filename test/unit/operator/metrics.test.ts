import assert from "node:assert/strict";
import { test } from "node:test";
import { OperatorMetrics } from "../../../operator/runtime/metrics.ts";

test("archctl_architectures counts cached Architectures by phase at scrape time", async () => {
  const m = new OperatorMetrics(false);
  let phases = new Map([
    ["Ready", 2],
    ["Degraded", 1],
  ]);
  m.phases = () => phases;
  let text = await m.registry.metrics();
  assert.match(text, /archctl_architectures\{phase="Ready"\} 2/);
  assert.match(text, /archctl_architectures\{phase="Degraded"\} 1/);
  phases = new Map([["Ready", 3]]);
  text = await m.registry.metrics();
  assert.match(text, /archctl_architectures\{phase="Ready"\} 3/);
  assert.doesNotMatch(text, /phase="Degraded"/, "a phase nobody is in any more disappears");
});

test("every operator metric is registered under the archctl_ prefix", async () => {
  const names = (await new OperatorMetrics(false).registry.getMetricsAsJSON()).map((m) => m.name);
  for (const name of [
    "archctl_reconcile_total",
    "archctl_reconcile_duration_seconds",
    "archctl_workqueue_depth",
    "archctl_workqueue_wait_seconds",
    "archctl_api_requests_total",
    "archctl_api_writes_total",
    "archctl_watch_restarts_total",
    "archctl_watch_relists_total",
    "archctl_leader",
    "archctl_architectures",
  ]) {
    assert.ok(names.includes(name), name);
  }
});

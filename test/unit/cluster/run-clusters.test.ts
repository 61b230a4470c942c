// When a test run may stop a cluster before its end (test/support/run-clusters.ts):
// only when its files go one at a time, as the runner was told.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sequentialRunner } from "../../support/run-clusters.ts";

test("a run is one-at-a-time only when told so: --test-concurrency 1 (either spelling) or the tier runner", () => {
  assert.equal(sequentialRunner(["--test", "--test-concurrency=1"], {}), true);
  assert.equal(sequentialRunner(["--test", "--test-concurrency", "1"], {}), true);
  assert.equal(sequentialRunner([], { ARCHCTL_TEST_SEQUENTIAL: "1" }), true);
  // Parallel, or not said: another file may be using any cluster, so none is stopped early.
  assert.equal(sequentialRunner(["--test", "--test-concurrency=4"], {}), false);
  assert.equal(sequentialRunner(["--test", "--test-concurrency", "10"], {}), false);
  assert.equal(sequentialRunner(["--test"], {}), false);
  assert.equal(sequentialRunner(["--test"], { ARCHCTL_TEST_SEQUENTIAL: "0" }), false);
});

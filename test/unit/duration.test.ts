// Durations: one grammar and one bound for the schema, the CRD and the CLI,
// and arithmetic that no input can make throw (a ttl of 100000000d once made
// every reconcile throw in toISOString).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  durationSeconds,
  flagDurationMs,
  isBoundedDuration,
  MAX_DURATION_SECONDS,
  timestampAfter,
} from "../../operator/api/duration.ts";
import { validateArchitecture } from "../../operator/api/validate.ts";
import { expiresAt } from "../../operator/status/rollup.ts";

test("durations add up their parts", () => {
  assert.equal(durationSeconds("1h30m"), 5400);
  assert.equal(durationSeconds("7d"), 604_800);
  assert.equal(durationSeconds("90s"), 90);
  assert.equal(durationSeconds("1d1s"), 86_401);
  assert.equal(durationSeconds("soon"), undefined);
  assert.equal(durationSeconds(""), undefined);
  assert.equal(flagDurationMs("1.5s"), 1500);
  assert.equal(flagDurationMs("30"), 30_000);
  assert.equal(flagDurationMs("later"), undefined);
});

test("the bound is one year, in the schema too", () => {
  assert.ok(isBoundedDuration("365d"));
  assert.ok(isBoundedDuration("364d23h59m60s"));
  assert.ok(!isBoundedDuration("365d1s"));
  assert.ok(!isBoundedDuration("100000000d"));
  const arch = (ttl: string) => ({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop" },
    spec: { ttl, components: [{ name: "api", type: "service", image: "nginx:1.27" }] },
  });
  assert.ok(validateArchitecture(arch("365d")).architecture);
  const refused = validateArchitecture(arch("100000000d"));
  assert.equal(refused.architecture, undefined);
  assert.match(
    refused.issues.map((i) => i.message).join("\n"),
    /at most 365d/,
    "a huge ttl is refused with the bound named",
  );
});

test("no duration or timestamp makes expiry arithmetic throw", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.stringMatching(/^([0-9]{1,30}[smhd]){1,4}$/),
        fc.string(),
        fc.constantFrom("100000000d", `${"9".repeat(400)}d`, "0s"),
      ),
      fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom("not a time", "", "+275760-09-13T00:00:00.000Z"),
      ),
      (ttl, created) => {
        const at = expiresAt(created, ttl);
        if (at !== undefined) assert.ok(Number.isFinite(Date.parse(at)));
        const s = durationSeconds(ttl);
        if (s !== undefined) assert.ok(Number.isFinite(s) && s >= 0);
      },
    ),
    { seed: 4242, numRuns: 2000 },
  );
  assert.equal(timestampAfter("2026-01-01T00:00:00Z", 100_000_000 * 86_400), undefined);
  assert.equal(
    timestampAfter("2026-01-01T00:00:00Z", MAX_DURATION_SECONDS),
    "2027-01-01T00:00:00Z",
  );
});

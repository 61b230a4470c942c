// The rate limit on ReconcileFailed Events (pure: the clock is passed in).
import assert from "node:assert/strict";
import { test } from "node:test";
import { EventRateLimiter } from "../../../operator/runtime/events.ts";

test("at most one Event per Architecture per window; other Architectures are not held back", () => {
  const limit = new EventRateLimiter(60_000);
  assert.ok(limit.allow("ns/a", 0));
  assert.ok(!limit.allow("ns/a", 1), "a retry 1 ms later");
  assert.ok(!limit.allow("ns/a", 59_999));
  assert.ok(limit.allow("ns/b", 30_000), "another Architecture");
  assert.ok(limit.allow("ns/a", 60_000), "the next window");
  assert.ok(!limit.allow("ns/a", 60_001));
});

test("keys whose window is over are forgotten, so deleted Architectures do not accumulate", () => {
  const limit = new EventRateLimiter(1_000);
  for (let i = 0; i < 2_000; i++) limit.allow(`ns/a${i}`, 0);
  // All 2,000 windows are over at 5 s: the next allow() prunes them.
  assert.ok(limit.allow("ns/new", 5_000));
  const size = (limit as unknown as { last: Map<string, number> }).last.size;
  assert.equal(size, 1);
});

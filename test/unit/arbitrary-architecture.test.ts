// The generator of the generative tests (test/support/arbitrary-architecture.ts)
// makes only valid Architectures, each of which renders, and covers what it
// claims to: every component type and every cross-cutting block, with the
// edge values (names at their limits, TTLs at both ends, pools matching no
// node, several queue-scaled workers in one Architecture).
//
// Seeded (ARCHCTL_GEN_SEED overrides the seed, which is printed).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { durationSeconds, MAX_DURATION_SECONDS } from "../../operator/api/duration.ts";
import { namesWithLimits } from "../../operator/api/names.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { COMPONENT_TYPES } from "../../operator/api/schema.ts";
import { validateArchitecture } from "../../operator/api/validate.ts";
import type { Capabilities } from "../../operator/render/index.ts";
import { render } from "../../operator/render/index.ts";
import { architectureArb, sampleArchitectures } from "../support/arbitrary-architecture.ts";

const SEED = Number(process.env.ARCHCTL_GEN_SEED ?? 20_261_202);
const RUNS = 300;
const CAPS: Capabilities[] = [
  { keda: true, serviceMonitors: true },
  { keda: false, serviceMonitors: false },
];

function problems(a: Architecture): string[] {
  return validateArchitecture(a)
    .issues.filter((i) => i.severity === "error")
    .map((i) => `${i.path.join(".")}: ${i.message}`);
}

test("every generated Architecture validates and renders, with and without KEDA and the Prometheus Operator", (t) => {
  t.diagnostic(`seed ${SEED} (ARCHCTL_GEN_SEED to replay)`);
  fc.assert(
    fc.property(architectureArb, (a) => {
      assert.deepEqual(problems(a), [], `${a.metadata.name} is refused`);
      const valid = validateArchitecture(a).architecture as Architecture;
      for (const caps of CAPS) assert.ok(render(valid, caps).objects.length > 0);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test("the same seed gives the same Architectures, each name once", () => {
  const a = sampleArchitectures(40, SEED);
  assert.deepEqual(sampleArchitectures(40, SEED), a);
  assert.equal(new Set(a.map((x) => x.metadata.name)).size, a.length);
  assert.notDeepEqual(sampleArchitectures(40, SEED + 1), a);
});

test("the generator covers every component type and every block, edge values included", (t) => {
  const archs = sampleArchitectures(RUNS, SEED);
  const types = new Map<string, number>(COMPONENT_TYPES.map((c) => [c, 0]));
  const seen = new Map<string, number>();
  const count = (what: string, yes: boolean) => {
    if (yes) seen.set(what, (seen.get(what) ?? 0) + 1);
  };
  for (const a of archs) {
    const { spec } = a;
    const byName = new Map(spec.components.map((c) => [c.name, c]));
    for (const c of spec.components) types.set(c.type, (types.get(c.type) ?? 0) + 1);
    const queueScaled = (spec.autoscaling ?? []).filter((s) => s.queue);
    const backedUp = new Set((spec.backups ?? []).map((b) => b.component));
    count(
      "uses",
      spec.components.some((c) => c.uses?.length),
    );
    count(
      "cpu or memory autoscaling",
      (spec.autoscaling ?? []).some((s) => !s.queue),
    );
    count("queue autoscaling", queueScaled.length > 0);
    count("two queue-scaled workers", queueScaled.length >= 2);
    count(
      "scale to zero",
      queueScaled.some((s) => s.minReplicas === 0),
    );
    count(
      "kafka lag scaling",
      queueScaled.some((s) => byName.get(s.queue?.component ?? "")?.type === "kafka"),
    );
    count(
      "GPU pool with the default selector",
      (spec.gpuPools ?? []).some(
        (p) => !p.nodeSelector && spec.components.some((c) => c.gpu?.pool === p.name),
      ),
    );
    count(
      "GPU pool matching no node",
      (spec.gpuPools ?? []).some(
        (p) => p.nodeSelector && spec.components.some((c) => c.gpu?.pool === p.name),
      ),
    );
    count(
      "unused GPU pool",
      (spec.gpuPools ?? []).some((p) => !spec.components.some((c) => c.gpu?.pool === p.name)),
    );
    count(
      "backup to a volume",
      (spec.backups ?? []).some((b) => b.pvc),
    );
    count(
      "backup to S3",
      (spec.backups ?? []).some((b) => b.s3),
    );
    count(
      "backup to the default volume",
      (spec.backups ?? []).some((b) => !b.pvc && !b.s3),
    );
    count("ingress", spec.ingress !== undefined);
    count("ingress rate limit", spec.ingress?.rateLimit !== undefined);
    count("ingress TLS", spec.ingress?.tls !== undefined);
    count("monitoring", spec.monitoring !== undefined);
    count("network policy off", spec.networkPolicy?.enabled === false);
    const ttl = spec.ttl === undefined ? undefined : (durationSeconds(spec.ttl) ?? 0);
    count("TTL of seconds", ttl !== undefined && ttl < 60);
    count("TTL at the upper bound", ttl === MAX_DURATION_SECONDS);
    count("deletionPolicy Delete", spec.deletionPolicy === "Delete");
    count("deletionPolicy Retain", spec.deletionPolicy === "Retain");
    count(
      "singleton",
      spec.components.some((c) => c.singleton),
    );
    count(
      "cron",
      spec.components.some((c) => c.type === "cron"),
    );
    count("Architecture name of 40 characters", a.metadata.name.length === 40);
    count("Architecture name of 1 character", a.metadata.name.length === 1);
    count(
      "a component name at its length limit",
      spec.components.some((c) => {
        const longer = namesWithLimits(a.metadata.name, `${c.name}x`, c.type, backedUp.has(c.name));
        return c.name.length === 40 || longer.some((n) => n.name.length > n.max);
      }),
    );
  }
  t.diagnostic(
    `${archs.length} Architectures; components by type: ${[...types].map(([k, v]) => `${k} ${v}`).join(", ")}`,
  );
  t.diagnostic(`blocks: ${[...seen].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  for (const [type, n] of types)
    assert.ok(n >= 10, `only ${n} ${type} components in ${archs.length} Architectures`);
  const wanted = [
    "uses",
    "cpu or memory autoscaling",
    "queue autoscaling",
    "two queue-scaled workers",
    "scale to zero",
    "kafka lag scaling",
    "GPU pool with the default selector",
    "GPU pool matching no node",
    "unused GPU pool",
    "backup to a volume",
    "backup to S3",
    "backup to the default volume",
    "ingress",
    "ingress rate limit",
    "ingress TLS",
    "monitoring",
    "network policy off",
    "TTL of seconds",
    "TTL at the upper bound",
    "deletionPolicy Delete",
    "deletionPolicy Retain",
    "singleton",
    "cron",
    "Architecture name of 40 characters",
    "Architecture name of 1 character",
    "a component name at its length limit",
  ];
  for (const w of wanted)
    assert.ok((seen.get(w) ?? 0) > 0, `no Architecture with ${w} in ${archs.length}`);
});

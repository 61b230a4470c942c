// Every status the roll-up builds is one the API server takes: it validates
// against the CRD's status schema, list-map keys included, for generated
// Architectures, random render capabilities and random states of their
// children, pods and claims. A status the API server refuses is never
// written, and the Architecture would show none at all.
// Over 400 lines on purpose: most of it is the generators of children, pods
// and claims in random states, which only this property test uses.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import { COMPONENT_LABEL } from "../../../operator/api/names.ts";
import type { ArchitectureStatus } from "../../../operator/api/schema.ts";
import { listMapDuplicates, statusProblems } from "../../../operator/api/status-check.ts";
import { validateArchitecture } from "../../../operator/api/validate.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import { render } from "../../../operator/render/index.ts";
import type { ClaimView, PodView } from "../../../operator/status/causes.ts";
import { rollupStatus } from "../../../operator/status/rollup.ts";
import { architectureArb } from "../../support/arbitrary-architecture.ts";
import { prng } from "../../support/prng.ts";

const SEED = Number(process.env.ARCHCTL_FUZZ_SEED ?? 20_261_202);
const NOW = new Date("2026-12-02T12:00:00Z");

type Pick = <T>(xs: readonly T[]) => T;

/** A random time up to an hour before NOW, or shortly after it. */
const when = (r: () => number) =>
  new Date(NOW.getTime() - Math.floor(r() * 3_700_000) + 60_000).toISOString();

function workloadStatus(obj: KubeObject, pick: Pick, r: () => number): KubeObject | undefined {
  const desired = Number((obj.spec as { replicas?: number } | undefined)?.replicas ?? 1);
  const n = () => Math.floor(r() * (desired + 2));
  const meta = { ...obj.metadata, generation: 1, creationTimestamp: when(r) };
  switch (
    pick(["absent", "rolling", "ready", "notReady", "stuck", "failed", "complete"] as const)
  ) {
    case "absent":
      return undefined;
    case "rolling":
      return {
        ...obj,
        metadata: meta,
        status: {
          observedGeneration: 1,
          updatedReplicas: n(),
          readyReplicas: n(),
          currentRevision: "a",
          updateRevision: "b",
        },
      };
    case "ready":
      return {
        ...obj,
        metadata: meta,
        status: {
          observedGeneration: 1,
          updatedReplicas: desired,
          readyReplicas: desired,
          conditions: [{ type: "Complete", status: "True" }],
        },
      };
    case "notReady":
      return {
        ...obj,
        metadata: meta,
        status: { observedGeneration: 1, updatedReplicas: desired, readyReplicas: n() },
      };
    case "stuck":
      return {
        ...obj,
        metadata: meta,
        status: {
          observedGeneration: 1,
          readyReplicas: 0,
          conditions: [
            {
              type: "Progressing",
              status: "False",
              reason: "ProgressDeadlineExceeded",
              message: "x".repeat(Math.floor(r() * 3000)),
            },
          ],
        },
      };
    case "failed":
      return {
        ...obj,
        metadata: meta,
        status: {
          failed: 3,
          conditions: [
            {
              type: "Failed",
              status: "True",
              reason: "BackoffLimitExceeded",
              message: "Job has reached the specified backoff limit",
            },
          ],
        },
      };
    case "complete":
      return {
        ...obj,
        metadata: meta,
        status: { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] },
      };
  }
}

function randomPod(
  name: string,
  owner: { kind: string; name: string },
  pick: Pick,
  r: () => number,
): PodView {
  const long = (text: string) => `${text} ${"y".repeat(Math.floor(r() * 2000))}`;
  const container = (state: Record<string, unknown>) => ({
    name: "app",
    image: "ghcr.io/example/app:1",
    ready: false,
    restartCount: Math.floor(r() * 50),
    ...state,
  });
  const base = {
    metadata: { name, creationTimestamp: when(r), ownerReferences: [owner] },
    spec: { containers: [{ name: "app", image: "ghcr.io/example/app:1" }] },
  };
  switch (
    pick([
      "none",
      "ready",
      "unschedulable",
      "pull",
      "crash",
      "config",
      "exited",
      "starting",
    ] as const)
  ) {
    case "none":
      return { metadata: base.metadata };
    case "ready":
      return {
        ...base,
        status: {
          phase: "Running",
          conditions: [{ type: "Ready", status: "True" }],
          containerStatuses: [{ ...container({}), ready: true }],
        },
      };
    case "unschedulable":
      return {
        ...base,
        status: {
          phase: "Pending",
          conditions: [
            {
              type: "PodScheduled",
              status: "False",
              reason: "Unschedulable",
              message: long(
                "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
              ),
            },
          ],
        },
      };
    case "pull":
      return {
        ...base,
        status: {
          phase: "Pending",
          containerStatuses: [
            container({
              state: {
                waiting: {
                  reason: pick(["ErrImagePull", "ImagePullBackOff"]),
                  message: long("not found"),
                },
              },
            }),
          ],
        },
      };
    case "crash":
      return {
        ...base,
        status: {
          phase: "Running",
          containerStatuses: [
            container({
              state: { waiting: { reason: "CrashLoopBackOff", message: long("back-off") } },
              lastState: {
                terminated: {
                  exitCode: Math.floor(r() * 256),
                  reason: "Error",
                  message: long("panic"),
                },
              },
            }),
          ],
        },
      };
    case "config":
      return {
        ...base,
        status: {
          phase: "Pending",
          containerStatuses: [
            container({
              state: {
                waiting: {
                  reason: "CreateContainerConfigError",
                  message: long('secret "x" not found'),
                },
              },
            }),
          ],
        },
      };
    case "exited":
      return {
        ...base,
        status: {
          phase: "Failed",
          containerStatuses: [
            container({ state: { terminated: { exitCode: 1, reason: "Error" } } }),
          ],
        },
      };
    case "starting":
      return {
        ...base,
        status: {
          phase: "Pending",
          containerStatuses: [container({ state: { waiting: { reason: "ContainerCreating" } } })],
        },
      };
  }
}

interface World {
  children: KubeObject[];
  pods: Map<string, PodView[]>;
  claims: Map<string, ClaimView[]>;
}

/** Random states for the rendered workloads, with pods and claims to match. */
function world(objects: KubeObject[], seed: number): World {
  const r = prng(seed);
  const pick: Pick = (xs) => xs[Math.floor(r() * xs.length)] as (typeof xs)[number];
  const out: World = { children: [], pods: new Map(), claims: new Map() };
  for (const obj of objects) {
    if (!["Deployment", "StatefulSet", "Job", "CronJob"].includes(obj.kind)) continue;
    const live = workloadStatus(obj, pick, r);
    if (live) out.children.push(live);
    const component = obj.metadata.labels?.[COMPONENT_LABEL] ?? "";
    const owner =
      obj.kind === "Deployment"
        ? { kind: "ReplicaSet", name: `${obj.metadata.name}-7d9f8c` }
        : { kind: obj.kind, name: obj.metadata.name };
    const pods = out.pods.get(component) ?? [];
    for (let i = 0; i < Math.floor(r() * 4); i++)
      pods.push(randomPod(`${obj.metadata.name}-${i}`, owner, pick, r));
    out.pods.set(component, pods);
    if (obj.kind === "StatefulSet" && r() < 0.5) {
      const claims = out.claims.get(component) ?? [];
      claims.push({
        metadata: { name: `data-${obj.metadata.name}-0`, creationTimestamp: when(r) },
        ...(r() < 0.5 ? { spec: { storageClassName: "fast" } } : {}),
        status: { phase: pick(["Pending", "Bound"]) },
      });
      out.claims.set(component, claims);
    }
  }
  return out;
}

type Spec = {
  components: { name: string; type: string }[];
  autoscaling?: { component: string }[];
};

/**
 * The grammar scales at most one component: here, sometimes every scalable
 * one, on a queue when there is one, so that notices come more than once.
 */
const scaledArchitectureArb = fc.tuple(architectureArb, fc.boolean()).map(([a, scaleAll]) => {
  const spec = a.spec as Spec;
  const queue = spec.components.find((c) => ["redis", "rabbitmq", "kafka"].includes(c.type));
  if (!scaleAll) return a;
  const scaled = new Set((spec.autoscaling ?? []).map((x) => x.component));
  const more = spec.components
    .filter((c) => ["service", "gateway", "worker"].includes(c.type) && !scaled.has(c.name))
    .map((c) => ({
      component: c.name,
      minReplicas: 1,
      maxReplicas: 4,
      ...(queue
        ? {
            queue: {
              component: queue.name,
              name: `q-${c.name}`,
              targetLength: 5,
              ...(queue.type === "kafka" ? { consumerGroup: "g" } : {}),
            },
          }
        : {}),
    }));
  return { ...a, spec: { ...spec, autoscaling: [...(spec.autoscaling ?? []), ...more] } };
});

test("every status the roll-up builds validates against the CRD's status schema", () => {
  let checked = 0;
  fc.assert(
    fc.property(
      scaledArchitectureArb,
      fc.record({ keda: fc.boolean(), serviceMonitors: fc.boolean() }),
      fc.nat(),
      fc.boolean(),
      (candidate, capabilities, seed, refused) => {
        const valid = validateArchitecture(candidate).architecture;
        if (!valid) return;
        const arch = { ...valid, metadata: { ...valid.metadata, namespace: "ns", uid: "u-1" } };
        const rendered = render(arch, capabilities);
        const w = world(rendered.objects, seed);
        const base = {
          arch: applyDefaults(arch),
          generation: 2,
          creationTimestamp: "2026-12-02T11:00:00Z",
          child: (kind: string, name: string) =>
            w.children.find((c) => c.kind === kind && c.metadata.name === name),
          pods: (component: string) => w.pods.get(component) ?? [],
          claims: (component: string) => w.claims.get(component) ?? [],
          notices: rendered.notices,
          blocked: [],
          failures: refused
            ? rendered.objects.slice(0, 3).map((o) => ({
                kind: o.kind,
                name: o.metadata.name,
                message: `refused: ${"z".repeat(20_000)}`,
              }))
            : [],
          now: NOW,
        };
        const first = rollupStatus(base);
        const again = rollupStatus({ ...base, previous: first });
        for (const status of [first, again])
          assert.deepEqual(statusProblems(status), [], JSON.stringify(status).slice(0, 300));
        checked++;
      },
    ),
    { numRuns: 400, seed: SEED, endOnFailure: true },
  );
  console.log(`statuses checked: ${checked} (seed ${SEED})`);
  assert.ok(checked > 100, `only ${checked} generated Architectures were valid`);
});

test("two queue-scaled workers without KEDA: one KedaMissing condition naming both", () => {
  const arch = validateArchitecture({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "tq", namespace: "ns" },
    spec: {
      components: [
        { name: "queue", type: "redis" },
        { name: "a", type: "worker", image: "x:1", uses: ["queue"] },
        { name: "b", type: "worker", image: "x:1", uses: ["queue"] },
      ],
      autoscaling: ["a", "b"].map((component) => ({
        component,
        minReplicas: 1,
        maxReplicas: 3,
        queue: { component: "queue", name: `jobs-${component}`, targetLength: 5 },
      })),
    },
  }).architecture;
  assert.ok(arch);
  const rendered = render(arch, { keda: false, serviceMonitors: false });
  const status = rollupStatus({
    arch: applyDefaults(arch),
    generation: 1,
    child: () => undefined,
    notices: rendered.notices,
    blocked: [],
    failures: [],
    now: NOW,
  });
  assert.deepEqual(statusProblems(status), []);
  const keda = status.conditions?.filter((c) => c.type === "KedaMissing") ?? [];
  assert.equal(keda.length, 1);
  assert.match(keda[0]?.message ?? "", /^a: .*jobs-a.*; b: .*jobs-b/);
});

test("the list-map checker finds duplicate keys the API server refuses, and only those", () => {
  const cond = (type: string) => ({
    type,
    status: "True" as const,
    reason: "R",
    message: "m",
    lastTransitionTime: "2026-12-02T12:00:00Z",
  });
  const twice: ArchitectureStatus = {
    conditions: [cond("Ready"), cond("KedaMissing"), cond("KedaMissing")],
  };
  assert.deepEqual(statusProblems(twice), [
    'status.conditions[2]: duplicate key {"type":"KedaMissing"} (also at status.conditions[1])',
  ]);
  assert.deepEqual(statusProblems({ conditions: [cond("Ready"), cond("Degraded")] }), []);
  // Nested list-maps are found along the schema; other lists are left alone.
  const schema = {
    type: "object",
    properties: {
      xs: {
        type: "array",
        items: {
          type: "object",
          properties: {
            ys: {
              type: "array",
              "x-kubernetes-list-type": "map",
              "x-kubernetes-list-map-keys": ["k", "j"],
              items: { type: "object" },
            },
          },
        },
      },
      plain: { type: "array", items: { type: "object" } },
    },
  };
  assert.deepEqual(
    listMapDuplicates(schema, {
      xs: [
        {
          ys: [
            { k: 1, j: 1 },
            { k: 1, j: 2 },
          ],
        },
        {
          ys: [
            { k: 1, j: 2 },
            { k: 1, j: 2 },
          ],
        },
      ],
      plain: [{ k: 1 }, { k: 1 }],
    }),
    ['xs[1].ys[1]: duplicate key {"k":1,"j":2} (also at xs[1].ys[0])'],
  );
});

// A component that is not ready says why, on a whole local cluster: the
// scheduler's reason for a worker on a GPU pool no node belongs to, and a
// crash loop that kwok plays through a Stage of its own (test/cluster/stages.ts).
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import { CRASH_EXIT_CODE, CRASH_LOOP_IMAGE } from "../cluster/stages.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import {
  architecture,
  clientFor,
  getArchitecture,
  installCrd,
  startOperator,
} from "../support/operator.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

/** Waits until the component's status message matches, and returns the Architecture. */
async function componentSays(
  ns: string,
  name: string,
  component: string,
  pattern: RegExp,
): Promise<StoredArchitecture> {
  const client = clientFor(cluster);
  let last = "";
  try {
    return await cluster.eventually(
      `${ns}/${name}: ${component} to say ${pattern}`,
      async () => {
        const a = await getArchitecture(client, ns, name);
        last = a?.status?.components?.find((c) => c.name === component)?.message ?? "";
        return pattern.test(last) ? a : undefined;
      },
      120_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last message: '${last}'`);
  }
}

test("a worker on a GPU pool no node belongs to: Unschedulable, with the scheduler's reason and the pool", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "e2e-unsched" });
  await startOperator(t, cluster, ns);
  await cluster.apply(ns, [
    architecture("gpu", ns, {
      gpuPools: [{ name: "l4", nodeSelector: { "gpu.example.com/model": "l4-absent" } }],
      components: [
        {
          name: "embedder",
          type: "worker",
          image: "ghcr.io/example/embedder:1",
          gpu: { pool: "l4", count: 1 },
        },
      ],
    }),
  ]);
  const a = await componentSays(ns, "gpu", "embedder", /cannot be scheduled/);
  const message = a.status?.components?.find((c) => c.name === "embedder")?.message ?? "";
  // The scheduler's own words, then which pool and which node labels it needs.
  assert.match(
    message,
    /^0\/1 replicas ready: pod gpu-embedder-[a-z0-9]+-[a-z0-9]+ cannot be scheduled: 0\/\d+ nodes are available/,
  );
  assert.match(message, /node affinity\/selector/);
  assert.match(message, /GPU pool 'l4' needs nodes labelled gpu\.example\.com\/model=l4-absent/);
  assert.match(
    a.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
    /embedder \(0\/1 replicas ready: pod .* cannot be scheduled/,
  );
  assert.equal(a.status?.phase, "Pending", "a few seconds in: not stalled yet");
});

test("a container in a crash loop (a kwok Stage): the last exit code and reason", async (t) => {
  if (cluster.existing) t.skip("the crash-loop Stage is part of the local cluster only");
  const ns = await cluster.namespace(t, { prefix: "e2e-crash" });
  await startOperator(t, cluster, ns);
  await cluster.apply(ns, [
    architecture("crashy", ns, {
      components: [{ name: "api", type: "service", image: CRASH_LOOP_IMAGE }],
    }),
  ]);
  const a = await componentSays(ns, "crashy", "api", /keeps crashing/);
  const message = a.status?.components?.find((c) => c.name === "api")?.message ?? "";
  assert.match(
    message,
    new RegExp(
      `pod crashy-api-[a-z0-9]+-[a-z0-9]+: container 'api' keeps crashing \\(CrashLoopBackOff\\): last exit code ${CRASH_EXIT_CODE} \\(Error\\)`,
    ),
  );
  assert.match(message, /kubectl logs crashy-api-\S+ -c api --previous/);
});

// A datastore restoring from a backup, with the real operator on a real
// kube-apiserver: phase Restoring and a Restoring condition while its restore
// Job runs, the components that use it held back (no Deployment), then once
// the Job completes (the test plays Job controller) the users are created and
// Restoring is gone.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Architecture } from "../../operator/api/schema.ts";
import { resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { clientFor, converged, installCrd, startOperator } from "../support/operator.ts";

let cluster: TestCluster;
before(
  async () => {
    cluster = await getCluster("apiserver");
    await installCrd(cluster);
  },
  { timeout: 40 * 60_000 },
);

const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");
const JOBS = resourceFor("batch/v1", "Job");

const shop = (ns: string): Architecture => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "shop", namespace: ns },
  spec: {
    components: [
      { name: "old", type: "postgres" },
      { name: "db", type: "postgres", restore: { from: { component: "old" } } },
      { name: "api", type: "service", image: "ex/api:1", uses: ["db"] },
    ],
    backups: [{ component: "old", schedule: "@daily" }],
    monitoring: { serviceMonitors: false, dashboard: false },
  },
});

test("Restoring while the restore Job runs, its users held back until it completes", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "restore-hold" });
  const client = clientFor(cluster);
  await startOperator(t, cluster, ns);
  await client.apply(shop(ns) as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
  const arch = await cluster.eventually("phase Restoring", async () => {
    const a = await converged(cluster, client, ns, "shop");
    return a.status?.phase === "Restoring" ? a : undefined;
  });
  const restoring = arch.status?.conditions?.find((c) => c.type === "Restoring");
  assert.equal(restoring?.status, "True");
  assert.match(restoring?.message ?? "", /^db: restoring from .*\/old@latest/);
  assert.equal(
    arch.status?.components?.find((c) => c.name === "api")?.message,
    "held back until db is restored",
  );
  const job = await cluster.eventually("the restore Job", () =>
    client.find<KubeObject>(JOBS, ns, "shop-db-restore"),
  );
  assert.ok(job);
  assert.equal(await client.find(DEPLOYMENTS, ns, "shop-api"), undefined);

  // The Job controller's part: the restore succeeded.
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const done = { type: "Complete", status: "True", lastProbeTime: now, lastTransitionTime: now };
  await cluster.kubectl([
    ...["patch", "job", "shop-db-restore", "-n", ns, "--subresource=status", "--type=merge"],
    "-p",
    JSON.stringify({
      status: {
        startTime: now,
        completionTime: now,
        succeeded: 1,
        conditions: [{ ...done, type: "SuccessCriteriaMet" }, done],
      },
    }),
  ]);
  await cluster.eventually("the api Deployment, once restored", () =>
    client.find<KubeObject>(DEPLOYMENTS, ns, "shop-api"),
  );
  const after = await cluster.eventually("phase past Restoring", async () => {
    const a = await converged(cluster, client, ns, "shop");
    return a.status?.phase !== "Restoring" ? a : undefined;
  });
  assert.equal(
    after.status?.conditions?.find((c) => c.type === "Restoring"),
    undefined,
  );
});

// Every reference blueprint's `prod` environment on the local cluster, as a
// user applies it: `archctl apply --env prod --wait` with the operator
// running. Each must reach Ready with its replicated datastores whole (ready
// == desired > 1): post's MySQL replicas and Redis with Sentinel, task-queue's
// Redis and PostgreSQL replicas, chat's RabbitMQ cluster and MongoDB replica
// set, trading's three Kafka brokers and PostgreSQL replicas; rag's Milvus is
// standalone by design. The cluster has what such a cluster has: the CRDs of
// the integrations prod uses (Gateway API and Envoy Gateway for the edge,
// cert-manager, KEDA, the Prometheus Operator; their controllers do not run
// here), three worker nodes in three zones and a GPU pool.
// Its own kwok cluster (archctl-test-prod-<checkout>): the CRDs change what
// the operator renders, which other files sharing a cluster do not expect.
import { CHECKOUT_ID } from "../support/checkout-id.ts";

process.env.ARCHCTL_TEST_CLUSTER_NAME ||= `archctl-test-prod-${CHECKOUT_ID}`;

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import type { ArchitectureStatus } from "../../operator/api/schema/status.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import { installIntegrationCrds } from "../cluster/integration-crds.ts";
import type { TestCluster } from "../support/cluster.ts";
import { teamSecretsOf } from "../support/team-secrets.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");
const { clientFor, getArchitecture, installCrd, startOperator } = await import(
  "../support/operator.ts"
);

let cluster: TestCluster;
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
  const crds = Date.now();
  // Before any operator starts, so that its discovery finds them.
  await installIntegrationCrds(cluster.kubectl, [
    "gateway-api",
    "envoy-gateway",
    "cert-manager",
    "keda",
    "prometheus-operator",
  ]);
  process.stderr.write(
    `# integration CRDs installed in ${((Date.now() - crds) / 1000).toFixed(1)} s\n`,
  );
});

const MAIN = join(REPO_ROOT, "cli/main.ts");

/** The datastores each blueprint's prod runs with members, and how many. */
const REPLICATED: Record<string, Record<string, number>> = {
  post: { mysql: 3, redis: 3 },
  "task-queue": { redis: 3, results: 3 },
  chat: { rabbitmq: 3, history: 3 },
  trading: { kafka: 3, ledger: 3 },
  rag: {},
};
type ComponentStatus = NonNullable<ArchitectureStatus["components"]>[number];
const DATASTORES = new Set([
  "postgres",
  "mysql",
  "redis",
  "mongodb",
  "rabbitmq",
  "kafka",
  "milvus",
]);

for (const [name, replicated] of Object.entries(REPLICATED)) {
  test(`${name} --env prod: Ready, every replicated datastore with all its members ready`, async (t) => {
    const setup = Date.now();
    const ns = await cluster.namespace(t, { prefix: `prod-${name}` });
    await startOperator(t, cluster, ns);
    const setupMs = Date.now() - setup;
    const file = `blueprints/${name}.yaml`;
    const text = readFileSync(join(REPO_ROOT, file), "utf8");
    const arch = loadBlueprint(text, { file, env: "prod" }).architecture;
    assert.ok(arch);
    // The blueprint's own view of prod: exactly these datastores have members.
    const members = Object.fromEntries(
      arch.spec.components
        .filter((c) => DATASTORES.has(c.type) && (c.replicas ?? 1) > 1)
        .map((c) => [c.name, c.replicas]),
    );
    assert.deepEqual(members, replicated);
    const secrets = teamSecretsOf(arch, ns);
    if (secrets.length) await cluster.apply(ns, secrets);

    const started = Date.now();
    const r = await execa(
      process.execPath,
      [
        MAIN,
        "--kubeconfig",
        cluster.kubeconfig,
        "-n",
        ns,
        "apply",
        "-f",
        file,
        "--env",
        "prod",
        "--wait",
        "--timeout",
        "5m",
      ],
      { reject: false, env: { NO_COLOR: "1", ARCHCTL_DEBUG: "" }, timeout: 360_000 },
    );
    const readyMs = Date.now() - started;
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(String(r.stdout), new RegExp(`✓ ${name} is Ready \\((\\d+)/\\1 components\\)`));

    const status: ArchitectureStatus | undefined = (
      await getArchitecture(clientFor(cluster), ns, name)
    )?.status;
    assert.equal(status?.phase, "Ready");
    const seen: string[] = [];
    for (const [component, want] of Object.entries(replicated)) {
      const c: ComponentStatus | undefined = status?.components?.find((x) => x.name === component);
      assert.ok(c, `${component} in status`);
      assert.equal(c.desired, want, `${component} desired members`);
      assert.equal(c.ready, c.desired, `${component}: ${c.message}`);
      seen.push(
        `${component} ${c.ready}/${c.desired}${c.primary ? ` (primary ${c.primary})` : ""}`,
      );
    }
    for (const c of status?.components ?? [])
      assert.equal(c.ready, c.desired, `${c.name} ready: ${c.message}`);
    t.diagnostic(
      `${name} prod Ready in ${(readyMs / 1000).toFixed(1)} s (apply --wait; namespace and operator start before it ${(setupMs / 1000).toFixed(1)} s); ${seen.join(", ") || "no replicated datastore (Milvus standalone)"}`,
    );
  });
}

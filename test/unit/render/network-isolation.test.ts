// Least privilege on the network: for every reference blueprint (each
// environment, with and without KEDA), evaluate the rendered NetworkPolicies
// the way the API defines them and compute which application components'
// pods can reach each datastore's client port. That set must be exactly the
// components whose `uses` names the datastore; Milvus' own etcd and MinIO must
// be reachable by no application component at all.
//
// The evaluator (policy-evaluator.ts) follows networking.k8s.io/v1 semantics.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadBlueprint } from "../../../cli/blueprint/loader.ts";
import { applyDefaults, DATASTORE_DEFAULTS } from "../../../operator/api/defaults.ts";
import type { DatastoreType } from "../../../operator/api/schema.ts";
import { isAppType, isDatastoreType } from "../../../operator/api/schema.ts";
import type { Capabilities } from "../../../operator/render/index.ts";
import { render } from "../../../operator/render/index.ts";
import { allowed, NS, type Pod, type Policy, podsOf } from "./policy-evaluator.ts";

const ROOT = join(import.meta.dirname, "../../..");
const BLUEPRINTS = ["post", "task-queue", "chat", "trading", "rag"];

const CAPS: Capabilities[] = [
  { keda: true, serviceMonitors: true },
  { keda: false, serviceMonitors: false },
];

test("NetworkPolicies of the five blueprints let exactly the users of a datastore reach its client port", (t) => {
  let checked = 0;
  let allowedPairs = 0;
  let scenarios = 0;
  for (const name of BLUEPRINTS) {
    const text = readFileSync(join(ROOT, "blueprints", `${name}.yaml`), "utf8");
    const envs = loadBlueprint(text, { file: name }).environments;
    for (const env of envs) {
      const loaded = loadBlueprint(text, { file: `${name}.yaml`, env });
      assert.ok(loaded.architecture, `${name} ${env}`);
      const arch = {
        ...loaded.architecture,
        metadata: { ...loaded.architecture.metadata, namespace: NS },
      };
      const resolved = applyDefaults(arch);
      for (const caps of CAPS) {
        scenarios++;
        const where = `${name} (${env}, keda=${caps.keda})`;
        const objects = render(arch, caps).objects;
        const policies = objects.filter((o): o is Policy => o.kind === "NetworkPolicy");
        assert.ok(policies.length > 0, `${where}: no NetworkPolicy rendered`);
        const pods = podsOf(objects);
        const apps = resolved.components.filter((c) => isAppType(c.type));
        const stores = resolved.components.filter((c) => isDatastoreType(c.type));
        assert.ok(stores.length > 0, `${where}: no datastore`);
        for (const store of stores) {
          const port = store.port;
          assert.ok(port, `${where}: ${store.name} has no client port`);
          const main = pods.filter(
            (p) =>
              p.workload === `StatefulSet/${arch.metadata.name}-${store.name}` &&
              p.component === store.name,
          );
          assert.equal(main.length, 1, `${where}: the StatefulSet of ${store.name}`);
          const dst = main[0] as Pod;
          assert.ok(dst.ports.includes(port), `${where}: ${store.name} listens on ${port}`);
          const reach = new Set<string>();
          for (const app of apps) {
            const srcPods = pods.filter(
              (p) => p.component === app.name && !p.labels["archctl.io/role"],
            );
            assert.ok(srcPods.length > 0, `${where}: no pods for ${app.name}`);
            for (const src of srcPods) {
              checked++;
              if (allowed(policies, src, dst, port)) reach.add(app.name);
            }
          }
          allowedPairs += reach.size;
          const users = apps.filter((a) => a.uses.includes(store.name)).map((a) => a.name);
          assert.deepEqual(
            [...reach].sort(),
            users.sort(),
            `${where}: who reaches ${store.name}:${port}`,
          );
          // A non-user must not reach the datastore on any port it listens on,
          // except the exporter's metrics port, open to Prometheus in any
          // namespace by design (metrics, no data).
          const metricsPort = DATASTORE_DEFAULTS[store.type as DatastoreType].metricsPort;
          for (const app of apps.filter((a) => !a.uses.includes(store.name)))
            for (const src of pods.filter((p) => p.component === app.name))
              for (const p of dst.ports.filter((x) => x !== metricsPort))
                assert.ok(
                  !allowed(policies, src, dst, p),
                  `${where}: ${app.name} reaches ${store.name} on port ${p}`,
                );
          // Milvus' own etcd and MinIO: no application component at all.
          if (store.type === "milvus") {
            const parts = pods.filter(
              (p) =>
                p.component === store.name &&
                p.workload !== `StatefulSet/${arch.metadata.name}-${store.name}` &&
                p.workload.startsWith("StatefulSet/"),
            );
            assert.equal(parts.length, 2, `${where}: milvus etcd and MinIO`);
            for (const part of parts)
              for (const app of apps)
                for (const src of pods.filter((p) => p.component === app.name))
                  for (const p of part.ports) {
                    checked++;
                    assert.ok(
                      !allowed(policies, src, part, p),
                      `${where}: ${app.name} reaches ${part.workload}:${p}`,
                    );
                  }
          }
        }
      }
    }
  }
  t.diagnostic(
    `${scenarios} blueprint/environment/capability combinations, ${checked} (app pod, datastore) checks, ${allowedPairs} allowed pairs, all equal to the uses graph`,
  );
});

test("the evaluator is not vacuous: without the policies every app reaches every datastore", () => {
  const text = readFileSync(join(ROOT, "blueprints", "post.yaml"), "utf8");
  const loaded = loadBlueprint(text, { file: "post.yaml", env: "dev" });
  assert.ok(loaded.architecture);
  const objects = render(loaded.architecture).objects;
  const pods = podsOf(objects);
  const api = pods.find((p) => p.component === "api") as Pod;
  const redis = pods.find((p) => p.workload.endsWith("-redis")) as Pod;
  assert.ok(api && redis);
  assert.equal(allowed([], api, redis, 6379), true);
  const policies = objects.filter((o): o is Policy => o.kind === "NetworkPolicy");
  assert.equal(allowed(policies, api, redis, 6379), true, "api uses redis");
  assert.equal(allowed(policies, api, redis, 1), false, "but not on another port");
  const stranger = { ...api, labels: { ...api.labels, "app.kubernetes.io/instance": "post-x" } };
  assert.equal(allowed(policies, stranger, redis, 6379), false, "a pod that does not use it");
});

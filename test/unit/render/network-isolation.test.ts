// Least privilege on the network: for every reference blueprint (each
// environment, with and without KEDA), evaluate the rendered NetworkPolicies
// the way the API defines them and compute which application components'
// pods can reach each datastore's client port. That set must be exactly the
// components whose `uses` names the datastore; Milvus' own etcd and MinIO must
// be reachable by no application component at all.
//
// The evaluator follows networking.k8s.io/v1 semantics: a pod selected by no
// Ingress policy accepts everything; otherwise a connection is allowed when any
// rule of any selecting policy has a matching peer (podSelector in the policy's
// namespace, namespaceSelector, or both) and a matching port (no ports = all).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadBlueprint } from "../../../cli/blueprint/loader.ts";
import { applyDefaults, DATASTORE_DEFAULTS } from "../../../operator/api/defaults.ts";
import { COMPONENT_LABEL } from "../../../operator/api/names.ts";
import type { DatastoreType } from "../../../operator/api/schema.ts";
import { isAppType, isDatastoreType } from "../../../operator/api/schema.ts";
import type { Capabilities, KubeObject } from "../../../operator/render/index.ts";
import { render } from "../../../operator/render/index.ts";

const ROOT = join(import.meta.dirname, "../../..");
const NS = "team-a";
const NS_LABELS = { "kubernetes.io/metadata.name": NS };
const BLUEPRINTS = ["post", "task-queue", "chat", "trading", "rag"];

type Labels = Record<string, string>;
type Selector = {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
};
type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: unknown };
type Rule = { from?: Peer[]; ports?: { protocol?: string; port?: number | string }[] };
type Policy = KubeObject & {
  spec: { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[] };
};
type Pod = { workload: string; component: string; labels: Labels; ports: number[] };

function matches(sel: Selector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = k(labels, e.key);
    const v = labels[e.key];
    if (e.operator === "In" && !(has && e.values?.includes(v as string))) return false;
    if (e.operator === "NotIn" && has && e.values?.includes(v as string)) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}
const k = (labels: Labels, key: string) => Object.hasOwn(labels, key);

/** Pods of every rendered workload (pod template labels), by component. */
function podsOf(objects: KubeObject[]): Pod[] {
  const out: Pod[] = [];
  for (const o of objects) {
    const spec = o.spec as Record<string, unknown> | undefined;
    let template: { metadata?: { labels?: Labels }; spec?: { containers?: unknown[] } } | undefined;
    if (["Deployment", "StatefulSet", "Job"].includes(o.kind))
      template = spec?.template as typeof template;
    else if (o.kind === "CronJob")
      template = (spec?.jobTemplate as { spec?: { template?: typeof template } })?.spec?.template;
    if (!template) continue;
    const labels = template.metadata?.labels ?? {};
    const ports = (
      (template.spec?.containers ?? []) as { ports?: { containerPort: number }[] }[]
    ).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
    out.push({
      workload: `${o.kind}/${o.metadata.name}`,
      component: o.metadata.labels?.[COMPONENT_LABEL] ?? "",
      labels,
      ports,
    });
  }
  return out;
}

/** May a pod (in NS) open a TCP connection to `port` on pod `dst`? */
function allowed(policies: Policy[], src: Pod, dst: Pod, port: number): boolean {
  const selecting = policies.filter(
    (p) =>
      (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress") &&
      matches(p.spec.podSelector, dst.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (p.spec.ingress ?? []).some((rule) => {
      const peerOk =
        !rule.from ||
        rule.from.length === 0 ||
        rule.from.some((peer) => {
          if (peer.ipBlock) return false; // pod-to-pod traffic inside the cluster
          const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, NS_LABELS) : true; // no namespaceSelector: the policy's own namespace (NS)
          const podOk = peer.podSelector ? matches(peer.podSelector, src.labels) : true;
          return nsOk && podOk;
        });
      const portOk =
        !rule.ports ||
        rule.ports.length === 0 ||
        rule.ports.some(
          (r) => (r.protocol ?? "TCP") === "TCP" && (r.port === undefined || r.port === port),
        );
      return peerOk && portOk;
    }),
  );
}

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

// The GitOps path, as a user runs it: `archctl render --objects | kubectl
// apply --dry-run=server -f -`, for every blueprint in every environment, with
// the optional kinds assumed present and absent, and each blueprint with its
// ingress provider flipped (nginx <-> gateway), so both providers are checked
// for every blueprint. The project's own kubectl (a go-yaml, YAML 1.1 reader
// like Helm, Argo CD and Flux) parses the YAML, and the real API server checks
// every custom object against the real CRDs of the Prometheus Operator, KEDA,
// Gateway API, Envoy Gateway, cert-manager and Istio
// (test/cluster/integration-crds.ts). Nothing is created: dry run only.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { render } from "../../operator/render/index.ts";
import { toYamlStream } from "../../operator/render/yaml-output.ts";
import { type IntegrationName, installIntegrationCrds } from "../cluster/integration-crds.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { flipProvider } from "../support/flip-provider.ts";
import { archctl, ROOT } from "../unit/cli/helpers.ts";

const CRDS: IntegrationName[] = [
  "keda",
  "prometheus-operator",
  "gateway-api",
  "envoy-gateway",
  "cert-manager",
  "istio",
];
/** Kinds that only exist where an integration's CRDs are installed. */
const CUSTOM = new Set([
  "ServiceMonitor",
  "PrometheusRule",
  "ScaledObject",
  "TriggerAuthentication",
  "HTTPRoute",
  "ReferenceGrant",
  "BackendTrafficPolicy",
  "Certificate",
  "DestinationRule",
]);

let cluster: TestCluster;
let createdCrds: string[] = [];
before(async () => {
  cluster = await getCluster("apiserver");
  createdCrds = await installIntegrationCrds(cluster.kubectl, CRDS);
});
// CRDs are cluster-wide: remove the ones this file added, so that later files
// on the shared cluster still see a cluster without KEDA or the Prometheus Operator.
after(async () => {
  if (createdCrds.length)
    await cluster.kubectl(
      ["delete", "--ignore-not-found", "--timeout=120s", ...createdCrds.map((c) => `crd/${c}`)],
      { reject: false, timeoutMs: 150_000 },
    );
});

const blueprints = readdirSync(join(ROOT, "blueprints"))
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const cases = blueprints.flatMap((file) => {
  const path = join(ROOT, "blueprints", file);
  const envs = loadBlueprint(readFileSync(path, "utf8"), { file: path }).environments;
  return [undefined, ...envs].map((env) => ({ file, env }));
});
const MODES = [
  { label: "optional kinds present", args: [] as string[] },
  { label: "optional kinds absent", args: ["--api-versions", "none"] },
];

const byKind = new Map<string, number>();
let runs = 0;

for (const { file, env } of cases) {
  for (const mode of MODES) {
    test(`${file}${env ? ` --env ${env}` : ""}, ${mode.label}: kubectl apply --dry-run=server takes every object`, async (t) => {
      const ns = await cluster.namespace(t, { prefix: `dry-${file.replace(/\.yaml$/, "")}` });
      const rendered = await archctl([
        "render",
        "-f",
        `blueprints/${file}`,
        ...(env ? ["--env", env] : []),
        "-n",
        ns,
        "--objects",
        ...mode.args,
      ]);
      assert.equal(rendered.code, 0, rendered.stderr);
      const kinds = parseAllDocuments(rendered.stdout).map(
        (d) => (d.toJS() as { kind: string }).kind,
      );
      assert.ok(kinds.length > 0, "objects rendered");
      const r = await cluster.kubectl(["apply", "--dry-run=server", "-o", "name", "-f", "-"], {
        input: rendered.stdout,
        reject: false,
        timeoutMs: 120_000,
      });
      assert.equal(r.exitCode, 0, `kubectl refused the output of render:\n${r.stderr}`);
      const applied = r.stdout.split("\n").filter((l) => l.trim() !== "");
      assert.equal(applied.length, kinds.length, `one line per object:\n${r.stdout}`);
      const optional = kinds.filter((k) => CUSTOM.has(k));
      if (mode.args.length) assert.deepEqual(optional, [], "absent kinds are not rendered");
      for (const k of kinds) byKind.set(k, (byKind.get(k) ?? 0) + 1);
      runs++;
    });
  }
}

// The same blueprints with the other provider: dev (nginx) moved to gateway
// with a Gateway in another namespace (so the ReferenceGrant is rendered too),
// prod (gateway) moved back to nginx. Rendered in process, all kinds present.
let flipped = 0;
for (const { file, env } of cases) {
  test(`${file}${env ? ` --env ${env}` : ""}, provider flipped: kubectl apply --dry-run=server takes every object`, async (t) => {
    const path = join(ROOT, "blueprints", file);
    const loaded = loadBlueprint(readFileSync(path, "utf8"), {
      file: path,
      ...(env ? { env } : {}),
    });
    assert.ok(loaded.architecture);
    const ns = await cluster.namespace(t, { prefix: `flip-${file.replace(/\.yaml$/, "")}` });
    const flippedArch = flipProvider(loaded.architecture, "infra");
    if (!flippedArch) return; // no ingress: nothing to flip
    // And with Istio's DestinationRules for the datastores and internal services.
    const arch = {
      ...flippedArch,
      spec: {
        ...flippedArch.spec,
        mesh: {
          connectionPool: { maxConnections: 200, maxPendingRequests: 50 },
          outlierDetection: { consecutive5xx: 3, interval: "5s" },
        },
      },
    };
    const objects = render({ ...arch, metadata: { ...arch.metadata, namespace: ns } }).objects;
    const r = await cluster.kubectl(["apply", "--dry-run=server", "-o", "name", "-f", "-"], {
      input: toYamlStream(objects),
      reject: false,
      timeoutMs: 120_000,
    });
    assert.equal(r.exitCode, 0, `kubectl refused the flipped render:\n${r.stderr}`);
    assert.equal(r.stdout.split("\n").filter((l) => l.trim() !== "").length, objects.length);
    for (const o of objects) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
    flipped++;
  });
}

test("counts: every blueprint × environment × mode was dry-run, every custom kind included", (t) => {
  assert.equal(runs, cases.length * MODES.length);
  assert.ok(flipped > 0, "some blueprint was dry-run with the other provider");
  for (const kind of CUSTOM)
    if (kind !== "DestinationRule")
      assert.ok((byKind.get(kind) ?? 0) > 0, `some ${kind} was checked`);
  const total = [...byKind.values()].reduce((a, b) => a + b, 0);
  const kinds = [...byKind.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const custom = [...byKind.entries()]
    .filter(([k]) => CUSTOM.has(k))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  t.diagnostic(
    `${blueprints.length} blueprints, ${cases.length} blueprint×environment, ${runs} dry runs + ${flipped} with the provider flipped, ${total} objects: ${kinds}`,
  );
  t.diagnostic(`custom objects checked against their real CRDs: ${custom}`);
});

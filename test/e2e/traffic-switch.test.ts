// Moving a blueprint's edge from ingress-nginx to Gateway API and back, as a
// user does it: one field in the file, `archctl plan`, `archctl apply --wait`.
// Gateway API, Envoy Gateway and cert-manager are present by their real CRDs
// (their controllers do not run here). Nothing may be left behind, and plan is
// empty afterwards; bad input is refused with nothing changed.
// Its own kwok cluster (archctl-test-traffic-<checkout>), as in cli.test.ts.
import { CHECKOUT_ID } from "../support/checkout-id.ts";

process.env.ARCHCTL_TEST_CLUSTER_NAME ||= `archctl-test-traffic-${CHECKOUT_ID}`;

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { execa } from "execa";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { toYaml } from "../../operator/render/yaml-output.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import { installIntegrationCrds } from "../cluster/integration-crds.ts";
import type { TestCluster } from "../support/cluster.ts";
import { flipProvider } from "../support/flip-provider.ts";

const { getCluster, stopFileClusterOf } = await import("../support/cluster.ts");
const { installCrd, startOperator } = await import("../support/operator.ts");

let cluster: TestCluster;
const dir = mkdtempSync(join(tmpdir(), "archctl-traffic-"));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  return stopFileClusterOf(cluster);
});
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
  // Before the operator starts, so that its first discovery finds them.
  await installIntegrationCrds(cluster.kubectl, ["gateway-api", "envoy-gateway", "cert-manager"]);
});

const MAIN = join(REPO_ROOT, "cli/main.ts");
async function archctl(args: string[]) {
  const r = await execa(process.execPath, [MAIN, "--kubeconfig", cluster.kubeconfig, ...args], {
    reject: false,
    env: { NO_COLOR: "1", ARCHCTL_DEBUG: "" },
    timeout: 300_000,
    stdin: "ignore",
  });
  return { code: r.exitCode, out: `${r.stdout}\n${r.stderr}` };
}

/** The edge objects of the Architecture: kind/name, sorted. */
async function edge(ns: string, name: string): Promise<string[]> {
  const kinds = [
    "ingresses.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
    "backendtrafficpolicies.gateway.envoyproxy.io",
    "certificates.cert-manager.io",
  ];
  const r = await cluster.kubectl([
    "get",
    kinds.join(","),
    "-n",
    ns,
    "-l",
    `${ARCHITECTURE_LABEL}=${name}`,
    "-o",
    "json",
  ]);
  const items = (
    JSON.parse(r.stdout) as {
      items: { kind: string; metadata: { name: string; deletionTimestamp?: string } }[];
    }
  ).items;
  return items
    .filter((o) => !o.metadata.deletionTimestamp)
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();
}

function write(file: string, arch: Architecture): string {
  const path = join(dir, file);
  const { namespace: _ns, ...metadata } = arch.metadata;
  writeFileSync(path, toYaml({ ...arch, metadata }));
  return path;
}

function post(): Architecture {
  const text = readFileSync(join(REPO_ROOT, "blueprints", "post.yaml"), "utf8");
  const loaded = loadBlueprint(text, { file: "post.yaml", env: "dev" });
  assert.ok(loaded.architecture);
  // With TLS, so the Certificate and ReferenceGrant move too.
  const a = loaded.architecture;
  return {
    ...a,
    spec: {
      ...a.spec,
      ingress: { ...a.spec.ingress, tls: { clusterIssuer: "letsencrypt" } } as never,
    },
  };
}

test("post: nginx -> gateway -> nginx with apply --wait; nothing left behind, plan empty after each", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "traffic" });
  const gwNs = await cluster.namespace(t, { prefix: "infra" });
  await startOperator(t, cluster, ns);
  const nginx = post();
  const gateway = flipProvider(nginx, gwNs);
  assert.ok(gateway);
  const nginxFile = write("nginx.yaml", nginx);
  const gatewayFile = write("gateway.yaml", gateway);

  const first = await archctl(["-n", ns, "apply", "-f", nginxFile, "--wait"]);
  assert.equal(first.code, 0, first.out);
  assert.deepEqual(await edge(ns, "post"), ["Ingress/post"]);

  const plan = await archctl(["-n", ns, "plan", "-f", gatewayFile]);
  assert.equal(plan.code, 1, `plan shows changes:\n${plan.out}`);
  for (const k of ["Ingress", "HTTPRoute", "BackendTrafficPolicy", "Certificate", "ReferenceGrant"])
    assert.match(plan.out, new RegExp(k), `plan names ${k}:\n${plan.out}`);

  const toGateway = await archctl(["-n", ns, "apply", "-f", gatewayFile, "--wait"]);
  assert.equal(toGateway.code, 0, toGateway.out);
  const onGateway = [
    "BackendTrafficPolicy/post-posts-dev-example-com",
    "Certificate/post-ingress-tls",
    "HTTPRoute/post-posts-dev-example-com",
    "ReferenceGrant/post-ingress-tls",
  ];
  await cluster.eventually("the Ingress gone, routes and policies there", async () => {
    const now = await edge(ns, "post");
    return JSON.stringify(now) === JSON.stringify(onGateway) ? now : undefined;
  });
  const settled = await archctl(["-n", ns, "plan", "-f", gatewayFile]);
  assert.equal(settled.code, 0, `plan empty on gateway:\n${settled.out}`);

  const back = await archctl(["-n", ns, "apply", "-f", nginxFile, "--wait"]);
  assert.equal(back.code, 0, back.out);
  await cluster.eventually("back to the Ingress alone", async () => {
    const now = await edge(ns, "post");
    return JSON.stringify(now) === JSON.stringify(["Ingress/post"]) ? now : undefined;
  });
  const again = await archctl(["-n", ns, "plan", "-f", nginxFile]);
  assert.equal(again.code, 0, `plan empty on nginx:\n${again.out}`);
  t.diagnostic(`on gateway: ${onGateway.join(", ")}; back on nginx: Ingress/post only`);
});

test("bad traffic input is refused with a clear message and changes nothing", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "traffic-bad" });
  await startOperator(t, cluster, ns);
  const good = post();
  const ok = await archctl(["-n", ns, "apply", "-f", write("good.yaml", good), "--wait"]);
  assert.equal(ok.code, 0, ok.out);
  const state = async () =>
    JSON.parse(
      (await cluster.kubectl(["get", "architecture", "post", "-n", ns, "-o", "json"])).stdout,
    ).metadata as { generation: number; resourceVersion: string };
  const before = await state();
  const edgeBefore = await edge(ns, "post");
  const ing = good.spec.ingress as NonNullable<Architecture["spec"]["ingress"]>;
  const gatewayTo = (namespace: string) => flipProvider(good, namespace) as Architecture;
  const cases: { label: string; arch: Architecture; message: RegExp }[] = [
    {
      label: "a Gateway in a namespace that does not exist",
      arch: gatewayTo("no-such-namespace"),
      message: /namespace 'no-such-namespace' does not exist/,
    },
    {
      label: "a route to a component that serves no HTTP",
      arch: {
        ...good,
        spec: {
          ...good.spec,
          ingress: {
            ...ing,
            hosts: [{ host: "posts.example.com", routes: [{ path: "/", component: "mysql" }] }],
          },
        },
      },
      message: /goes to 'mysql', a mysql; only services and gateways take traffic/,
    },
    {
      label: "an unknown provider",
      arch: { ...good, spec: { ...good.spec, ingress: { ...ing, provider: "traefik" as never } } },
      message: /provider/,
    },
    {
      label: "conflicting limits",
      arch: {
        ...good,
        spec: { ...good.spec, ingress: { ...ing, rateLimit: { rps: 100, rpm: 60 } } },
      },
      message: /conflicting limits/,
    },
  ];
  for (const [i, c] of cases.entries()) {
    const file = write(`bad-${i}.yaml`, c.arch);
    for (const verb of ["plan", "apply"]) {
      const r = await archctl(["-n", ns, verb, "-f", file]);
      assert.equal(r.code, 2, `${c.label} (${verb}): exit 2\n${r.out}`);
      assert.match(r.out, c.message, `${c.label} (${verb})`);
      assert.doesNotMatch(r.out, /\n\s+at .*\.ts:\d+/, `${c.label}: no stack trace`);
    }
  }
  assert.deepEqual(await state(), before, "the Architecture is unchanged");
  assert.deepEqual(await edge(ns, "post"), edgeBefore, "its edge objects are unchanged");
});

// Least privilege on the network, both directions: for every reference
// blueprint (each environment, with and without the optional integrations),
// every pod archctl creates is selected by an ingress and an egress policy,
// and an application pod can open exactly the connections its `uses` declares
// (both the source's egress and the destination's ingress must allow them),
// plus DNS; nothing outside the cluster. networkPolicy.egress: false lifts
// only the egress side.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadBlueprint } from "../../../cli/blueprint/loader.ts";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { isAppType } from "../../../operator/api/schema.ts";
import type { Capabilities } from "../../../operator/render/index.ts";
import { ALL_CAPABILITIES, render } from "../../../operator/render/index.ts";
import {
  allowedOut,
  connects,
  isolatedIn,
  isolatedOut,
  NS,
  type Policy,
  podsOf,
} from "./policy-evaluator.ts";

const ROOT = join(import.meta.dirname, "../../..");
const BLUEPRINTS = ["post", "task-queue", "chat", "trading", "rag"];
const CAPS: Capabilities[] = [ALL_CAPABILITIES, { keda: false, serviceMonitors: false }];
const KUBE_DNS = {
  namespace: { "kubernetes.io/metadata.name": "kube-system" },
  labels: { "k8s-app": "kube-dns" },
};
const OUTSIDE = { ip: "93.184.216.34" };

function architectures(): { where: string; arch: Architecture }[] {
  const out: { where: string; arch: Architecture }[] = [];
  for (const name of BLUEPRINTS) {
    const text = readFileSync(join(ROOT, "blueprints", `${name}.yaml`), "utf8");
    for (const env of loadBlueprint(text, { file: name }).environments) {
      const loaded = loadBlueprint(text, { file: `${name}.yaml`, env });
      assert.ok(loaded.architecture, `${name} ${env}`);
      const a = loaded.architecture;
      out.push({
        where: `${name} (${env})`,
        arch: { ...a, metadata: { ...a.metadata, namespace: NS } },
      });
    }
  }
  return out;
}

test("every pod of every blueprint is selected by an ingress and an egress policy", () => {
  let pods = 0;
  for (const { where, arch } of architectures())
    for (const caps of CAPS) {
      const objects = render(arch, caps).objects;
      const policies = objects.filter((o): o is Policy => o.kind === "NetworkPolicy");
      for (const pod of podsOf(objects)) {
        pods++;
        assert.ok(isolatedIn(policies, pod), `${where}: ${pod.workload} accepts anything`);
        assert.ok(isolatedOut(policies, pod), `${where}: ${pod.workload} may connect anywhere`);
        assert.ok(
          allowedOut(policies, pod, KUBE_DNS, 53, "UDP"),
          `${where}: ${pod.workload} cannot resolve names`,
        );
      }
    }
  assert.ok(pods > 100, `pods checked: ${pods}`);
});

test("an application pod reaches exactly what it uses, on its port, and nothing outside", (t) => {
  let pairs = 0;
  let open = 0;
  for (const { where, arch } of architectures()) {
    const resolved = applyDefaults(arch);
    const byName = new Map(resolved.components.map((c) => [c.name, c]));
    for (const caps of CAPS) {
      const objects = render(arch, caps).objects;
      const policies = objects.filter((o): o is Policy => o.kind === "NetworkPolicy");
      const pods = podsOf(objects);
      const sources = pods.filter(
        (p) => isAppType(byName.get(p.component)?.type ?? "mysql") && !p.labels["archctl.io/role"],
      );
      assert.ok(sources.length > 0, where);
      for (const src of sources) {
        const app = byName.get(src.component);
        assert.ok(app);
        const declared = (app.egress ?? []).length > 0;
        if (!declared)
          assert.ok(
            !allowedOut(policies, src, OUTSIDE, 443),
            `${where}: ${src.workload} reaches the internet`,
          );
        for (const dst of pods) {
          if (dst.component === src.component) continue;
          const target = byName.get(dst.component);
          // Probe 8080 too: workers, jobs and crons listen on nothing declared.
          for (const port of new Set([...dst.ports, 8080])) {
            pairs++;
            const instance = dst.labels["app.kubernetes.io/instance"];
            const server =
              port === target?.port &&
              dst.labels["archctl.io/role"] !== "backup" &&
              instance === `${arch.metadata.name}-${dst.component}`;
            // A replicated Redis' users ask its Sentinels for the master.
            const sentinel =
              target?.type === "redis" &&
              target.replicas > 1 &&
              port === 26379 &&
              instance === `${arch.metadata.name}-${dst.component}-sentinel`;
            const expected: boolean = app.uses.includes(dst.component) && (server || sentinel);
            const got = connects(policies, src, dst, port);
            if (got) open++;
            assert.equal(got, expected, `${where}: ${src.workload} -> ${dst.workload}:${port}`);
          }
        }
      }
    }
  }
  t.diagnostic(`${pairs} (app pod, pod, port) checks, ${open} open, all equal to the uses graph`);
});

test("networkPolicy.egress: false keeps the ingress side and lifts the egress side", () => {
  const [{ arch }] = architectures() as [{ where: string; arch: Architecture }];
  const off = {
    ...arch,
    spec: { ...arch.spec, networkPolicy: { ...arch.spec.networkPolicy, egress: false } },
  };
  const objects = render(off).objects;
  const policies = objects.filter((o): o is Policy => o.kind === "NetworkPolicy");
  for (const pod of podsOf(objects)) {
    assert.ok(isolatedIn(policies, pod), pod.workload);
    assert.ok(!isolatedOut(policies, pod), pod.workload);
    assert.ok(allowedOut(policies, pod, OUTSIDE, 443), pod.workload);
  }
});

test("a declared egress CIDR opens that block on its ports, and nothing else outside", () => {
  const [{ arch }] = architectures() as [{ where: string; arch: Architecture }];
  const app = arch.spec.components.find((c) => isAppType(c.type));
  assert.ok(app);
  const withEgress = {
    ...arch,
    spec: {
      ...arch.spec,
      components: arch.spec.components.map((c) =>
        c.name === app.name ? { ...c, egress: [{ cidr: "93.184.216.0/24", ports: [443] }] } : c,
      ),
    },
  };
  const objects = render(withEgress).objects;
  const policies = objects.filter((o): o is Policy => o.kind === "NetworkPolicy");
  const src = podsOf(objects).find((p) => p.component === app.name);
  assert.ok(src);
  assert.ok(allowedOut(policies, src, OUTSIDE, 443));
  assert.ok(!allowedOut(policies, src, OUTSIDE, 80), "another port");
  assert.ok(!allowedOut(policies, src, { ip: "192.0.2.1" }, 443), "another block");
});

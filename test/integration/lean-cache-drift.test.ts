// Drift detection on the cache's entries (compactChild in
// operator/runtime/child-entry.ts: no content, a digest of the fields
// archctl-operator owns) against a real API server: the children of a rendered
// Architecture are applied as the operator applies them, read back as the
// cache keeps them, and
// - nothing counts as drifted right after the apply (the API server's
//   defaults and normalisation are not mistaken for changes);
// - every owned leaf field that another manager changes (a JSON patch, as
//   `kubectl edit` would) makes the child count as drifted, as it does on the
//   whole object as served.
// The cached entry's size is printed next to the served object's.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { decideApply, withHash } from "../../operator/reconcile/drift.ts";
import { FIELD_MANAGER } from "../../operator/reconcile/types.ts";
import { render } from "../../operator/render/index.ts";
import { compactChild } from "../../operator/runtime/child-entry.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { architecture, clientFor } from "../support/operator.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
});

/** JSON-pointer paths of every scalar leaf of `value`. */
function leaves(value: unknown, path: string[] = []): string[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, String(i)]));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [path];
}

const pointer = (path: string[]) =>
  `/${path.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;

function at(obj: unknown, path: string[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

/** Another value of the same type: what an intruder would set. */
function changed(v: unknown): unknown {
  if (typeof v === "number") return v + 1;
  if (typeof v === "boolean") return !v;
  if (typeof v === "string")
    return /^[0-9.]+[A-Za-z]*$/.test(v)
      ? `${v.replace(/^[0-9]+/, (d) => String(Number(d) + 1))}`
      : `${v}x`;
  return v;
}

test("the cache: no false drift after an apply, and drift detected for every owned field another manager changes", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "lean-drift" });
  const client = clientFor(cluster);
  const rendered = render(
    architecture("shop", ns, {
      components: [
        {
          name: "api",
          type: "service",
          image: "ghcr.io/example/api:1",
          replicas: 2,
          env: { MODE: "prod" },
          uses: ["cache"],
        },
        { name: "cache", type: "redis", storage: { size: "1Gi" } },
      ],
      monitoring: { serviceMonitors: false, dashboard: false },
    }),
    { keda: false, serviceMonitors: false },
  );
  const kinds = new Set([
    "Deployment",
    "StatefulSet",
    "Service",
    "ConfigMap",
    "ServiceAccount",
    "PodDisruptionBudget",
    "NetworkPolicy",
  ]);
  const desired = rendered.objects.filter((o) => kinds.has(o.kind)).map(withHash);
  assert.ok(
    desired.some((o) => o.kind === "Deployment") && desired.some((o) => o.kind === "StatefulSet"),
  );
  const apply = (o: KubeObject) =>
    client.apply<KubeObject>(o, { fieldManager: FIELD_MANAGER, force: true });
  const read = async (o: KubeObject) =>
    client.get<KubeObject>(resourceFor(o.apiVersion, o.kind), ns, o.metadata.name);

  let full = 0;
  let kept = 0;
  let fields = 0;
  let detected = 0;
  let refused = 0;
  let noops = 0;
  const missed: string[] = [];
  const stuck: string[] = [];
  for (const want of desired) {
    await apply(want);
    const live = await read(want);
    full += JSON.stringify(live).length;
    const cached = compactChild(structuredClone(live));
    kept += JSON.stringify(cached).length;
    assert.deepEqual(
      decideApply(want, cached),
      { apply: false, reason: "unchanged" },
      `${want.kind}/${want.metadata.name}: drifted right after its apply`,
    );
    const { metadata: _m, ...body } = want;
    for (const path of leaves(body)) {
      if (path[0] === "apiVersion" || path[0] === "kind") continue;
      const before = at(want, path);
      const after = changed(before);
      if (after === before) continue;
      try {
        await client.jsonPatch(resourceFor(want.apiVersion, want.kind), ns, want.metadata.name, [
          { op: "replace", path: pointer(path), value: after },
        ]);
      } catch {
        refused++; // invalid as changed (a selector, an enum): nobody can make that change
        continue;
      }
      const served = await read(want);
      // The verdict on the whole object as served (what the CLI decides on, and
      // the cache held before it kept a digest), and on the cache entry.
      const onFull = decideApply(want, served).reason === "drifted";
      const onLean = decideApply(want, compactChild(served)).reason === "drifted";
      if (!onFull && !onLean)
        noops++; // the API server kept its own value
      else fields++;
      if (onLean) detected++;
      if (onFull && !onLean) missed.push(`${want.kind}/${want.metadata.name} ${pointer(path)}`);
      // Back as it was: the old value, then the operator's apply (a changed list
      // key, such as a Service port, would otherwise leave the intruder's item).
      await client.jsonPatch(resourceFor(want.apiVersion, want.kind), ns, want.metadata.name, [
        { op: "replace", path: pointer(path), value: before },
      ]);
      await apply(want);
      // Restored by the operator's apply: the entry reads as unchanged again
      // (the intruder may keep a share of the field; the digest must not care).
      const restored = decideApply(want, compactChild(await read(want))).reason;
      if (restored !== "unchanged")
        stuck.push(`${want.kind}/${want.metadata.name} ${pointer(path)}`);
    }
  }
  t.diagnostic(
    `${desired.length} children: ${full} bytes of JSON as served, ${kept} as cached (${Math.round((100 * kept) / full)}%); drift detected for ${detected} of ${fields} owned leaf fields changed by another manager (${refused} changes refused by the API server as invalid, ${noops} accepted but without effect: ${noops ? "the API server keeps the value" : "none"})`,
  );
  assert.deepEqual(missed, [], "owned fields whose change went unnoticed");
  assert.deepEqual(
    stuck,
    [],
    "fields still read as drifted after the operator's apply restored them",
  );
  assert.ok(fields >= 20, `only ${fields} fields tried`);
});

// plan and diff, pure: the LCS diff and its unified format, and the plan from
// the desired objects and a live view (changes, restores, prunes, data at risk).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeStyle } from "../../../cli/context.ts";
import { diffLines, unifiedDiff } from "../../../cli/plan/diff.ts";
import { box, computePlan, formatPlan, hasChanges, project } from "../../../cli/plan/plan.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import { render } from "../../../operator/render/index.ts";
import { NOW } from "./arch-view-fixtures.ts";

describe("diff", () => {
  test("LCS edit script", () => {
    const ops = diffLines(["a", "b", "c"], ["a", "x", "c", "d"]);
    assert.deepEqual(
      ops.map((o) => `${o.op}${o.line}`),
      [" a", "-b", "+x", " c", "+d"],
    );
  });

  test("unified diff with hunks and context", () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n");
    const b = a.replace("line 3", "line three").replace("line 17", "line seventeen");
    const d = unifiedDiff(a, b, { fromLabel: "live", toLabel: "after apply", context: 2 });
    assert.equal(d[0], "--- live");
    assert.equal(d[1], "+++ after apply");
    assert.equal(d[2], "@@ -2,5 +2,5 @@");
    assert.ok(d.includes("-line 3") && d.includes("+line three"));
    assert.equal(d.filter((l) => l.startsWith("@@")).length, 2);
    assert.deepEqual(unifiedDiff(a, a), []);
  });
});

const ARCH: Architecture = {
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "notes", namespace: "team" },
  spec: {
    components: [
      { name: "api", type: "service", image: "x/api:1", uses: ["db"] },
      { name: "db", type: "postgres", storage: { size: "1Gi" } },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
  },
};
const UID = "1111-2222";
const META = { name: "notes", namespace: "team", uid: UID } as Architecture["metadata"];

function rendered(spec: Architecture["spec"]): KubeObject[] {
  return render({ ...ARCH, spec, metadata: META }).objects;
}

/** What the API server would hold: the applied objects plus defaults and status. */
function liveOf(objects: KubeObject[]): KubeObject[] {
  return objects.map((o) => {
    const applied = JSON.parse(JSON.stringify(o)) as KubeObject & {
      spec?: Record<string, unknown>;
    };
    const { withHash } = hashMod;
    const withH = withHash(applied) as KubeObject & { spec?: Record<string, unknown> };
    (withH.metadata as unknown as Record<string, unknown>).uid = `${o.kind}-uid`;
    (withH.metadata as unknown as Record<string, unknown>).resourceVersion = "7";
    // Server defaults the renderer does not set.
    if (withH.spec && o.kind === "Deployment") {
      const tpl = withH.spec.template as { spec: Record<string, unknown> };
      tpl.spec.schedulerName = "default-scheduler";
      withH.spec.progressDeadlineSeconds = 600;
    }
    return withH;
  });
}
const hashMod = await import("../../../operator/reconcile/drift.ts");

describe("plan", () => {
  const input = (spec: Architecture["spec"], live: KubeObject[], storedSpec = ARCH.spec) => ({
    name: "notes",
    namespace: "team",
    storedSpec,
    appliedSpec: spec,
    storedUid: UID,
    creationTimestamp: "2026-01-01T10:00:00Z",
    oldObjects: rendered(storedSpec),
    newObjects: rendered(spec),
    secrets: render({ ...ARCH, spec, metadata: META }).secrets,
    live: [
      ...live,
      // The credentials the operator generated: its labels, every key of the engine.
      ...render({ ...ARCH, spec: storedSpec, metadata: META }).secrets.map((s) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: s.name, labels: s.labels },
        data: Object.fromEntries(Object.keys(s.keys).map((k) => [k, ""])),
      })),
    ],
    now: NOW,
  });

  test("nothing to do when the live objects match, server defaults included", () => {
    const plan = computePlan(input(ARCH.spec, liveOf(rendered(ARCH.spec))));
    assert.equal(hasChanges(plan), false, formatPlan(plan, { style: makeStyle(false) }).join("\n"));
    assert.deepEqual(plan.risks, []);
    assert.match(formatPlan(plan, { style: makeStyle(false) }).join("\n"), /No changes/);
  });

  test("an edit shows exactly that edit, in the Architecture and in the child", () => {
    const spec = structuredClone(ARCH.spec);
    (spec.components[0] as { replicas?: number }).replicas = 5;
    const plan = computePlan(input(spec, liveOf(rendered(ARCH.spec))));
    assert.equal(hasChanges(plan), true);
    assert.equal(plan.architecture.action, "change");
    const changed = plan.objects.filter((o) => o.action !== "unchanged");
    assert.ok(changed.some((o) => o.kind === "Deployment" && o.name === "notes-api"));
    const text = formatPlan(plan, { style: makeStyle(false) }).join("\n");
    assert.match(text, /~ Deployment notes-api/);
    assert.match(text, /\+ {2}replicas: 5/);
    assert.doesNotMatch(text, /schedulerName|progressDeadlineSeconds/);
    assert.doesNotMatch(text, /applied-hash/);
  });

  test("hand edits are restores; removed objects are pruned; missing ones created", () => {
    const live = liveOf(rendered(ARCH.spec));
    const dep = live.find((o) => o.kind === "Deployment") as KubeObject & {
      spec: { replicas: number };
    };
    dep.spec.replicas = 9;
    const svc = live.findIndex((o) => o.kind === "Service" && o.metadata.name === "notes-api");
    const [gone] = live.splice(svc, 1);
    live.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "notes",
        labels: {
          "archctl.io/architecture": "notes",
          "app.kubernetes.io/managed-by": "archctl-operator",
        },
        ownerReferences: [{ uid: UID } as never],
      },
    });
    const plan = computePlan(input(ARCH.spec, live));
    const by = (a: string) =>
      plan.objects.filter((o) => o.action === a).map((o) => `${o.kind}/${o.name}`);
    assert.deepEqual(by("restore"), ["Deployment/notes-api"]);
    assert.deepEqual(by("prune"), ["Ingress/notes"]);
    assert.deepEqual(by("create"), [`Service/${gone?.metadata.name}`]);
    const text = formatPlan(plan, { style: makeStyle(false) }).join("\n");
    assert.match(text, /- {2}replicas: 9/);
  });

  test("data at risk: a volume change refused, a datastore removed, deletionPolicy Delete, a ttl", () => {
    const spec = structuredClone(ARCH.spec);
    (spec.components[1] as { storage: { size: string } }).storage.size = "5Gi";
    spec.deletionPolicy = "Delete";
    spec.ttl = "1h";
    const pvc = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data-notes-db-0", labels: { "app.kubernetes.io/component": "db" } },
    };
    const plan = computePlan(input(spec, [...liveOf(rendered(ARCH.spec)), pvc]));
    const risks = plan.risks.join("\n");
    assert.match(
      risks,
      /StatefulSet notes-db: the data volume template changed .*The operator refuses this change/,
    );
    // Marked, so plan's server dry run leaves it out rather than report it twice.
    assert.deepEqual(
      plan.objects.filter((o) => o.refused).map((o) => `${o.kind}/${o.name}`),
      ["StatefulSet/notes-db"],
    );
    assert.match(risks, /deletionPolicy becomes Delete: .*data-notes-db-0/);
    assert.match(risks, /spec.ttl 1h has already passed since creation/);
    const noDb = structuredClone(ARCH.spec);
    noDb.components = [{ name: "api", type: "service", image: "x/api:1" }];
    const removed = computePlan(input(noDb, [...liveOf(rendered(ARCH.spec)), pvc]));
    assert.match(
      removed.risks.join("\n"),
      /datastore db \(postgres\) is removed: .*\(data-notes-db-0\) and credentials are kept/,
    );
    const text = formatPlan(plan, { style: makeStyle(false) });
    assert.match(text[0] ?? "", /^┌─ DATA AT RISK/);
    assert.ok(
      text.slice(0, 12).every((l) => l.length <= 78),
      "the box fits 78 columns",
    );
  });

  test("a new Architecture: everything is created", () => {
    const plan = computePlan({
      ...input(ARCH.spec, []),
      storedSpec: undefined,
      oldObjects: [],
      live: [],
    });
    assert.equal(plan.architecture.action, "create");
    assert.ok(plan.objects.every((o) => o.action === "create"));
    assert.ok(plan.objects.some((o) => o.kind === "Secret" && /never shown/.test(o.note ?? "")));
  });

  test("projection keeps only the desired fields and treats normalised quantities as equal", () => {
    assert.deepEqual(
      project({ a: { cpu: "1000m" }, b: [1] }, { a: { cpu: "1", extra: 2 }, b: [1, 2], c: 3 }),
      { a: { cpu: "1000m" }, b: [1, 2] },
    );
    assert.equal(
      box("T", ["x".repeat(200)]).every((l) => l.length === 78),
      true,
    );
  });
});

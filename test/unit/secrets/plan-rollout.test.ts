// `archctl plan` on a config file edit: the workload's change is a rollout,
// and a new generated secret is announced without a value.
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeStyle } from "../../../cli/context.ts";
import { computePlan, formatPlan } from "../../../cli/plan/plan.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import { withHash } from "../../../operator/reconcile/drift.ts";
import { render } from "../../../operator/render/index.ts";

const UID = "u-1";
const META = { name: "notes", namespace: "team", uid: UID } as Architecture["metadata"];
const spec = (content: string): Architecture["spec"] => ({
  secrets: [{ name: "jwt", generate: { bytes: 32 } }],
  components: [
    {
      name: "api",
      type: "service",
      image: "ex/api:1",
      secretEnv: { JWT: "jwt" },
      config: { mountPath: "/etc/api", files: { "app.yaml": content } },
    },
  ],
  monitoring: { serviceMonitors: false, dashboard: false },
});
const arch = (s: Architecture["spec"]): Architecture => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: META,
  spec: s,
});

function input(before: Architecture["spec"], after: Architecture["spec"], secrets: boolean) {
  const old = render(arch(before));
  const next = render(arch(after));
  const live: KubeObject[] = old.objects.map((o) => withHash(structuredClone(o)));
  if (secrets)
    for (const s of old.secrets)
      live.push({
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: s.name,
          labels: s.labels,
          annotations: { "archctl.io/engine": s.engine },
        },
        data: { value: "" },
      } as KubeObject);
  return {
    name: "notes",
    namespace: "team",
    storedSpec: before,
    appliedSpec: after,
    storedUid: UID,
    creationTimestamp: "2026-01-01T10:00:00Z",
    oldObjects: old.objects,
    newObjects: next.objects,
    secrets: next.secrets,
    live,
    now: new Date("2026-01-02T00:00:00Z"),
  };
}

test("a config file edit is a rollout of the Deployment and a change of the ConfigMap", () => {
  const plan = computePlan(input(spec("a: 1\n"), spec("a: 2\n"), true) as never);
  const dep = plan.objects.find((o) => o.kind === "Deployment");
  assert.equal(dep?.action, "change");
  assert.equal(dep?.note, "config files changed: the pods roll out");
  assert.equal(
    plan.objects.find((o) => o.kind === "ConfigMap" && o.name === "notes-api-config")?.action,
    "change",
  );
  const text = formatPlan(plan, { style: makeStyle(false) }).join("\n");
  assert.match(text, /config files changed: the pods roll out/);
});

test("the same content is no change; a new generated secret is announced, never its value", () => {
  const same = computePlan(input(spec("a: 1\n"), spec("a: 1\n"), true) as never);
  assert.equal(same.objects.find((o) => o.kind === "Deployment")?.action, "unchanged");
  const fresh = computePlan(input(spec("a: 1\n"), spec("a: 1\n"), false) as never);
  const secret = fresh.objects.find((o) => o.kind === "Secret");
  assert.deepEqual(
    [secret?.name, secret?.action, secret?.note],
    ["notes-jwt-secret", "create", "generated secret, made once (the value is never shown)"],
  );
});

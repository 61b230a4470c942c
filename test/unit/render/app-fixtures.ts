// Small Architectures for the application and concern renderer tests. Every
// fixture goes through validateArchitecture first, so a test never exercises a
// renderer with input the API would refuse.
import assert from "node:assert/strict";
import type { ResolvedComponent } from "../../../operator/api/defaults.ts";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { validateArchitecture } from "../../../operator/api/validate.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import type { RenderContext } from "../../../operator/render/context.ts";
import { createContext } from "../../../operator/render/context.ts";
import type { Capabilities } from "../../../operator/render/types.ts";
import { ALL_CAPABILITIES } from "../../../operator/render/types.ts";

export function ctxOf(
  spec: ArchitectureSpec,
  capabilities: Capabilities = ALL_CAPABILITIES,
  name = "shop",
): RenderContext {
  const input = {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name, namespace: "prod" },
    spec,
  };
  const result = validateArchitecture(input);
  const errors = result.issues.filter((i) => i.severity === "error");
  assert.deepEqual(errors, [], "fixture must be a valid Architecture");
  assert.ok(result.architecture);
  return createContext(applyDefaults(result.architecture), capabilities);
}

/** A component of the fixture, which must exist. */
export function comp(ctx: RenderContext, name: string): ResolvedComponent {
  const c = ctx.component(name);
  assert.ok(c, `no component ${name}`);
  return c;
}

export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(
    found,
    `expected ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`,
  );
  return found;
}

// biome-ignore lint/suspicious/noExplicitAny: tests walk rendered JSON freely.
export type Json = any;

/** The pod spec inside a Deployment, Job or CronJob. */
export function podSpec(o: KubeObject): Json {
  const spec = o.spec as Json;
  return o.kind === "CronJob" ? spec.jobTemplate.spec.template.spec : spec.template.spec;
}

/** Asserts a pod spec passes the `restricted` Pod Security Standard. */
export function assertRestricted(pod: Json): void {
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(pod.hostNetwork, undefined);
  assert.equal(pod.hostPID, undefined);
  assert.equal(pod.hostIPC, undefined);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
  for (const v of pod.volumes ?? [])
    assert.equal(v.hostPath, undefined, `volume ${v.name} is a hostPath`);
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
    assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], c.name);
    assert.notEqual(c.securityContext.privileged, true, c.name);
    assert.notEqual(c.securityContext.runAsUser, 0, c.name);
  }
}

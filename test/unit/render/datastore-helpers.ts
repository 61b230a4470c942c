// Shared helpers of the datastore, backup and monitoring render tests.
import assert from "node:assert/strict";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import type { RenderContext } from "../../../operator/render/context.ts";
import { createContext } from "../../../operator/render/context.ts";
import type { Capabilities } from "../../../operator/render/types.ts";

export type Spec = Architecture["spec"];

export function ctxOf(
  spec: Spec,
  caps: Capabilities = { keda: true, serviceMonitors: true },
  uid?: string,
): RenderContext {
  const metadata: Architecture["metadata"] & { uid?: string } = { name: "shop", namespace: "prod" };
  if (uid) metadata.uid = uid;
  const arch: Architecture = {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata,
    spec,
  };
  return createContext(applyDefaults(arch), caps);
}

export function find(objects: KubeObject[], kind: string, name: string): Json {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(
    o,
    `${kind} ${name} not found in ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`,
  );
  return o;
}

// biome-ignore lint/suspicious/noExplicitAny: test access into plain JSON
export type Json = any;

/** Every pod spec in the objects (StatefulSets, Jobs, CronJobs). */
export function podSpecs(objects: KubeObject[]): Json[] {
  const out: Json[] = [];
  for (const o of objects as Json[]) {
    if (o.kind === "StatefulSet" || o.kind === "Job") out.push(o.spec.template.spec);
    if (o.kind === "CronJob") out.push(o.spec.jobTemplate.spec.template.spec);
  }
  return out;
}

/** Asserts the `restricted` Pod Security Standard on every pod and container. */
export function assertRestricted(objects: KubeObject[]): void {
  const pods = podSpecs(objects);
  assert.ok(pods.length > 0, "no pods to check");
  for (const pod of pods) {
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(typeof pod.securityContext.runAsUser, "number");
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      assert.equal(
        c.securityContext.allowPrivilegeEscalation,
        false,
        `${c.name}: allowPrivilegeEscalation`,
      );
      assert.deepEqual(
        c.securityContext.capabilities,
        { drop: ["ALL"] },
        `${c.name}: capabilities`,
      );
      assert.equal(typeof c.securityContext.readOnlyRootFilesystem, "boolean");
      assert.notEqual(c.securityContext.privileged, true);
      assert.notEqual(c.securityContext.runAsUser, 0);
      for (const p of c.ports ?? []) assert.equal(p.hostPort, undefined);
    }
    assert.equal(pod.hostNetwork, undefined);
  }
}

/** Every `secretKeyRef` in the objects. */
export function secretRefs(objects: KubeObject[]): { name: string; key: string }[] {
  const out: { name: string; key: string }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "secretKeyRef") out.push(x as { name: string; key: string });
        else walk(x);
      }
    }
  };
  walk(objects);
  return out;
}

export function container(pod: Json, name: string): Json {
  const c = [...(pod.initContainers ?? []), ...pod.containers].find((x: Json) => x.name === name);
  assert.ok(c, `container ${name} not found`);
  return c;
}

export function envOf(c: Json, name: string): Json {
  const e = (c.env ?? []).find((x: Json) => x.name === name);
  assert.ok(e, `env ${name} not found in ${c.name}`);
  return e;
}

// The pod template every application component (service, gateway, worker, job,
// cron) shares: one container running the user's image under the `restricted`
// Pod Security Standard, with its env, resources and GPU placement. The
// per-type modules add ports, probes, lifecycle and restart policy.
import type { ResolvedComponent } from "../../api/defaults.ts";
import { childLabels } from "../../api/names.ts";
import { podAdditions, secretEnv } from "../app-secrets.ts";
import { connectionEnv, type EnvVar, envOrder } from "../connection.ts";
import type { RenderContext } from "../context.ts";
import { containerResources, gpuScheduling } from "../gpu.ts";
import { containerSecurityContext, plainEnv, podSecurityContext } from "../pod.ts";

export interface AppPodOptions {
  /** Extra container fields: ports, probes, lifecycle. */
  container?: Record<string, unknown>;
  /** Extra pod spec fields: restartPolicy, terminationGracePeriodSeconds, topology spread. */
  pod?: Record<string, unknown>;
  /** Extra pod labels (on top of the component's labels). */
  labels?: Record<string, string>;
}

/** The user's env and secretEnv first, then connection details; a connection var wins on a clash. */
export function appEnv(ctx: RenderContext, c: ResolvedComponent): EnvVar[] {
  const conn = [...connectionEnv(ctx, c)];
  const connNames = new Set(conn.map((e) => e.name));
  for (const e of secretEnv(ctx, c)) if (!connNames.has(e.name)) conn.push(e);
  const taken = new Set(conn.map((e) => e.name));
  const merged: EnvVar[] = [...plainEnv(c.env).filter((e) => !taken.has(e.name)), ...conn];
  return merged.sort(envOrder);
}

export function appPodTemplate(
  ctx: RenderContext,
  c: ResolvedComponent,
  opts: AppPodOptions = {},
): Record<string, unknown> {
  const container: Record<string, unknown> = { name: c.name, image: c.image };
  if (c.command?.length) container.command = [...c.command];
  if (c.args?.length) container.args = [...c.args];
  const env = appEnv(ctx, c);
  if (env.length > 0) container.env = env;
  Object.assign(container, opts.container);
  container.resources = containerResources(ctx, c);
  container.securityContext = containerSecurityContext();
  // The root filesystem is read-only; /tmp is the one writable place most
  // runtimes and libraries expect.
  const extra = podAdditions(ctx, c);
  container.volumeMounts = [{ name: "tmp", mountPath: "/tmp" }, ...extra.mounts];

  const spec: Record<string, unknown> = {
    // Applications talk to the Kubernetes API never: no token in the pod.
    automountServiceAccountToken: false,
    // Service links flood the env with every Service in the namespace; apps get
    // their connection details explicitly.
    enableServiceLinks: false,
    securityContext: podSecurityContext(),
    ...gpuScheduling(ctx, c).pod,
    ...opts.pod,
    containers: [container],
    volumes: [{ name: "tmp", emptyDir: {} }, ...extra.volumes],
  };
  const metadata: Record<string, unknown> = {
    labels: { ...childLabels(ctx.arch.name, c.name), ...opts.labels },
  };
  if (Object.keys(extra.annotations).length) metadata.annotations = extra.annotations;
  return { metadata, spec };
}

/** Whether an autoscaling entry owns this component's replica count. */
export function isAutoscaled(ctx: RenderContext, c: ResolvedComponent): boolean {
  return ctx.arch.autoscaling.some((a) => a.component === c.name);
}

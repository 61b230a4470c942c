// Building blocks of pod templates: the restricted security context every pod
// gets, resources, probes and spreading across nodes.
import type { ResolvedComponent } from "../api/defaults.ts";
import { selectorLabels } from "../api/names.ts";
import type { RenderContext } from "./context.ts";

/** Pod-level security context that passes the `restricted` Pod Security Standard. */
export function podSecurityContext(user = 65532, fsGroup = user): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: user,
    runAsGroup: user,
    fsGroup,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container-level security context that passes the `restricted` Pod Security Standard. */
export function containerSecurityContext(readOnlyRootFilesystem = true): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ["ALL"] },
  };
}

/**
 * Scratch space (logs, /tmp, writable layers) every container asks for, so the
 * kubelet evicts under disk pressure by request, not at random.
 */
export const EPHEMERAL_STORAGE_REQUEST = "256Mi";

export function resources(c: ResolvedComponent): Record<string, unknown> {
  const limits: Record<string, unknown> = { memory: String(c.resources.limits.memory) };
  if (c.resources.limits.cpu !== undefined) limits.cpu = String(c.resources.limits.cpu);
  return {
    requests: {
      cpu: String(c.resources.requests.cpu),
      memory: String(c.resources.requests.memory),
      "ephemeral-storage": EPHEMERAL_STORAGE_REQUEST,
    },
    limits,
  };
}

/** Small fixed resources of a helper container (sidecar, init, Sentinel). */
export function smallResources(
  cpu: string,
  memory: string,
  limit = memory,
): Record<string, unknown> {
  return {
    requests: { cpu, memory, "ephemeral-storage": "64Mi" },
    limits: { memory: limit },
  };
}

/**
 * Ready when the health path answers; alive while the port accepts connections.
 * A loaded server that fails its health check leaves the Service's endpoints
 * but is not restarted for it.
 */
export function httpProbes(path: string, port: number): Record<string, unknown> {
  return {
    readinessProbe: { httpGet: { path, port }, periodSeconds: 5, failureThreshold: 3 },
    livenessProbe: {
      tcpSocket: { port },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      failureThreshold: 6,
    },
  };
}

export function tcpProbes(port: number, initialDelaySeconds = 10): Record<string, unknown> {
  return {
    readinessProbe: { tcpSocket: { port }, initialDelaySeconds: 5, periodSeconds: 5 },
    livenessProbe: {
      tcpSocket: { port },
      initialDelaySeconds,
      periodSeconds: 10,
      failureThreshold: 6,
    },
  };
}

/** Spread replicas over nodes and zones, preferring but not requiring it. */
export function topologySpread(ctx: RenderContext, component: string): Record<string, unknown>[] {
  const labelSelector = { matchLabels: selectorLabels(ctx.arch.name, component) };
  return [
    {
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector,
    },
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector,
    },
  ];
}

/** Environment variables as a sorted list, so renders are byte-stable. */
export function plainEnv(env: Record<string, string>): { name: string; value: string }[] {
  return Object.keys(env)
    .sort()
    .map((name) => ({ name, value: env[name] as string }));
}

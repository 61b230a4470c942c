// Putting GPU work on GPU nodes. A component with `gpu` gets its pool's node
// selector and tolerations and asks for the pool's extended resource; everything
// else gets nothing: GPU nodes carry a NoSchedule taint, which by itself keeps
// ordinary pods off the expensive machines.
import type { ResolvedComponent, ResolvedGpuPool } from "../api/defaults.ts";
import type { RenderContext } from "./context.ts";
import { resources } from "./pod.ts";

export interface GpuScheduling {
  /** Fields to spread into the pod spec (empty for non-GPU components). */
  pod: {
    nodeSelector?: Record<string, string>;
    tolerations?: ResolvedGpuPool["tolerations"];
  };
  /**
   * Extended resources for the container, in requests and limits alike: the
   * scheduler counts requests, and an extended resource must be requested and
   * limited to the same amount (it cannot be overcommitted).
   */
  resources: Record<string, string>;
}

export function gpuScheduling(ctx: RenderContext, component: ResolvedComponent): GpuScheduling {
  const gpu = component.gpu;
  if (!gpu) return { pod: {}, resources: {} };
  // Validation guarantees the pool exists; if it ever does not, the pod still
  // asks for the default resource, so it stays Pending rather than running on CPU.
  const pool = ctx.arch.gpuPools.find((p) => p.name === gpu.pool);
  const resourceName = pool?.resourceName ?? "nvidia.com/gpu";
  const pod: GpuScheduling["pod"] = {};
  if (pool && Object.keys(pool.nodeSelector).length > 0)
    pod.nodeSelector = sortedMap(pool.nodeSelector);
  if (pool && pool.tolerations.length > 0)
    pod.tolerations = pool.tolerations.map((t) => ({ ...t }));
  return { pod, resources: { [resourceName]: String(gpu.count) } };
}

/** The container's resources: CPU/memory from the component plus any GPUs. */
export function containerResources(
  ctx: RenderContext,
  component: ResolvedComponent,
): Record<string, unknown> {
  const base = resources(component) as {
    requests: Record<string, unknown>;
    limits: Record<string, unknown>;
  };
  const gpu = gpuScheduling(ctx, component).resources;
  return { requests: { ...base.requests, ...gpu }, limits: { ...base.limits, ...gpu } };
}

function sortedMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k] as string;
  return out;
}

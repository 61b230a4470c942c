// GPU pools: defined once, used, and only by components that can run GPU work.

import type { Architecture } from "../schema.ts";
import { isDatastoreType } from "../schema.ts";
import { error, type Issue, warning } from "./issue.ts";

export function checkGpuPools(arch: Architecture): Issue[] {
  const issues: Issue[] = [];
  const { spec } = arch;
  const pools = new Set((spec.gpuPools ?? []).map((p) => p.name));
  for (const [i, p] of (spec.gpuPools ?? []).entries()) {
    if ((spec.gpuPools ?? []).findIndex((q) => q.name === p.name) !== i)
      issues.push(
        error(
          ["spec", "gpuPools", i, "name"],
          `two GPU pools are named '${p.name}'`,
          "give each pool a unique name",
        ),
      );
  }
  const usedPools = new Set<string>();
  for (const [i, c] of spec.components.entries()) {
    if (!c.gpu) continue;
    usedPools.add(c.gpu.pool);
    if (!pools.has(c.gpu.pool)) {
      const defined = [...pools];
      issues.push(
        error(
          ["spec", "components", i, "gpu", "pool"],
          `GPU pool '${c.gpu.pool}' is not defined`,
          defined.length
            ? `define it under spec.gpuPools or use one of: ${defined.join(", ")}`
            : `add spec.gpuPools: [{name: ${c.gpu.pool}}]`,
        ),
      );
    }
    if (c.type === "gateway" || isDatastoreType(c.type))
      issues.push(
        error(
          ["spec", "components", i, "gpu"],
          `${c.type} components cannot request GPUs`,
          "move the GPU work to a worker, service or job",
        ),
      );
  }
  for (const [i, p] of (spec.gpuPools ?? []).entries()) {
    if (!usedPools.has(p.name))
      issues.push(
        warning(
          ["spec", "gpuPools", i],
          `GPU pool '${p.name}' is not used by any component`,
          "remove it or add gpu: {pool: ...} to a component",
        ),
      );
  }
  return issues;
}

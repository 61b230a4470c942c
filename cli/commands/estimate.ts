// archctl estimate -f FILE: what an Architecture asks of the cluster.
import type { Command } from "commander";
import { applyDefaults } from "../../operator/api/defaults.ts";
import { contextOf, outputFormat } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { estimate, estimateJson, formatEstimate } from "../views/estimate.ts";
import { renderObjects } from "./render.ts";
import type { BlueprintFlags } from "./shared.ts";
import { blueprintOptions, loadArchitecture } from "./shared.ts";

export function register(program: Command, deps: CliDeps): void {
  blueprintOptions(
    program
      .command("estimate")
      .description("CPU, memory, GPU and storage a blueprint requests, at min and max scale"),
  )
    .option("-o, --output <format>", "table or json", "table")
    .addHelpText(
      "after",
      `
Sums the container requests of every rendered pod (exporter sidecars and
Milvus' etcd and MinIO included) times its replicas: at min scale with
autoscaling minReplicas (or replicas), at max scale with maxReplicas.

Examples:
  archctl estimate -f rag.yaml --env prod
  archctl estimate -f post.yaml -o json | jq .total`,
    )
    .action(async (opts: BlueprintFlags & { output?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const format = outputFormat(opts.output, ["table", "json"] as const, "table");
      const { architecture } = await loadArchitecture(ctx, opts, "estimate");
      const resolved = applyDefaults(architecture);
      const { objects } = await renderObjects(architecture);
      const result = estimate({
        objects,
        types: Object.fromEntries(resolved.components.map((c) => [c.name, c.type])),
        autoscaling: resolved.autoscaling,
        gpuResources: [...new Set(resolved.gpuPools.map((p) => p.resourceName))],
      });
      ctx.out(
        format === "json" ? JSON.stringify(estimateJson(result), null, 2) : formatEstimate(result),
      );
    });
}

// archctl graph -f FILE: the architecture as a diagram.
import type { Command } from "commander";
import { applyDefaults } from "../../operator/api/defaults.ts";
import { contextOf, outputFormat } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { buildGraph, toDot, toMermaid, toText } from "../views/graph.ts";
import type { BlueprintFlags } from "./shared.ts";
import { blueprintOptions, loadArchitecture } from "./shared.ts";

export function register(program: Command, deps: CliDeps): void {
  blueprintOptions(
    program
      .command("graph")
      .description(
        "draw a blueprint: components, data flows, ingress and rate limits, GPU pools, schedules, backups",
      ),
  )
    .option("--format <format>", "text, mermaid or dot", "text")
    .addHelpText(
      "after",
      `
Examples:
  archctl graph -f post.yaml
  archctl graph -f rag.yaml --env prod --format mermaid > rag.mmd
  archctl graph -f trading.yaml --format dot | dot -Tsvg > trading.svg`,
    )
    .action(async (opts: BlueprintFlags & { format?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const format = outputFormat(opts.format, ["text", "mermaid", "dot"] as const, "text");
      const { architecture } = await loadArchitecture(ctx, opts, "graph");
      const graph = buildGraph(applyDefaults(architecture));
      ctx.write(
        format === "mermaid" ? toMermaid(graph) : format === "dot" ? toDot(graph) : toText(graph),
      );
    });
}

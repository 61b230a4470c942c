// archctl blueprints: the catalogue of reference blueprints.
import type { Command } from "commander";
import { loadBlueprint } from "../blueprint/loader.ts";
import { contextOf, outputFormat } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import type { CatalogueEntry } from "../input.ts";
import { readCatalogue } from "../input.ts";

export interface CatalogueItem {
  name: string;
  description: string;
  components: string[];
  environments: string[];
  parameters: string[];
}

/** Pure: one catalogue item per blueprint file (description = first sentence of spec.description). */
export function describeCatalogue(entries: CatalogueEntry[]): CatalogueItem[] {
  return entries.map((e) => {
    const loaded = loadBlueprint(e.text, { file: e.path });
    const spec = (loaded.manifest?.spec ?? {}) as {
      description?: string;
      components?: { name: string; type: string }[];
    };
    return {
      name: e.name,
      description: (spec.description ?? "").split("\n")[0] ?? "",
      components: (spec.components ?? []).map((c) => `${c.name} (${c.type})`),
      environments: loaded.environments,
      parameters: loaded.parameters.map((p) => p.name),
    };
  });
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command("blueprints")
    .alias("catalogue")
    .description("list the reference blueprints that ship with archctl")
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText(
      "after",
      `
Examples:
  archctl blueprints
  archctl blueprints -o json | jq -r '.[].name'
  archctl init rag my-rag.yaml      copy one to edit`,
    )
    .action((opts: { output?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const format = outputFormat(opts.output, ["text", "json"] as const, "text");
      const items = describeCatalogue(readCatalogue());
      if (format === "json") {
        ctx.out(JSON.stringify(items, null, 2));
        return;
      }
      const width = Math.max(...items.map((i) => i.name.length));
      for (const i of items) ctx.out(`${ctx.style.bold(i.name.padEnd(width))}  ${i.description}`);
      ctx.info(`\nStart from one: archctl init <name> [file]`);
    });
}

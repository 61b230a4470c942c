// archctl render -f FILE: what apply would send (the Architecture), or with
// --objects every child object the operator would build, like `helm template`.
import type { Command } from "commander";
import type { Architecture } from "../../operator/api/schema.ts";
import type { KubeObject, RenderResult } from "../../operator/render/index.ts";
import { toYaml, toYamlStream } from "../../operator/render/yaml-output.ts";
import { contextOf, outputFormat, UserError } from "../context.ts";
import { ExitCode } from "../exit-codes.ts";
import type { BlueprintFlags } from "./shared.ts";
import { blueprintOptions, loadArchitecture } from "./shared.ts";

/** Loads the renderer lazily, so commands that do not need it start faster. */
export async function renderObjects(architecture: Architecture): Promise<RenderResult> {
  const { render } = await import("../../operator/render/index.ts");
  return render(architecture);
}

/** Pure: one YAML document per object, `---` between them; stable bytes. */
export function toYamlDocuments(objects: readonly unknown[]): string {
  return toYamlStream(objects);
}

/** Pure: a kubectl-style List of the objects. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
}

export function register(program: Command): void {
  blueprintOptions(
    program
      .command("render")
      .description(
        "print the Architecture resource a blueprint resolves to, or (--objects) every object it creates",
      ),
  )
    .option("-o, --output <format>", "yaml or json", "yaml")
    .option(
      "--objects",
      "print the Kubernetes objects the operator would create instead of the Architecture",
    )
    .addHelpText(
      "after",
      `
Generated Secrets (passwords, keys) are created by the operator in the cluster
and are not printed. -n/--namespace sets metadata.namespace.

Examples:
  archctl render -f post.yaml --env prod
  archctl render -f post.yaml --env prod --objects > post-prod.yaml
  archctl render -f post.yaml --objects -o json | jq '.items[].kind'
  archctl render -f post.yaml -n shop --set tag=1.5.0 | kubectl apply -f -`,
    )
    .action(async (opts: BlueprintFlags & { output?: string; objects?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const format = outputFormat(opts.output, ["yaml", "json"] as const, "yaml");
      const { architecture } = loadArchitecture(ctx, opts, "render");
      if (!opts.objects) {
        ctx.out(format === "json" ? JSON.stringify(architecture, null, 2) : toYaml(architecture));
        return;
      }
      let result: RenderResult;
      try {
        result = await renderObjects(architecture);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(
          `could not render ${architecture.metadata.name}: ${(e as Error).message}`,
          ExitCode.FAILURE,
        );
      }
      for (const n of result.notices)
        ctx.info(`note: ${n.component ? `${n.component}: ` : ""}${n.message}`);
      process.stdout.write(
        format === "json" ? toJsonList(result.objects) : toYamlDocuments(result.objects),
      );
    });
}

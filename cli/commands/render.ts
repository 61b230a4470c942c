// archctl render -f FILE: what apply would send (the Architecture), or with
// --objects every child object the operator would build, like `helm template`.
import type { Command } from "commander";
import type { Architecture } from "../../operator/api/schema.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { RenderResult } from "../../operator/render/index.ts";
import {
  assumedKindsLines,
  capabilitiesFromApiVersions,
  kindId,
  OPTIONAL_KINDS,
} from "../../operator/render/optional-kinds.ts";
import type { Capabilities } from "../../operator/render/types.ts";
import { ALL_CAPABILITIES } from "../../operator/render/types.ts";
import { toYaml, toYamlStream } from "../../operator/render/yaml-output.ts";
import { contextOf, outputFormat, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import type { BlueprintFlags } from "./shared.ts";
import { blueprintOptions, loadArchitecture } from "./shared.ts";

/** Loads the renderer lazily, so commands that do not need it start faster. */
export async function renderObjects(
  architecture: Architecture,
  capabilities: Capabilities = ALL_CAPABILITIES,
): Promise<RenderResult> {
  const { render } = await import("../../operator/render/index.ts");
  return render(architecture, capabilities);
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Without --api-versions every optional kind is assumed served; with it, only those listed. */
export function offlineCapabilities(apiVersions: readonly string[] | undefined): Capabilities {
  if (apiVersions === undefined) return ALL_CAPABILITIES;
  const { capabilities, problems } = capabilitiesFromApiVersions(apiVersions);
  if (problems.length) throw new UserError(problems.join("; "));
  return capabilities;
}

/** Pure: one YAML document per object, `---` between them; stable bytes. */
export function toYamlDocuments(objects: readonly unknown[]): string {
  return toYamlStream(objects);
}

/** Pure: a kubectl-style List of the objects. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
}

type RenderFlags = BlueprintFlags & { output?: string; objects?: boolean; apiVersions?: string[] };

export function register(program: Command, deps: CliDeps): void {
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
    .option(
      "--api-versions <list>",
      `with --objects: the optional kinds the target cluster serves (${OPTIONAL_KINDS.map(kindId).join(", ")}; GROUP/VERSION also works, 'none' for neither); comma-separated, repeatable. Default: all assumed served`,
      collect,
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
  archctl render -f task-queue.yaml --objects --api-versions keda.sh/v1alpha1/ScaledObject
  archctl render -f post.yaml -n shop --set tag=1.5.0 | kubectl apply -f -`,
    )
    .action(async (opts: RenderFlags, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const format = outputFormat(opts.output, ["yaml", "json"] as const, "yaml");
      if (opts.apiVersions && !opts.objects)
        throw new UserError(
          "--api-versions chooses the optional kinds of --objects: add --objects (the Architecture itself does not depend on them)",
        );
      const capabilities = offlineCapabilities(opts.apiVersions);
      const { architecture } = await loadArchitecture(ctx, opts, "render");
      if (!opts.objects) {
        ctx.out(format === "json" ? JSON.stringify(architecture, null, 2) : toYaml(architecture));
        return;
      }
      let result: RenderResult;
      try {
        result = await renderObjects(architecture, capabilities);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(
          `could not render ${architecture.metadata.name}: ${(e as Error).message}`,
          ExitCode.FAILURE,
        );
      }
      // stderr, so that the YAML on stdout stays a clean stream for kubectl.
      for (const line of assumedKindsLines(capabilities))
        ctx.info(`note: ${line}${opts.apiVersions ? "" : " (choose with --api-versions)"}`);
      for (const n of result.notices)
        ctx.info(`note: ${n.component ? `${n.component}: ` : ""}${n.message}`);
      ctx.write(format === "json" ? toJsonList(result.objects) : toYamlDocuments(result.objects));
    });
}

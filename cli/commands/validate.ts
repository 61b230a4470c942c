// archctl validate -f FILE: every problem of a blueprint, with file:line:col.
import type { Command } from "commander";
import { loadBlueprint, validateBlueprint } from "../blueprint/loader.ts";
import type { BlueprintProblem } from "../blueprint/model.ts";
import { contextOf, exitsWith, outputFormat } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import { configFileReader, readBlueprintFile } from "../input.ts";
import type { BlueprintFlags } from "./shared.ts";
import { blueprintOptions, requireFile, styleProblem, summary } from "./shared.ts";

export function register(program: Command, deps: CliDeps): void {
  blueprintOptions(
    program
      .command("validate")
      .description(
        "check a blueprint: YAML, parameters, environments, schema and cross-references",
      ),
  )
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText(
      "after",
      `
Without --env the blueprint is checked as written and in every environment it
declares; a problem found only in some environments says which.

Every problem is printed as:
  file:line:col  path  message  (hint)

Examples:
  archctl validate -f post.yaml
  archctl validate -f post.yaml --env prod --set apiMaxReplicas=60
  archctl validate -f post.yaml -o json

Exit code 0 when there are no errors (warnings allowed), 2 otherwise.`,
    )
    .action(
      exitsWith(async (opts: BlueprintFlags & { output?: string }, cmd: Command) => {
        const ctx = contextOf(cmd, deps);
        const format = outputFormat(opts.output, ["text", "json"] as const, "text");
        const file = requireFile(opts, "validate");
        const text = await readBlueprintFile(file, { cwd: deps.cwd, stdin: deps.io.in });
        const shown = file === "-" ? "(stdin)" : file;
        const readFile = configFileReader(file, deps.cwd);
        const files = readFile ? { readFile } : {};
        let problems: BlueprintProblem[];
        let checked: string[];
        if (opts.env !== undefined) {
          const loaded = loadBlueprint(text, {
            file: shown,
            env: opts.env,
            set: opts.set ?? [],
            ...files,
          });
          problems = loaded.problems;
          checked = [opts.env];
        } else {
          problems = validateBlueprint(text, { file: shown, set: opts.set ?? [], ...files });
          checked = ["(base)", ...loadBlueprint(text, { file: shown }).environments];
        }
        const valid = !problems.some((p) => p.severity === "error");
        if (format === "json") {
          ctx.out(JSON.stringify({ file: shown, valid, environments: checked, problems }, null, 2));
        } else {
          for (const p of problems) ctx.out(styleProblem(p, ctx.style));
          const envs =
            checked.length > 1
              ? ` (checked: ${checked.join(", ")})`
              : ` (environment ${checked[0]})`;
          if (!valid)
            ctx.err(`${shown}: ${ctx.errStyle.red("invalid")}, ${summary(problems)}${envs}`);
          else ctx.info(`${shown}: ${ctx.errStyle.green("valid")}, ${summary(problems)}${envs}`);
        }
        return valid ? ExitCode.OK : ExitCode.INVALID;
      }),
    );
}

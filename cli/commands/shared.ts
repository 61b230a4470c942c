// What the commands that read a blueprint share: the -f/--env/--set options and
// loading a file into a valid Architecture, or a clean exit 2 with every problem.
import type { Command } from "commander";
import type { Architecture } from "../../operator/api/schema.ts";
import { formatProblem, loadBlueprint } from "../blueprint/loader.ts";
import type { BlueprintOptions, BlueprintProblem, LoadedBlueprint } from "../blueprint/model.ts";
import type { CliContext, Style } from "../context.ts";
import { UserError } from "../context.ts";
import { ExitCode } from "../exit-codes.ts";
import { configFileReader, readBlueprintFile } from "../input.ts";

export interface BlueprintFlags {
  file?: string;
  env?: string;
  set?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds -f/--file, -e/--env and --set (repeatable) to a command. */
export function blueprintOptions(cmd: Command): Command {
  return cmd
    .option("-f, --file <path>", "blueprint file ('-' reads standard input)")
    .option("-e, --env <name>", "apply the named environment overlay (e.g. dev, prod)")
    .option(
      "--set <path=value>",
      "override a parameter (NAME=value) or a field (spec.components.api.replicas=3); repeatable",
      collect,
    );
}

export function requireFile(flags: BlueprintFlags, command: string): string {
  if (!flags.file)
    throw new UserError(
      `${command} needs a blueprint: pass -f FILE (start one with: archctl init post FILE)`,
    );
  return flags.file;
}

export function styleProblem(p: BlueprintProblem, s: Style): string {
  const line = formatProblem(p);
  const where = `${p.file}:${p.line}:${p.col}`;
  const painted = p.severity === "error" ? s.red(where) : s.yellow(where);
  return painted + line.slice(where.length);
}

export function summary(problems: BlueprintProblem[]): string {
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}

export interface ResolvedInput {
  file: string;
  loaded: LoadedBlueprint;
  architecture: Architecture;
}

/**
 * Reads and resolves the blueprint; on errors prints every problem to stderr
 * and throws (exit 2). Warnings go to stderr unless --quiet. With a namespace (-n) the
 * Architecture's metadata.namespace is set to it.
 */
export async function loadArchitecture(
  ctx: CliContext,
  flags: BlueprintFlags,
  command: string,
): Promise<ResolvedInput> {
  const file = requireFile(flags, command);
  const text = await readBlueprintFile(file, { cwd: ctx.deps.cwd, stdin: ctx.deps.io.in });
  const opts: BlueprintOptions = { file: file === "-" ? "(stdin)" : file };
  const readFile = configFileReader(file, ctx.deps.cwd);
  if (readFile) opts.readFile = readFile;
  if (flags.env !== undefined) opts.env = flags.env;
  if (flags.set) opts.set = flags.set;
  const loaded = loadBlueprint(text, opts);
  const errors = loaded.problems.filter((p) => p.severity === "error");
  if (errors.length > 0 || !loaded.architecture) {
    for (const p of loaded.problems) ctx.err(styleProblem(p, ctx.errStyle));
    throw new UserError(
      `${opts.file} is not valid: ${summary(loaded.problems)} (run archctl validate -f ${file} for details)`,
      ExitCode.INVALID,
    );
  }
  if (!ctx.globals.quiet) for (const p of loaded.problems) ctx.err(styleProblem(p, ctx.errStyle));
  const architecture = structuredClone(loaded.architecture);
  if (ctx.globals.namespace) architecture.metadata.namespace = ctx.globals.namespace;
  return { file, loaded, architecture };
}

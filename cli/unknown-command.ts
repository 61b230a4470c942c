// `archctl backup run --help` must not print the root help and exit 0: a
// script could not tell a missing command from a present one. commander shows
// help before it looks at the command path, so main.ts asks this first,
// whenever --help is on the line. Pure: reads the command tree and argv.
import type { Command, Option } from "commander";
import { didYouMean } from "../operator/api/suggest.ts";

const HELP = new Set(["-h", "--help"]);

function takesValue(options: readonly Option[], token: string): boolean {
  if (token.includes("=")) return false;
  const opt = options.find((o) => o.long === token || o.short === token);
  return opt !== undefined && (opt.required || opt.optional);
}

/**
 * The error commander would give without --help, when argv names a command
 * that does not exist (e.g. `archctl backup run --help`), else undefined.
 */
export function unknownCommandError(program: Command, argv: readonly string[]): string | undefined {
  if (!argv.some((a) => HELP.has(a))) return undefined;
  let cmd = program;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") return undefined;
    if (token.startsWith("-")) {
      if (takesValue([...cmd.options, ...program.options], token)) i++;
      continue;
    }
    // A command without subcommands takes its own arguments from here on.
    if (cmd.commands.length === 0) return undefined;
    if (cmd === program && token === "help") return undefined;
    const next = cmd.commands.find((c) => c.name() === token || c.aliases().includes(token));
    if (!next) {
      const known = cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]);
      const guess = didYouMean(token, known);
      const where = cmd === program ? "" : ` for 'archctl ${commandPath(cmd)}'`;
      return `error: unknown command '${token}'${where}${guess ? `\n(Did you mean ${guess}?)` : ""}`;
    }
    cmd = next;
  }
  return undefined;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

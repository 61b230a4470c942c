// One run of archctl: builds the program (program.ts) with the commands its
// argv needs (commands/index.ts), runs it, and turns every failure into one
// short line and an exit code (see exit-codes.ts), which it returns. Stack
// traces only with ARCHCTL_DEBUG=1. Touches nothing but deps, so tests run it
// in-process; main.ts runs it for the installed command.
import { CommanderError } from "commander";
import { loadCommands } from "./commands/index.ts";
import { debugEnabled, exitCodeOf, UserError } from "./context.ts";
import type { CliDeps } from "./deps.ts";
import { ExitCode } from "./exit-codes.ts";
import { buildProgram } from "./program.ts";
import { unknownCommandError } from "./unknown-command.ts";

export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const stderr = (text: string) => deps.io.err.write(text);
  const program = buildProgram(await loadCommands(argv), deps);
  const unknown = unknownCommandError(program, argv);
  if (unknown) {
    stderr(`${unknown}\n(add --help for usage)\n`);
    return ExitCode.INVALID;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCodeOf(program);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its message (and the help hint).
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return ExitCode.OK;
      if (e.code === "commander.executeSubCommandAsync") return ExitCode.FAILURE;
      return ExitCode.INVALID;
    }
    if (e instanceof UserError) {
      stderr(`archctl: ${e.message}\n`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    stderr(`archctl: internal error: ${message}\n`);
    if (debugEnabled(deps.env)) stderr(`${e instanceof Error ? e.stack : String(e)}\n`);
    else stderr("rerun with ARCHCTL_DEBUG=1 for details\n");
    return ExitCode.FAILURE;
  }
}

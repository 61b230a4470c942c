#!/usr/bin/env node
// archctl: the entry point. Builds the program (program.ts) with the commands
// its argv needs (commands/index.ts), runs it, and turns every failure into one
// short line and an exit code (see exit-codes.ts). Stack traces only with
// ARCHCTL_DEBUG=1.
import { CommanderError } from "commander";
import { loadCommands } from "./commands/index.ts";
import { debugEnabled, UserError } from "./context.ts";
import { ExitCode } from "./exit-codes.ts";
import { buildProgram } from "./program.ts";
import { installDefaultInterrupt } from "./signals.ts";
import { unknownCommandError } from "./unknown-command.ts";

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(await loadCommands(argv));
  const unknown = unknownCommandError(program, argv);
  if (unknown) {
    process.stderr.write(`${unknown}\n(add --help for usage)\n`);
    return ExitCode.INVALID;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.OK;
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
      process.stderr.write(`archctl: ${e.message}\n`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`archctl: internal error: ${message}\n`);
    if (debugEnabled()) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    else process.stderr.write("rerun with ARCHCTL_DEBUG=1 for details\n");
    return ExitCode.FAILURE;
  }
}

// Ctrl-C exits 130 at once, unless the running command shuts down in order
// by itself (operator run): see signals.ts.
installDefaultInterrupt();
// Writing to a closed pipe (archctl render | head) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(ExitCode.OK);
});

process.exitCode = await main(process.argv.slice(2));

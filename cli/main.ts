#!/usr/bin/env node
// archctl: the entry point. Builds the commander program from the command list
// in commands/index.ts, runs it, and turns every failure into one short line
// and an exit code (see exit-codes.ts). Stack traces only with ARCHCTL_DEBUG=1.
import { Command, CommanderError, Option } from "commander";
import { COMMANDS } from "./commands/index.ts";
import { UserError } from "./context.ts";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.ts";
import { packageVersion } from "./input.ts";
import { installDefaultInterrupt } from "./signals.ts";

export function buildProgram(): Command {
  const program = new Command("archctl")
    .description("Stand up whole architectures on Kubernetes from one blueprint.")
    .version(packageVersion(), "-V, --version", "print the archctl version")
    .helpOption("-h, --help", "show help")
    .option("--no-color", "never colour the output (also: NO_COLOR=1)")
    .option("-q, --quiet", "print only results and errors")
    .addOption(
      new Option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"),
    )
    .addOption(new Option("--context <name>", "kubeconfig context to use"))
    .addOption(new Option("-n, --namespace <name>", "namespace of the Architecture"))
    .showHelpAfterError("(add --help for usage)")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText(
      "after",
      `
Examples:
  archctl blueprints                         list the reference blueprints
  archctl init post my-posts.yaml            start from one
  archctl validate -f my-posts.yaml          check it (every environment)
  archctl render -f my-posts.yaml --env prod --objects
  archctl graph -f my-posts.yaml --format mermaid

${EXIT_CODES_HELP}

Set ARCHCTL_DEBUG=1 to see stack traces of internal errors.`,
    );
  for (const register of COMMANDS) register(program);
  return program;
}

function isDebug(): boolean {
  const v = process.env.ARCHCTL_DEBUG;
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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
    if (isDebug()) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
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

// The archctl program: global options, help text and the commands given
// (run.ts passes those its argv needs; tests pass all of them), each handed
// the dependencies (deps.ts). commander's own output (help, usage errors) goes
// to deps.io too. Building it runs nothing.
import { Command, Option } from "commander";
import type { RegisterCommand } from "./commands/index.ts";
import type { CliDeps, OutputStream } from "./deps.ts";
import { EXIT_CODES_HELP } from "./exit-codes.ts";
import { packageVersion } from "./input.ts";

/** Help wraps to a terminal's width, else to 80 columns (commander's own choice). */
const width = (s: OutputStream): number => (s.isTTY && s.columns ? s.columns : 80);

export function buildProgram(commands: readonly RegisterCommand[], deps: CliDeps): Command {
  const { out, err } = deps.io;
  const program = new Command("archctl")
    // Before any command is added: subcommands inherit it.
    .configureOutput({
      writeOut: (s) => out.write(s),
      writeErr: (s) => err.write(s),
      getOutHelpWidth: () => width(out),
      getErrHelpWidth: () => width(err),
      // commander colours nothing of ours; without colour it strips escape codes.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
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
  for (const register of commands) register(program, deps);
  return program;
}

// archctl completion bash|zsh|fish: a completion script for the shell.
import type { Command } from "commander";
import { Argument } from "commander";
import type { Shell } from "../completion.ts";
import { completionScript, SHELLS } from "../completion.ts";
import type { CliDeps } from "../deps.ts";

export function register(program: Command, deps: CliDeps): void {
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
    .addHelpText(
      "after",
      `
Examples:
  source <(archctl completion bash)                 # add to ~/.bashrc
  source <(archctl completion zsh)                  # add to ~/.zshrc
  archctl completion fish > ~/.config/fish/completions/archctl.fish`,
    )
    .action((shell: Shell) => {
      deps.io.out.write(completionScript(shell, program));
    });
}

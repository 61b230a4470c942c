// Shell completion scripts (bash, zsh, fish) from the real command tree.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { allCommands } from "../../../cli/commands/index.ts";
import { completionScript } from "../../../cli/completion.ts";
import { buildProgram } from "../../../cli/program.ts";
import { testDeps } from "./in-process.ts";

// The real command tree, every command loaded.
const program = buildProgram(await allCommands(), testDeps());

describe("completion", () => {
  test("bash: commands, subcommands, aliases and flags; valid syntax", () => {
    const s = completionScript("bash", program);
    assert.match(s, /complete -o default -F _archctl archctl/);
    assert.match(s, /"env"\) opts="create list destroy/);
    assert.match(s, /"apply"\) opts="[^"]*--wait[^"]*--kubeconfig/);
    assert.match(s, /"diff"\) path="plan"/);
    execFileSync("bash", ["-n"], { input: s });
  });
  test("bash: completes subcommands when sourced", () => {
    const s = completionScript("bash", program);
    const out = execFileSync("bash", [
      "-c",
      `${s}\nCOMP_WORDS=(archctl env cr); COMP_CWORD=2; _archctl; echo "\${COMPREPLY[@]}"`,
    ]).toString();
    assert.equal(out.trim(), "create");
  });
  test("zsh and fish", () => {
    assert.match(completionScript("zsh", program), /^#compdef archctl\n[\s\S]*bashcompinit/);
    const fish = completionScript("fish", program);
    assert.match(fish, /complete -c archctl -n '__fish_use_subcommand' -a apply/);
    assert.match(
      fish,
      /__fish_seen_subcommand_from env; and not __fish_seen_subcommand_from create list destroy' -a create/,
    );
    assert.match(fish, /-s n -l namespace -r/);
  });
});

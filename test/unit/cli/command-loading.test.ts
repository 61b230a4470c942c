// cli/commands/index.ts loads only the command named on the command line;
// everything that lists commands (help, completion, a typo's suggestion) gets
// all of them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Command } from "commander";
import { commandNamed, loadCommands } from "../../../cli/commands/index.ts";
import { testDeps } from "./in-process.ts";

describe("lazy command loading", () => {
  test("the command is the first token that is not an option or an option's value", () => {
    assert.equal(commandNamed(["render", "-f", "post.yaml", "--objects"]), "render");
    assert.equal(commandNamed(["--kubeconfig", "k", "-n", "ns", "--context", "c", "get"]), "get");
    assert.equal(commandNamed(["--kubeconfig=k", "--no-color", "-q", "apply", "-f", "x"]), "apply");
    assert.equal(commandNamed(["-qn", "render", "validate"]), "validate");
    assert.equal(commandNamed(["diff", "-f", "x"]), "diff");
    assert.equal(commandNamed(["catalogue"]), "catalogue");
    assert.equal(commandNamed(["render", "--help"]), "render");
  });

  test("help, completion, no command or an unknown one: every command", () => {
    for (const argv of [
      [],
      ["--help"],
      ["-h", "render"],
      ["help", "render"],
      ["completion", "bash"],
      ["rendr", "-f", "x"],
      ["--", "render"],
      ["-n", "render"],
    ])
      assert.equal(commandNamed(argv), undefined, argv.join(" "));
  });

  test("a module registers the names listed for it, aliases included", async () => {
    const program = new Command("archctl");
    for (const register of await loadCommands(["status", "x"])) register(program, testDeps());
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      ["get", "status"],
    );
    const plan = new Command("archctl");
    for (const register of await loadCommands(["diff"])) register(plan, testDeps());
    assert.deepEqual(
      plan.commands.map((c) => [c.name(), ...c.aliases()]),
      [["plan", "diff"]],
    );
  });

  test("without a command every module is loaded, in --help order", async () => {
    const all = await loadCommands([]);
    const program = new Command("archctl");
    for (const register of all) register(program, testDeps());
    // Every name and alias a module registers is one the loader knows, or
    // that command could only ever run through the load-everything path.
    const registered = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
    assert.ok(registered.length > all.length, registered.join(", "));
    for (const name of registered)
      if (name !== "help" && name !== "completion")
        assert.equal(commandNamed([name]), name, `${name} is in commands/index.ts's names`);
    assert.deepEqual(program.commands.map((c) => c.name()).slice(0, 6), [
      "blueprints",
      "init",
      "validate",
      "render",
      "graph",
      "estimate",
    ]);
  });
});

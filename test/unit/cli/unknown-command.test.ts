// An unknown command is an error even with --help: exit 2 and a suggestion,
// never the root help with exit 0 (a script could not tell a missing command
// from a present one).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { allCommands } from "../../../cli/commands/index.ts";
import { buildProgram } from "../../../cli/program.ts";
import { unknownCommandError } from "../../../cli/unknown-command.ts";
import { inProcess, testDeps } from "./in-process.ts";

const program = buildProgram(await allCommands(), testDeps());
const check = (line: string) => unknownCommandError(program, line.split(" "));

describe("unknown commands with --help", () => {
  test("a missing top-level or nested command is named, with a suggestion when one is close", () => {
    assert.equal(check("backup run --help"), "error: unknown command 'backup'");
    assert.equal(check("rendr --help"), "error: unknown command 'rendr'\n(Did you mean render?)");
    assert.equal(
      check("operator rnu -h"),
      "error: unknown command 'rnu' for 'archctl operator'\n(Did you mean run?)",
    );
    assert.equal(check("env nothing --help"), "error: unknown command 'nothing' for 'archctl env'");
  });

  test("real commands, their arguments, global options and their values pass", () => {
    for (const line of [
      "--help",
      "render --help",
      "status post --help",
      "-n shop env create --help",
      "--kubeconfig /tmp/k --context dev get -h",
      "operator run --help",
      "help",
      "render -f post.yaml",
    ])
      assert.equal(check(line), undefined, line);
  });

  test("through the CLI: exit 2, the error on stderr, nothing on stdout", async () => {
    const r = await inProcess(["backup", "run", "--help"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^error: unknown command 'backup'\n/);
    const ok = await inProcess(["render", "--help"]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /Usage: archctl render/);
  });
});

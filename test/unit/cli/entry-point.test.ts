// The real entry points, spawned as a user runs them: what the in-process
// runner (in-process.ts) cannot show. Exit codes and output are those of the
// in-process run; a closed pipe is not an error; `--version` is answered
// without loading the program; only the command named is loaded.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { archctl, ROOT, runNode, tempDir, writeTemp } from "./helpers.ts";
import { inProcess } from "./in-process.ts";

const INSTALLED = join(ROOT, "cli/archctl.ts");

/**
 * A preload that reports every module of this repository (and commander) the
 * process resolves, one `loaded: URL` line on stderr each.
 */
const TRACE = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from "node:module";
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (r.url.startsWith("file:") && !r.url.includes("/node_modules/") || r.url.includes("/node_modules/commander/"))
      process.stderr.write("loaded: " + r.url + "\\n");
    return r;
  },
});`)}`;

async function loadedModules(script: string, args: string[]): Promise<string[]> {
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TRACE, script, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.stdout.resume();
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
  assert.equal(r.code, 0, r.stderr);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("loaded: "))
    .map((l) => l.slice("loaded: ".length).replace(`file://${ROOT}`, ""));
}

describe("the real entry point", { concurrency: 4 }, () => {
  test("--version: package.json's version, answered before the program is loaded", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    const r = await runNode(INSTALLED, ["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${pkg.version}\n`);
    const loaded = await loadedModules(INSTALLED, ["--version"]);
    assert.ok(loaded.includes("cli/input.ts"), loaded.join("\n"));
    assert.deepEqual(
      loaded.filter((m) => m.includes("commander") || m.startsWith("cli/commands/")),
      [],
      "neither commander nor a command is loaded",
    );
  });

  test("only the command named is loaded", async () => {
    const loaded = await loadedModules(INSTALLED, ["validate", "-f", "blueprints/post.yaml"]);
    const commands = loaded.filter((m) => m.startsWith("cli/commands/"));
    assert.ok(commands.includes("cli/commands/validate.ts"), loaded.join("\n"));
    for (const other of ["apply", "get", "install", "operator", "render", "plan"])
      assert.ok(!commands.includes(`cli/commands/${other}.ts`), `${other} loaded: ${commands}`);
    assert.ok(!loaded.includes("cli/cluster.ts"), "the kube client is not loaded");
  });

  test("in-process and spawned runs give the same exit code and bytes", async () => {
    const bad = writeTemp(tempDir(), "bad.yaml", "apiVersion: archctl.io/v1alpha1\nkind: x\n");
    for (const args of [
      ["--help"],
      ["render", "--help"],
      ["render", "-f", "blueprints/post.yaml", "--env", "prod", "--objects"],
      ["graph", "-f", "blueprints/chat.yaml", "--format", "mermaid"],
      ["validate", "-f", bad],
      ["validate", "--fiel", "x"],
      ["backup", "run", "--help"],
      ["rendr"],
    ]) {
      const [spawned, inside] = await Promise.all([archctl(args), inProcess(args)]);
      assert.deepEqual(
        { code: inside.code, stdout: inside.stdout, stderr: inside.stderr },
        { code: spawned.code, stdout: spawned.stdout, stderr: spawned.stderr },
        args.join(" "),
      );
    }
  });

  test("an invalid blueprint: exit 2, problems and one summary line, no stack trace", async () => {
    const file = writeTemp(tempDir(), "bad.yaml", "apiVersion: archctl.io/v1alpha1\n");
    const r = await archctl(["render", "-f", file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /archctl: .*bad\.yaml is not valid: \d+ errors?/);
    assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/);
  });

  test("a reader that closes the pipe early (archctl crd | head) is not an error", async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [INSTALLED, "crd"], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: "1" },
      });
      // Closed before archctl writes a byte: its first write fails with EPIPE.
      child.stdout.destroy();
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
  });
});

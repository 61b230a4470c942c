// The offline commands end to end: help, catalogue, init, render, graph, estimate.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { allCommands } from "../../../cli/commands/index.ts";
import { buildProgram } from "../../../cli/program.ts";
import { tempDir } from "./helpers.ts";
import { inProcess, testDeps } from "./in-process.ts";

/** archctl's whole command tree, from the real buildProgram() with every command. */
async function programTree(): Promise<Command> {
  return buildProgram(await allCommands(), testDeps());
}

/** The full --help text of a command, with the text added before and after. */
function helpOf(cmd: Command): string {
  let text = "";
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

function walk(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

const COMMANDS = ["blueprints", "init", "validate", "render", "graph", "estimate", "crd"];

describe("archctl offline commands", { concurrency: 4 }, () => {
  test("--version prints package.json's version", async () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    const r = await inProcess(["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  test("--help lists every command, the global options and the exit codes", async () => {
    const r = await inProcess(["--help"]);
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`\\n  ${c}\\b`));
    for (const o of ["--kubeconfig", "--context", "--namespace", "--no-color", "--quiet"])
      assert.ok(r.stdout.includes(o), o);
    assert.match(r.stdout, /Exit codes:/);
  });

  test("every command and sub-command has --help with at least one example", async () => {
    const tree = walk(await programTree());
    const names = tree.map((n) => n.path.join(" "));
    // The walk reaches the nested commands (a missed level would pass vacuously).
    for (const want of ["", "env", "env create", "env list", "env destroy", "install", "status"])
      assert.ok(names.includes(want), `${want || "archctl"} in ${names.join(", ")}`);
    const missing: string[] = [];
    for (const { path, cmd } of tree) {
      const help = helpOf(cmd);
      assert.match(help, new RegExp(`^Usage: archctl${path.map((p) => ` ${p}`).join("")}\\b`));
      // An "Examples:" heading followed by at least one `archctl ...` line.
      if (!/\nExamples:\n(?: {2}.*\n)*? {2}archctl /.test(help))
        missing.push(path.join(" ") || "archctl");
    }
    assert.deepEqual(missing, [], "commands whose --help has no example");
  });

  for (const c of COMMANDS) {
    test(`${c} --help runs`, async () => {
      const r = await inProcess([c, "--help"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: archctl/);
      assert.match(r.stdout, /Examples:/);
    });
  }

  test("blueprints lists the five with a description", async () => {
    const r = await inProcess(["blueprints", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout) as {
      name: string;
      description: string;
      environments: string[];
    }[];
    assert.deepEqual(items.map((i) => i.name).sort(), [
      "chat",
      "post",
      "rag",
      "task-queue",
      "trading",
    ]);
    for (const i of items) {
      assert.ok(i.description.length > 20, i.name);
      assert.deepEqual(i.environments, ["dev", "prod"]);
    }
    const text = await inProcess(["blueprints"]);
    assert.match(text.stdout, /^chat\s+Chat rooms/m);
  });

  test("init writes a starter, refuses to overwrite without --force, renames with --name", async () => {
    const dir = tempDir();
    const first = await inProcess(["init", "post"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.ok(existsSync(join(dir, "post.yaml")));
    const again = await inProcess(["init", "post"], { cwd: dir });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /'post\.yaml' already exists: pass --force/);
    const forced = await inProcess(["init", "post", "post.yaml", "--force", "--name", "shop"], {
      cwd: dir,
    });
    assert.equal(forced.code, 0, forced.stderr);
    const text = readFileSync(join(dir, "post.yaml"), "utf8");
    assert.match(text, /^ {2}name: shop$/m);
    assert.match(text, /^# post — a posting service/m, "comments kept");
    const valid = await inProcess(["validate", "-f", "post.yaml"], { cwd: dir });
    assert.equal(valid.code, 0, valid.stdout + valid.stderr);
    const unknown = await inProcess(["init", "pots"], { cwd: dir });
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /no blueprint named 'pots' \(did you mean 'post'\?\): choose one of chat, post, rag, task-queue, trading/,
    );
  });

  test("validate: every blueprint, text and json", async () => {
    for (const b of ["post", "task-queue", "chat", "trading", "rag"]) {
      const r = await inProcess(["validate", "-f", `blueprints/${b}.yaml`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /valid, 0 errors, 0 warnings \(checked: \(base\), dev, prod\)/);
    }
    const q = await inProcess(["-q", "validate", "-f", "blueprints/post.yaml"]);
    assert.equal(q.stderr, "");
    const j = await inProcess([
      "validate",
      "-f",
      "blueprints/post.yaml",
      "--env",
      "prod",
      "-o",
      "json",
    ]);
    assert.deepEqual(JSON.parse(j.stdout), {
      file: "blueprints/post.yaml",
      valid: true,
      environments: ["prod"],
      problems: [],
    });
  });

  test("render gives identical bytes twice, and sets the namespace", async () => {
    const args = ["render", "-f", "blueprints/post.yaml", "--env", "prod", "-n", "shop"];
    const [a, b] = await Promise.all([inProcess(args), inProcess(args)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    const docs = parseAllDocuments(a.stdout);
    assert.equal(docs.length, 1);
    const arch = docs[0]?.toJS() as {
      kind: string;
      metadata: { namespace: string };
      spec: Record<string, unknown>;
    };
    assert.equal(arch.kind, "Architecture");
    assert.equal(arch.metadata.namespace, "shop");
    assert.ok(!("parameters" in arch) && !("environments" in arch));
  });

  test("render --objects: multi-document YAML and a JSON List, stable across runs", async () => {
    for (const b of ["post", "task-queue", "chat", "trading", "rag"]) {
      const args = ["render", "-f", `blueprints/${b}.yaml`, "--env", "prod", "--objects"];
      const [a, again] = await Promise.all([inProcess(args), inProcess(args)]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(a.stdout, again.stdout, `${b} is deterministic`);
      const docs = parseAllDocuments(a.stdout).map(
        (d) => d.toJS() as { kind: string; metadata: { name: string } },
      );
      assert.ok(docs.length > 5, b);
      assert.ok(
        docs.every((d) => d.kind && d.metadata.name.startsWith(`${b}`)),
        b,
      );
      assert.doesNotMatch(a.stdout, /^\s*[&*][a-z0-9]+\s*$/m, "no YAML anchors");
    }
    const json = await inProcess([
      "render",
      "-f",
      "blueprints/post.yaml",
      "--objects",
      "-o",
      "json",
    ]);
    const list = JSON.parse(json.stdout) as { kind: string; items: { kind: string }[] };
    assert.equal(list.kind, "List");
    assert.ok(list.items.some((i) => i.kind === "Deployment"));
    assert.ok(list.items.some((i) => i.kind === "StatefulSet"));
  });

  test("graph shows components, flows, hosts with rate limits, GPU pools, schedules and backups", async () => {
    const text = await inProcess(["graph", "-f", "blueprints/task-queue.yaml"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /https:\/\/jobs\.example\.com {2}limit 10 rps, 20 conns, burst x3 per IP/,
    );
    assert.match(text.stdout, /\/ws -> notifier/);
    assert.match(text.stdout, /worker {2}worker, 0-8 replicas \(queue jobs:pending \/ 5\)/);
    assert.match(text.stdout, /runs on GPU pool gpu \(1 GPU\)/);
    assert.match(text.stdout, /backup results {2}'30 2 \* \* \*', keep 7/);
    const mermaid = await inProcess([
      "graph",
      "-f",
      "blueprints/trading.yaml",
      "--format",
      "mermaid",
    ]);
    assert.match(mermaid.stdout, /^flowchart LR/);
    assert.match(
      mermaid.stdout,
      /c_eod_report\["eod-report<br\/><small>cron, cron '30 16 \* \* 1-5' America\/New_York<\/small>"\]/,
    );
    assert.match(mermaid.stdout, /c_engine -->\|"uses"\| c_kafka/);
    const dot = await inProcess(["graph", "-f", "blueprints/rag.yaml", "--format", "dot"]);
    assert.match(dot.stdout, /^digraph "rag" \{/);
    assert.match(dot.stdout, /c_milvus \[shape=cylinder/);
    assert.match(dot.stdout, /c_embedder -> pool_gpu \[label="1 GPU", style=dashed\]/);
  });

  test("estimate: min and max scale per component and in total", async () => {
    const r = await inProcess([
      "estimate",
      "-f",
      "blueprints/rag.yaml",
      "--env",
      "prod",
      "-o",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    type Q = { cpuCores: number; memoryBytes: number; gpu: number };
    const e = JSON.parse(r.stdout) as {
      components: {
        component: string;
        replicas: { min: number; max: number };
        min: Q;
        max: Q;
        storageBytes: number;
      }[];
      total: { min: Q; max: Q; storageBytes: number };
    };
    const embedder = e.components.find((c) => c.component === "embedder");
    assert.deepEqual(embedder?.replicas, { min: 2, max: 16 });
    assert.equal(embedder?.min.gpu, 2);
    assert.equal(embedder?.max.gpu, 16);
    assert.equal(embedder?.max.cpuCores, 32);
    const milvus = e.components.find((c) => c.component === "milvus");
    assert.ok((milvus?.min.cpuCores ?? 0) > 4, "milvus counts its etcd and MinIO");
    assert.ok((milvus?.storageBytes ?? 0) >= 500 * 2 ** 30);
    assert.equal(e.total.max.gpu, 16);
    assert.ok(e.total.max.cpuCores > e.total.min.cpuCores);
    const table = await inProcess(["estimate", "-f", "blueprints/post.yaml"]);
    assert.match(table.stdout, /^COMPONENT\s+TYPE\s+REPLICAS\s+CPU\s+MEMORY\s+GPU\s+STORAGE$/m);
    assert.match(table.stdout, /^api\s+service\s+2-10\s/m);
    assert.match(table.stdout, /^TOTAL\s/m);
  });

  test("--no-color and NO_COLOR keep escape codes out; FORCE_COLOR adds them", async () => {
    const file = join(tempDir(), "bad.yaml");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      file,
      "apiVersion: archctl.io/v1alpha1\nkind: Architecture\nmetadata: {name: x}\nspec: {components: []}\n",
    );
    const plain = await inProcess(["--no-color", "validate", "-f", file], {
      env: { NO_COLOR: "" },
    });
    assert.ok(!(plain.stdout + plain.stderr).includes("\u001b["));
    const colored = await inProcess(["validate", "-f", file], {
      env: { NO_COLOR: "", FORCE_COLOR: "1" },
    });
    assert.ok(colored.stdout.includes("\u001b[31m"));
  });
});

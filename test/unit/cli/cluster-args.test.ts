// Argument errors of the cluster commands: exit 2 (or 4 without a cluster),
// one line, never a stack trace, and nothing sent to any cluster.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tempDir, writeTemp } from "./helpers.ts";
import { inProcess } from "./in-process.ts";

const BP = "blueprints/post.yaml";
// Nothing listens on port 9 of 127.0.0.1 (the discard port is not served here).
const dir = tempDir();
const DEAD = writeTemp(
  dir,
  "dead.kubeconfig",
  `apiVersion: v1
kind: Config
clusters:
  - name: dead
    cluster: { server: "https://127.0.0.1:9" }
contexts:
  - name: dead
    context: { cluster: dead, user: u, namespace: team }
current-context: dead
users:
  - name: u
    user: { token: t }
`,
);

interface Case {
  args: string[];
  code: number;
  message: RegExp;
}

const CASES: Case[] = [
  { args: ["apply"], code: 2, message: /apply needs a blueprint: pass -f FILE/ },
  {
    args: ["apply", "-f", BP, "--timeout", "soon"],
    code: 2,
    message: /--timeout must be a duration like 90s/,
  },
  {
    args: ["apply", "-f", BP, "--ttl", "2 hours"],
    code: 2,
    message: /--ttl must be a duration like 30m/,
  },
  {
    args: ["apply", "-f", BP, "--dry-run=maybe"],
    code: 2,
    message: /argument 'maybe' is invalid.*server, client/,
  },
  { args: ["apply", "-f", BP, "-o", "toml"], code: 2, message: /unknown output format 'toml'/ },
  {
    args: ["apply", "-f", BP, "--dry-run=server", "--wait"],
    code: 2,
    message: /--wait cannot be combined with --dry-run/,
  },
  {
    args: ["apply", "-f", BP, "--set", "spec.components.api.replicas=many"],
    code: 2,
    message: /not valid/,
  },
  { args: ["plan"], code: 2, message: /plan needs a blueprint/ },
  { args: ["diff", "-f", "missing.yaml"], code: 2, message: /missing\.yaml/ },
  {
    args: ["get", "-o", "toml"],
    code: 2,
    message: /unknown output format 'toml': use one of table, wide, yaml, json/,
  },
  { args: ["get", "post", "-A"], code: 2, message: /cannot be combined with -A/ },
  { args: ["status", "post", "-w", "-o", "json"], code: 2, message: /-w shows the text view/ },
  {
    args: ["status", "post", "-w", "--timeout", "soon"],
    code: 2,
    message: /--timeout must be a duration like 90s, 10m or 1h, not 'soon'/,
  },
  { args: ["status", "post", "--timeout", "1m"], code: 2, message: /--timeout limits -w: add -w/ },
  {
    args: ["get", "-w", "-o", "json"],
    code: 2,
    message: /-w prints the table: drop -o yaml\/json/,
  },
  {
    args: ["delete", "post", "--delete-data"],
    code: 2,
    message: /without a terminal to confirm on, add --yes/,
  },
  { args: ["delete", "post", "--timeout", "x"], code: 2, message: /--timeout must be a duration/ },
  {
    args: ["env", "create", "pr-1", "-f", BP],
    code: 2,
    message: /required option '--ttl <duration>' not specified/,
  },
  {
    args: ["env", "create", "PR_1", "-f", BP, "--ttl", "1h"],
    code: 2,
    message: /environment name 'PR_1' must be lowercase/,
  },
  { args: ["env", "destroy", "x".repeat(60)], code: 2, message: /at most 51 characters/ },
  {
    args: ["completion", "powershell"],
    code: 2,
    message: /'powershell' is invalid.*bash, zsh, fish/,
  },
  // Valid input, no cluster: exit 4 with one line naming the server and context.
  {
    args: ["--kubeconfig", DEAD, "apply", "-f", BP, "--env", "dev"],
    code: 4,
    message: /^archctl: no cluster at https:\/\/127\.0\.0\.1:9 \(context dead\)/,
  },
  { args: ["--kubeconfig", DEAD, "get"], code: 4, message: /no cluster at/ },
  // status without NAME looks the Architecture up (so it needs the cluster).
  { args: ["--kubeconfig", DEAD, "status"], code: 4, message: /no cluster at/ },
  { args: ["--kubeconfig", DEAD, "get", "-w"], code: 4, message: /no cluster at/ },
  // apply's durations everywhere: 1h is a valid --timeout for install and uninstall.
  {
    args: ["--kubeconfig", DEAD, "uninstall", "--timeout", "1h"],
    code: 4,
    message: /no cluster at/,
  },
  {
    args: ["--kubeconfig", DEAD, "install", "--timeout", "1h30m"],
    code: 4,
    message: /no cluster at/,
  },
  {
    args: ["--kubeconfig", `${dir}/none`, "status", "post"],
    code: 4,
    message: /cannot read kubeconfig .*none/,
  },
  {
    args: ["--kubeconfig", DEAD, "--context", "other", "get"],
    code: 4,
    message: /context 'other' is not in the kubeconfig; known contexts: dead/,
  },
];

describe("cluster commands: argument errors", { concurrency: 6 }, () => {
  for (const c of CASES) {
    test(`archctl ${c.args.join(" ").replace(dir, "$TMP")} -> exit ${c.code}`, async () => {
      const r = await inProcess(c.args);
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.message);
      assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
      if (c.code === 4) assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    });
  }

  test("completion bash prints a script; every cluster command has --help", async () => {
    const r = await inProcess(["completion", "bash"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /complete -o default -F _archctl archctl/);
    for (const cmd of [
      ["apply"],
      ["plan"],
      ["get"],
      ["status"],
      ["delete"],
      ["env", "create"],
      ["env", "list"],
      ["env", "destroy"],
    ]) {
      const h = await inProcess([...cmd, "--help"]);
      assert.equal(h.code, 0, cmd.join(" "));
      assert.match(h.stdout, /Usage: archctl/);
    }
  });

  test("plan documents its exit codes: 1 only for changes, 7 for other failures", async () => {
    const r = await inProcess(["plan", "--help"]);
    assert.match(r.stdout, /0 {2}no changes {5}1 {2}changes {5}2 {2}invalid input/);
    assert.match(r.stdout, /7 {2}any other failure .*: never 1/);
    const top = await inProcess(["--help"]);
    assert.match(
      top.stdout,
      /1 {4}failure, or the Architecture is Degraded \(plan: there are changes\)/,
    );
    assert.match(top.stdout, /7 {4}plan only: plan failed for another reason/);
  });
});

// Flags of `archctl operator run`: leader election can be turned off whatever
// the environment says, the Lease can be named, and bad values are refused
// with a message that says how to fix them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Command, CommanderError } from "commander";
import type { RunFlags } from "../../../cli/commands/operator.ts";
import { addRunOptions, operatorOptionsFrom } from "../../../cli/commands/operator.ts";
import { UserError } from "../../../cli/context.ts";
import { inProcess } from "./in-process.ts";

function parse(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const cmd = addRunOptions(new Command("run"), env)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  cmd.parse(argv, { from: "user" });
  return operatorOptionsFrom(cmd.opts<RunFlags>(), {});
}

test("leader election: off by default, on with --leader-elect or ARCHCTL_LEADER_ELECT=true", () => {
  assert.equal(parse([]).leaderElection, false);
  assert.equal(parse(["--leader-elect"]).leaderElection, true);
  assert.equal(parse(["--leader-elect=true"]).leaderElection, true);
  assert.equal(parse([], { ARCHCTL_LEADER_ELECT: "true" }).leaderElection, true);
});

test("--leader-elect=false and --no-leader-elect override ARCHCTL_LEADER_ELECT=true", () => {
  const env = { ARCHCTL_LEADER_ELECT: "true" };
  assert.equal(parse(["--leader-elect=false"], env).leaderElection, false);
  assert.equal(parse(["--leader-elect", "false"], env).leaderElection, false);
  assert.equal(parse(["--no-leader-elect"], env).leaderElection, false);
  // The last one given wins, as with any flag.
  assert.equal(parse(["--no-leader-elect", "--leader-elect"], env).leaderElection, true);
});

test("--lease-name names the Lease (default archctl-operator, env ARCHCTL_LEASE_NAME)", () => {
  assert.equal(parse([]).leaseName, "archctl-operator");
  assert.equal(parse(["--lease-name", "team-a-operator"]).leaseName, "team-a-operator");
  assert.equal(parse([], { ARCHCTL_LEASE_NAME: "from-env" }).leaseName, "from-env");
  assert.throws(
    () => parse(["--lease-name", "Not_Valid"]),
    (e: unknown) =>
      e instanceof UserError && /--lease-name must be a DNS subdomain/.test(e.message),
  );
});

test("a value that is not true or false is refused, naming the flag or the variable", () => {
  assert.throws(
    () => parse(["--leader-elect=maybe"]),
    (e: unknown) => e instanceof CommanderError && e.code === "commander.invalidArgument",
  );
  assert.throws(
    () => parse([], { ARCHCTL_LEADER_ELECT: "maybe" }),
    (e: unknown) =>
      e instanceof UserError &&
      /ARCHCTL_LEADER_ELECT must be true or false, not 'maybe'/.test(e.message),
  );
});

test("through the CLI: a bad --leader-elect value exits 2 with one line", async () => {
  const r = await inProcess(["operator", "run", "--leader-elect=maybe"]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /--leader-elect \[bool\]' argument 'maybe' is invalid\. use true or false\./,
  );
  const env = await inProcess(["operator", "run"], { env: { ARCHCTL_LEADER_ELECT: "sometimes" } });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /ARCHCTL_LEADER_ELECT must be true or false, not 'sometimes'/);
});

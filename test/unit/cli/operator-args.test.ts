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

test("--child-concurrency: unset by default (the reconciler's own), a flag or ARCHCTL_CHILD_CONCURRENCY; not a positive whole number is refused", () => {
  assert.equal(parse([]).childConcurrency, undefined);
  assert.equal(parse(["--child-concurrency", "8"]).childConcurrency, 8);
  assert.equal(parse([], { ARCHCTL_CHILD_CONCURRENCY: "2" }).childConcurrency, 2);
  for (const bad of ["0", "1.5", "many"])
    assert.throws(
      () => parse(["--child-concurrency", bad]),
      (e: unknown) =>
        e instanceof UserError &&
        new RegExp(`--child-concurrency must be a positive whole number, not '${bad}'`).test(
          e.message,
        ),
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

test("--shard and --shards: both or neither, the shard below the count (env ARCHCTL_SHARD, ARCHCTL_SHARDS)", () => {
  assert.equal(parse([]).shard, undefined);
  assert.deepEqual(parse(["--shard", "2", "--shards", "3"]).shard, { index: 2, count: 3 });
  assert.deepEqual(parse([], { ARCHCTL_SHARD: "0", ARCHCTL_SHARDS: "2" }).shard, {
    index: 0,
    count: 2,
  });
  const refused = (argv: string[], pattern: RegExp) =>
    assert.throws(
      () => parse(argv),
      (e: unknown) => e instanceof UserError && pattern.test(e.message),
    );
  refused(["--shard", "1"], /--shard and --shards go together/);
  refused(["--shard", "3", "--shards", "3"], /--shard must be a whole number from 0 to 2/);
  refused(["--shard", "-1", "--shards", "3"], /--shard must be a whole number/);
  refused(["--shard", "0", "--shards", "0"], /--shards must be a whole number from 1/);
});

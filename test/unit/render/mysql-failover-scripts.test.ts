// The MySQL failover scripts run by sh, as in the container, against a
// recording `mysql` client: the statements each sends, in order, to which
// server, and where each stops. (MySQL 8.4 itself does not run here: see the
// README's list of what is not exercised against a real server.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { MYSQL_FAILOVER_SCRIPTS } from "../../../operator/render/datastores/mysql-failover.ts";
import { MYSQL_SCRIPTS } from "../../../operator/render/datastores/mysql-replication.ts";

const dir = mkdtempSync(join(tmpdir(), "mysql-failover-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// Records each call's arguments (one line) and password, answers by statement, fails on $FAIL_ON.
writeFileSync(
  join(dir, "mysql"),
  `#!/bin/sh
args="$*"
while [ $# -gt 0 ]; do case "$1" in -e) shift; stmt="$1";; esac; shift; done
printf '%s\\n' "pwd=$MYSQL_PWD args=$(printf '%s' "$args" | tr '\\n' ' ')" >> "$LOG"
if [ -n "\${FAIL_ON:-}" ]; then case "$stmt" in *"$FAIL_ON"*) echo "ERROR 1234: refused" >&2; exit 1;; esac; fi
case "$stmt" in
  *concat_ws*) echo "1;ON;ON;1;u;g;r";;
  *wait_for_executed_gtid_set*) echo "\${WAIT_RESULT:-0}";;
  *"select count(*) from performance_schema.replication_connection_configuration") echo "\${CHANNELS:-1}";;
  "select replace(@@global.gtid_executed"*) echo "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10";;
esac
`,
);
chmodSync(join(dir, "mysql"), 0o755);

function run(script: keyof typeof MYSQL_FAILOVER_SCRIPTS, args: string[] = [], env = {}) {
  const log = join(dir, `${script}.${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, "");
  const r = spawnSync("sh", ["-c", MYSQL_FAILOVER_SCRIPTS[script], script, ...args], {
    encoding: "utf8",
    env: {
      PATH: `${dir}:${process.env.PATH}`,
      LOG: log,
      MYSQL_PORT: "3306",
      MYSQL_ROOT_PASSWORD: "rootpw",
      REPLICATION_PASSWORD: "replpw",
      HEADLESS_HOST: "post-db-headless.prod.svc",
      ...env,
    },
  });
  const calls = readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
  for (const c of calls)
    assert.match(c, /^pwd=rootpw args=-h 127\.0\.0\.1 -P 3306 -u root -NB -e /);
  const statements = calls.map((c) =>
    c.replace(/^pwd=rootpw args=-h 127\.0\.0\.1 -P 3306 -u root -NB -e /, "").replace(/\s+/g, " "),
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, statements };
}

test("the failover scripts ship in the scripts ConfigMap", () => {
  for (const name of Object.keys(MYSQL_FAILOVER_SCRIPTS))
    assert.equal(
      MYSQL_SCRIPTS[name as keyof typeof MYSQL_SCRIPTS],
      MYSQL_FAILOVER_SCRIPTS[name as keyof typeof MYSQL_FAILOVER_SCRIPTS],
    );
});

test("state.sh asks one query and prints its line", () => {
  const r = run("state.sh");
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "1;ON;ON;1;u;g;r\n");
  assert.equal(r.statements.length, 1);
  assert.match(r.statements[0] ?? "", /replace\(@@global.gtid_executed, '\\n', ''\)/);
  assert.match(r.statements[0] ?? "", /received_transaction_set/);
});

test("fence.sh persists super_read_only with a bounded wait, then prints the executed set", () => {
  const r = run("fence.sh");
  assert.equal(r.status, 0);
  assert.deepEqual(r.statements, [
    "set session lock_wait_timeout = 30; set persist super_read_only = on",
    "select replace(@@global.gtid_executed, '\\n', '')",
  ]);
  assert.equal(r.stdout.trim(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10");
  const refused = run("fence.sh", [], { FAIL_ON: "super_read_only" });
  assert.notEqual(refused.status, 0);
  assert.equal(refused.statements.length, 1);
});

test("promote.sh: applier drained, channel reset, writable; stops if the applier lags", () => {
  const r = run("promote.sh");
  assert.equal(r.status, 0);
  assert.equal(r.statements.length, 3);
  assert.match(
    r.statements[0] ?? "",
    /^select wait_for_executed_gtid_set\(coalesce\(\(select received_transaction_set .*\), ''\), 60\)$/,
  );
  assert.equal(
    r.statements[1],
    "stop replica; reset replica all; set persist super_read_only = off; set persist read_only = off",
  );
  assert.equal(r.stdout.trim(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10");
  const slow = run("promote.sh", [], { WAIT_RESULT: "1" });
  assert.equal(slow.status, 1);
  assert.match(slow.stderr, /did not apply what it received within 60 s: not promoted/);
  assert.equal(slow.statements.length, 1);
});

test("repoint.sh: read-only first, then the new primary's pod through the headless Service, auto-positioned", () => {
  const r = run("repoint.sh", ["post-db-2"]);
  assert.equal(r.status, 0);
  assert.deepEqual(r.statements.slice(0, 3), [
    "set persist super_read_only = on",
    "select count(*) from performance_schema.replication_connection_configuration",
    "stop replica",
  ]);
  assert.equal(
    r.statements[3],
    "change replication source to source_host = 'post-db-2.post-db-headless.prod.svc', source_port = 3306, source_user = 'replicator', source_password = 'replpw', source_auto_position = 1, source_ssl = 1, get_source_public_key = 1, source_connect_retry = 5, source_retry_count = 86400; start replica",
  );
  // The fenced old primary has no channel to stop.
  const old = run("repoint.sh", ["post-db-2"], { CHANNELS: "0" });
  assert.equal(old.status, 0);
  assert.ok(!old.statements.includes("stop replica"));
  const none = run("repoint.sh");
  assert.equal(none.status, 2);
  assert.deepEqual(none.statements, []);
  const refused = run("repoint.sh", ["post-db-2"], { FAIL_ON: "change replication source" });
  assert.notEqual(refused.status, 0);
});

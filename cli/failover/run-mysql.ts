// Carries out a MySQL failover decided by operator/failover/decide-mysql.ts,
// with the same I/O and outcome as PostgreSQL's (run.ts): the order and the
// stops are tested without a cluster, the scripts' statements in unit tests
// against a recording client.
import {
  decideMysqlFailover,
  holds,
  holdsAllOf,
  type MysqlMemberState,
  parseMysqlMemberState,
} from "../../operator/failover/decide-mysql.ts";
import {
  formatGtidSet,
  type GtidSet,
  gtidSubtract,
  parseGtidSet,
} from "../../operator/failover/gtid.ts";
import {
  type FailoverIo,
  type FailoverOutcome,
  type FailoverTarget,
  scriptCommand,
} from "./run.ts";

async function stateOf(io: FailoverIo, pod: string, ordinal: number): Promise<MysqlMemberState> {
  try {
    return parseMysqlMemberState(pod, ordinal, await io.exec(pod, "state.sh"));
  } catch {
    return { pod, ordinal, reachable: false };
  }
}

/** The last line of a script's stdout as a GTID set. */
function gtidOut(stdout: string): GtidSet | undefined {
  const lines = stdout.trim().split("\n");
  return parseGtidSet(lines[lines.length - 1] ?? "");
}

export async function runMysqlFailover(
  io: FailoverIo,
  t: FailoverTarget,
): Promise<FailoverOutcome> {
  const start = io.now();
  const pods = Array.from({ length: t.members }, (_, i) => `${t.statefulSet}-${i}`);
  const members = await Promise.all(pods.map((p, i) => stateOf(io, p, i)));
  const primary = `${t.statefulSet}-${t.primaryOrdinal}`;
  const decision = decideMysqlFailover({
    primary,
    members,
    force: t.force,
    ...(t.to !== undefined ? { to: t.to } : {}),
  });
  if (!decision.ok)
    return { done: false, reason: decision.reason, hint: decision.hint, changed: false };
  const candidate = decision.candidate.pod;
  io.log(
    `promoting ${candidate}${decision.missing !== undefined ? ` (${decision.missing} transactions behind ${primary})` : ""}`,
  );
  const stopped = async (note: string, hint: string): Promise<FailoverOutcome> => {
    await io.event("Warning", "FailoverStopped", note);
    return { done: false, reason: note, hint, changed: true };
  };
  let fenced: GtidSet | undefined;
  const forcedNotes = decision.forced ? [decision.forced] : [];
  for (const step of decision.steps) {
    switch (step.kind) {
      case "fence": {
        try {
          fenced = gtidOut(await io.exec(step.pod, step.script));
        } catch (err) {
          return stopped(
            `${step.pod} could not be fenced (${(err as Error).message}); nothing was promoted`,
            "commits in flight held it past lock_wait_timeout, or the server went away: run archctl failover again, or with --force if it is gone for good",
          );
        }
        if (!fenced)
          return stopped(
            `${step.pod} is read-only now, but its executed GTID set could not be read; nothing was promoted`,
            "run archctl failover again: a fenced primary is fenced again harmlessly",
          );
        io.log(
          `fenced ${step.pod} (super_read_only) at ${formatGtidSet(fenced) || "an empty GTID set"}`,
        );
        break;
      }
      case "await-caught-up": {
        const limit = t.catchUpMs ?? 60_000;
        const deadline = io.now() + limit;
        for (;;) {
          const s = await stateOf(io, step.pod, decision.candidate.ordinal);
          if (fenced && holdsAllOf(s, fenced)) break;
          if (io.now() >= deadline && decision.forced) {
            // --force accepted the loss: what the candidate lacks stays on the fenced primary only.
            const lacking = fenced ? formatGtidSet(gtidSubtract(fenced, holds(s))) : "unknown";
            forcedNotes.push(`${step.pod} lacked ${lacking || "nothing"} of the fenced primary`);
            io.log(`${step.pod} still lacks ${lacking}: promoting anyway (--force)`);
            break;
          }
          if (io.now() >= deadline)
            return stopped(
              `${step.pod} did not receive ${primary}'s last transactions within ${limit / 1000}s; ${primary} is fenced (super_read_only) and nothing was promoted`,
              "run archctl failover again (with --to another replica, or --force), or clear super_read_only on the primary to give up",
            );
          await io.sleep(500);
        }
        break;
      }
      case "promote":
        try {
          await io.exec(step.pod, step.script);
        } catch (err) {
          return stopped(
            `${step.pod} could not be promoted (${(err as Error).message}); ${primary} is ${fenced ? "fenced" : "not fenced"} and the read-write Service did not move`,
            `check SHOW REPLICA STATUS on ${step.pod}, then run archctl failover again`,
          );
        }
        io.log(`promoted ${step.pod}`);
        break;
      case "move-service":
        await io.movePrimary(step.ordinal);
        io.log(`read-write Service now selects ${t.statefulSet}-${step.ordinal}`);
        break;
      case "repoint":
        try {
          await io.exec(step.pod, step.script, step.args);
          io.log(`${step.pod} now replicates from ${candidate}`);
        } catch (err) {
          // The primary is moved already: say which member is left behind, do not undo.
          io.log(`could not repoint ${step.pod}: ${(err as Error).message}`);
          await io.event(
            "Warning",
            "FailoverRepointFailed",
            `${step.pod} does not replicate from ${candidate}: run '${scriptCommand(step.script, step.args).join(" ")}' in it`,
          );
        }
        break;
    }
  }
  const ms = io.now() - start;
  const forced = forcedNotes.join("; ");
  await io.event(
    forced ? "Warning" : "Normal",
    "FailedOver",
    `promoted ${candidate} in place of ${primary} in ${ms} ms${forced ? ` (forced: ${forced})` : ""}`,
  );
  return {
    done: true,
    promoted: candidate,
    previous: primary,
    ms,
    ...(forced ? { forced } : {}),
  };
}

// Carries out a PostgreSQL failover (MySQL's: run-mysql.ts) decided by operator/failover/decide.ts.
// The I/O is passed in (exec into a member, annotate the Architecture, record
// an Event), so the order and the stops are tested without a cluster, and the
// scripts themselves run against real servers in test/dataplane.
import {
  caughtUpWith,
  decideFailover,
  type FailoverDecision,
  type MemberState,
  parseLsn,
  parseMemberState,
} from "../../operator/failover/decide.ts";
import { SCRIPTS_DIR } from "../../operator/render/datastores/postgres-replication.ts";

export interface FailoverIo {
  /** Runs `sh <SCRIPTS_DIR>/<script> [args]` in the member's server container; resolves stdout, rejects on failure. */
  exec(pod: string, script: string, args?: readonly string[]): Promise<string>;
  /** Points the read-write Service at the member: the primary annotation of the Architecture. */
  movePrimary(ordinal: number): Promise<void>;
  /** An Event on the Architecture. */
  event(type: "Normal" | "Warning", reason: string, note: string): Promise<void>;
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
}

export interface FailoverTarget {
  /** `<arch>-<component>`: members are `<statefulset>-<ordinal>`. */
  statefulSet: string;
  members: number;
  primaryOrdinal: number;
  to?: string;
  force: boolean;
  /** How long to wait for the candidate to receive the fenced primary's last write. */
  catchUpMs?: number;
}

export type FailoverOutcome =
  | { done: true; promoted: string; previous: string; ms: number; forced?: string }
  | { done: false; reason: string; hint: string; changed: boolean };

export function scriptCommand(script: string, args: readonly string[] = []): string[] {
  return ["sh", `${SCRIPTS_DIR}/${script}`, ...args];
}

async function stateOf(io: FailoverIo, pod: string, ordinal: number): Promise<MemberState> {
  try {
    return parseMemberState(pod, ordinal, await io.exec(pod, "state.sh"));
  } catch {
    return { pod, ordinal, reachable: false };
  }
}

export async function runFailover(io: FailoverIo, t: FailoverTarget): Promise<FailoverOutcome> {
  const start = io.now();
  const pods = Array.from({ length: t.members }, (_, i) => `${t.statefulSet}-${i}`);
  const members = await Promise.all(pods.map((p, i) => stateOf(io, p, i)));
  const primary = `${t.statefulSet}-${t.primaryOrdinal}`;
  const decision: FailoverDecision = decideFailover({
    primary,
    members,
    force: t.force,
    ...(t.to !== undefined ? { to: t.to } : {}),
  });
  if (!decision.ok)
    return { done: false, reason: decision.reason, hint: decision.hint, changed: false };
  const candidate = decision.candidate.pod;
  io.log(
    `promoting ${candidate}${decision.lagBytes !== undefined ? ` (${decision.lagBytes} bytes behind ${primary})` : ""}`,
  );
  let fencedAt: bigint | undefined;
  for (const step of decision.steps) {
    switch (step.kind) {
      case "fence": {
        const out = await io.exec(step.pod, step.script);
        fencedAt = parseLsn(out.split("\n")[0] ?? "");
        io.log(`fenced ${step.pod} at ${out.split("\n")[0]?.trim()}: it restarts as a standby`);
        break;
      }
      case "await-caught-up": {
        const deadline = io.now() + (t.catchUpMs ?? 60_000);
        for (;;) {
          const s = await stateOf(io, step.pod, decision.candidate.ordinal);
          if (fencedAt !== undefined && caughtUpWith(s, fencedAt)) break;
          if (io.now() >= deadline) {
            const note = `${step.pod} did not receive ${primary}'s last write within ${(t.catchUpMs ?? 60_000) / 1000}s; ${primary} is fenced and nothing was promoted`;
            await io.event("Warning", "FailoverStopped", note);
            return {
              done: false,
              reason: note,
              hint: `run archctl failover again with --force to promote the most advanced replica, or --to another one`,
              changed: true,
            };
          }
          await io.sleep(500);
        }
        break;
      }
      case "promote":
        await io.exec(step.pod, step.script);
        io.log(`promoted ${step.pod}`);
        break;
      case "move-service":
        await io.movePrimary(step.ordinal);
        io.log(`read-write Service now selects ${t.statefulSet}-${step.ordinal}`);
        break;
      case "repoint":
        try {
          await io.exec(step.pod, step.script);
          io.log(`repointed ${step.pod}`);
        } catch (err) {
          // A replica that cannot be repointed follows through the Service once it reconnects.
          io.log(`could not repoint ${step.pod}: ${(err as Error).message}`);
        }
        break;
    }
  }
  const ms = io.now() - start;
  await io.event(
    decision.forced ? "Warning" : "Normal",
    "FailedOver",
    `promoted ${candidate} in place of ${primary} in ${ms} ms${decision.forced ? ` (forced: ${decision.forced})` : ""}`,
  );
  return {
    done: true,
    promoted: candidate,
    previous: primary,
    ms,
    ...(decision.forced ? { forced: decision.forced } : {}),
  };
}

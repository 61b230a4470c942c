// `archctl failover` for PostgreSQL: which replica to promote, whether it is
// safe, and the steps, as data. Pure: the CLI runs the steps (exec into the
// members' containers, then one annotation on the Architecture); the
// real-server tests run the same scripts against real servers.
//
// Safe means no committed write is lost: the old primary is fenced first (it
// stops and comes back only as a standby), and the candidate is promoted only
// once it has received everything the old primary wrote. When the old primary
// cannot be reached, or no replica is caught up, that cannot be known: the
// failover is refused unless forced.
import { promotable } from "./candidates.ts";

/** A WAL position, `X/Y` in hex, as a number of bytes. */
export function parseLsn(text: string): bigint | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) return undefined;
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

export interface MemberState {
  pod: string;
  ordinal: number;
  /** False when the member could not be asked (pod gone, node lost, server down). */
  reachable: boolean;
  inRecovery?: boolean;
  receiveLsn?: bigint;
  replayLsn?: bigint;
  /** The primary's current write position. */
  currentLsn?: bigint;
  streaming?: boolean;
}

/** Parses state.sh's line: `in_recovery,receive_lsn,replay_lsn,current_lsn,streaming`. */
export function parseMemberState(pod: string, ordinal: number, stdout: string): MemberState {
  const fields = stdout.trim().split(",");
  if (fields.length !== 5) return { pod, ordinal, reachable: false };
  const [recovery, receive, replay, current, streaming] = fields as [
    string,
    string,
    string,
    string,
    string,
  ];
  const state: MemberState = {
    pod,
    ordinal,
    reachable: true,
    inRecovery: recovery === "t",
    streaming: streaming === "t",
  };
  const r = parseLsn(receive);
  if (r !== undefined) state.receiveLsn = r;
  const p = parseLsn(replay);
  if (p !== undefined) state.replayLsn = p;
  const c = parseLsn(current);
  if (c !== undefined) state.currentLsn = c;
  return state;
}

/** How far behind the primary a replica may be and still count as caught up: one WAL segment. */
export const CAUGHT_UP_BYTES = 16n * 1024n * 1024n;

export interface FailoverRequest {
  /** The member the read-write Service points at now. */
  primary: string;
  members: MemberState[];
  /** The member to promote (`--to`). */
  to?: string;
  force: boolean;
}

export type Step =
  /** Fence the old primary; its stdout is the last WAL position it wrote. */
  | { kind: "fence"; pod: string; script: "fence.sh" }
  /** Wait until the candidate has received past the fenced primary's last position. */
  | { kind: "await-caught-up"; pod: string; script: "state.sh" }
  | { kind: "promote"; pod: string; script: "promote.sh" }
  /** Move the read-write Service: the primary annotation of the Architecture. */
  | { kind: "move-service"; ordinal: number }
  /** Point another replica at the new primary. */
  | { kind: "repoint"; pod: string; script: "repoint.sh" };

export type FailoverDecision =
  | {
      ok: true;
      candidate: MemberState;
      /** Bytes the candidate had not received from the primary when asked (undefined: unknown). */
      lagBytes?: bigint;
      steps: Step[];
      /** What --force skipped, said in the Event. */
      forced?: string;
    }
  | { ok: false; reason: string; hint: string };

function position(m: MemberState): bigint {
  return m.receiveLsn ?? m.replayLsn ?? -1n;
}

/** The member to promote and the steps, or why not. */
export function decideFailover(req: FailoverRequest): FailoverDecision {
  const chosen = promotable(
    req.members,
    req.primary,
    req.to,
    (m) => m.reachable && m.inRecovery === true,
  );
  if ("ok" in chosen) return chosen;
  const { primary, replicas, pool } = chosen;
  // Most advanced first; among equals the lowest ordinal, so the choice is stable.
  const ranked = [...pool].sort((a, b) => {
    const d = position(b) - position(a);
    return d > 0n ? 1 : d < 0n ? -1 : a.ordinal - b.ordinal;
  });
  const candidate = ranked.find((m) => m.streaming) ?? (req.force ? ranked[0] : undefined);
  if (!candidate)
    return {
      ok: false,
      reason: replicas.length
        ? "no replica is streaming from the primary: promoting one could lose committed writes"
        : "no replica can be reached",
      hint: replicas.length
        ? "wait for a replica to catch up, or pass --force to promote the most advanced one anyway"
        : "a failover needs a running replica",
    };

  const known = primary.reachable && primary.currentLsn !== undefined;
  const lagBytes =
    known && candidate.receiveLsn !== undefined
      ? (primary.currentLsn as bigint) - candidate.receiveLsn
      : undefined;
  let forced: string | undefined;
  if (!primary.reachable) {
    if (!req.force)
      return {
        ok: false,
        reason: `the primary ${primary.pod} cannot be reached: it cannot be fenced, and whether ${candidate.pod} has every committed write cannot be known`,
        hint: `if ${primary.pod} is down for good (its node lost), pass --force; it must not come back as a primary`,
      };
    forced = `the primary ${primary.pod} was not reachable: not fenced, and ${candidate.pod}'s completeness unknown`;
  } else if (lagBytes === undefined || lagBytes > CAUGHT_UP_BYTES) {
    if (!req.force)
      return {
        ok: false,
        reason: `no replica is caught up: ${candidate.pod} is ${lagBytes === undefined ? "an unknown number of" : lagBytes.toString()} bytes behind the primary`,
        hint: "wait and retry, or pass --force to promote it anyway",
      };
    forced = `${candidate.pod} was ${lagBytes?.toString() ?? "an unknown number of"} bytes behind`;
  } else if (!candidate.streaming) {
    forced = `${candidate.pod} was not streaming`;
  }

  const steps: Step[] = [];
  if (primary.reachable) {
    steps.push({ kind: "fence", pod: primary.pod, script: "fence.sh" });
    steps.push({ kind: "await-caught-up", pod: candidate.pod, script: "state.sh" });
  }
  steps.push({ kind: "promote", pod: candidate.pod, script: "promote.sh" });
  steps.push({ kind: "move-service", ordinal: candidate.ordinal });
  for (const m of replicas)
    if (m.pod !== candidate.pod) steps.push({ kind: "repoint", pod: m.pod, script: "repoint.sh" });
  return {
    ok: true,
    candidate,
    ...(lagBytes !== undefined ? { lagBytes } : {}),
    steps,
    ...(forced ? { forced } : {}),
  };
}

/**
 * Whether the candidate has received past the fenced primary's last write
 * position (the shutdown checkpoint follows it).
 */
export function caughtUpWith(candidate: MemberState, fencedAt: bigint): boolean {
  return candidate.receiveLsn !== undefined && candidate.receiveLsn > fencedAt;
}

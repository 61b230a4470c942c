// `archctl failover` for MySQL (GTID replication): which replica to promote,
// whether it is safe, and the steps, as data. The contract is PostgreSQL's
// (decide.ts); positions are GTID sets instead of WAL positions. Pure: the CLI
// runs the steps (the scripts of mysql-failover.ts, exec'd in the members).
//
// Safe means no committed write is lost and no replica gets writes the primary
// never had: the old primary is fenced (super_read_only, persisted) before the
// candidate is promoted, and the candidate is promoted only once it has
// received every transaction the fenced primary executed. A candidate with
// transactions of its own (errant GTIDs) would hand them to every replica that
// follows it: refused, as orchestrator does, unless forced.

import { promotable } from "./candidates.ts";
import {
  formatGtidSet,
  type GtidSet,
  gtidCount,
  gtidSubset,
  gtidSubtract,
  gtidUnion,
  gtidWithoutServer,
  parseGtidSet,
} from "./gtid.ts";

export interface MysqlMemberState {
  pod: string;
  ordinal: number;
  /** False when the member could not be asked (pod gone, node lost, server down). */
  reachable: boolean;
  /** A replication channel is configured: the member is a replica. */
  replica?: boolean;
  /** The channel's receiver (I/O thread) is ON. */
  receiving?: boolean;
  /** The channel's applier (SQL thread) is ON. */
  applying?: boolean;
  superReadOnly?: boolean;
  serverUuid?: string;
  executed?: GtidSet;
  /** Transactions received into the relay log (applied or not). */
  received?: GtidSet;
}

/**
 * Parses state.sh's line:
 * `channels;receiver;applier;super_read_only;server_uuid;gtid_executed;received_transaction_set`
 * (`;` because GTID sets hold commas and colons).
 */
export function parseMysqlMemberState(
  pod: string,
  ordinal: number,
  stdout: string,
): MysqlMemberState {
  const unreachable = { pod, ordinal, reachable: false };
  const fields = stdout.trim().split(";");
  if (fields.length !== 7) return unreachable;
  const [channels, receiver, applier, sro, uuid, executedText, receivedText] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const executed = parseGtidSet(executedText);
  const received = parseGtidSet(receivedText);
  if (!executed || !received || !/^[0-9]+$/.test(channels)) return unreachable;
  return {
    pod,
    ordinal,
    reachable: true,
    replica: Number(channels) > 0,
    receiving: receiver === "ON",
    applying: applier === "ON",
    superReadOnly: sro === "1",
    serverUuid: uuid.toLowerCase(),
    executed,
    received,
  };
}

/** Everything the member has: executed, and received but not yet applied. */
export function holds(m: MysqlMemberState): GtidSet {
  return gtidUnion(m.executed ?? new Map(), m.received ?? new Map());
}

/**
 * How many transactions a replica may miss and still count as caught up: the
 * fence then waits for them, so this bounds that wait (a few seconds of an
 * applier's work), as one WAL segment does for PostgreSQL.
 */
export const CAUGHT_UP_TRANSACTIONS = 1000n;

export interface MysqlFailoverRequest {
  primary: string;
  members: MysqlMemberState[];
  to?: string;
  force: boolean;
}

export type MysqlStep =
  /** super_read_only on the old primary; its stdout is the GTID set it executed. */
  | { kind: "fence"; pod: string; script: "fence.sh" }
  /** Wait until the candidate holds everything the fenced primary executed. */
  | { kind: "await-caught-up"; pod: string; script: "state.sh" }
  /** Apply what it received, drop its channel, writable. */
  | { kind: "promote"; pod: string; script: "promote.sh" }
  | { kind: "move-service"; ordinal: number }
  /** Replicate from the new primary (its pod name is the argument), auto-positioned. */
  | { kind: "repoint"; pod: string; script: "repoint.sh"; args: [string] };

export type MysqlFailoverDecision =
  | {
      ok: true;
      candidate: MysqlMemberState;
      /** Transactions the primary executed that the candidate did not hold when asked. */
      missing?: bigint;
      steps: MysqlStep[];
      forced?: string;
    }
  | { ok: false; reason: string; hint: string };

export function decideMysqlFailover(req: MysqlFailoverRequest): MysqlFailoverDecision {
  const chosen = promotable(
    req.members,
    req.primary,
    req.to,
    (m) => m.reachable && m.replica === true,
  );
  if ("ok" in chosen) return chosen;
  const { primary, replicas, pool } = chosen;
  // Most transactions held first (a superset always holds more); ties: lowest ordinal.
  const ranked = pool
    .map((m) => ({ m, n: gtidCount(holds(m)) }))
    .sort((a, b) => (a.n < b.n ? 1 : a.n > b.n ? -1 : a.m.ordinal - b.m.ordinal))
    .map((x) => x.m);
  const healthy = (m: MysqlMemberState) => m.receiving === true && m.applying === true;
  const candidate = ranked.find(healthy) ?? (req.force ? ranked[0] : undefined);
  if (!candidate)
    return {
      ok: false,
      reason: replicas.length
        ? "no replica is both receiving from the primary and applying: promoting one could lose committed writes"
        : "no replica can be reached",
      hint: replicas.length
        ? "check SHOW REPLICA STATUS on the replicas, or pass --force to promote the most advanced one anyway"
        : "a failover needs a running replica",
    };

  const forcedNotes: string[] = [];
  let missing: bigint | undefined;
  if (!primary.reachable || !primary.executed) {
    if (!req.force)
      return {
        ok: false,
        reason: `the primary ${primary.pod} cannot be reached: it cannot be fenced, and whether ${candidate.pod} has every committed write cannot be known`,
        hint: `if ${primary.pod} is down for good (its node lost), pass --force; it must not come back as a primary`,
      };
    forcedNotes.push(
      `the primary ${primary.pod} was not reachable: not fenced, and ${candidate.pod}'s completeness unknown`,
    );
  } else {
    missing = gtidCount(gtidSubtract(primary.executed, holds(candidate)));
    // Transactions of the primary's own UUID may have arrived after it was asked; others cannot.
    const errant = gtidSubtract(
      gtidWithoutServer(candidate.executed ?? new Map(), primary.serverUuid ?? ""),
      primary.executed,
    );
    if (errant.size > 0) {
      if (!req.force)
        return {
          ok: false,
          reason: `${candidate.pod} has transactions the primary never had (errant GTIDs ${formatGtidSet(errant)}): promoted, it would send them to every replica`,
          hint: "remove them (inject empty transactions on the primary, or rebuild the replica), choose another with --to, or pass --force",
        };
      forcedNotes.push(`${candidate.pod} had errant GTIDs ${formatGtidSet(errant)}`);
    }
    if (missing > CAUGHT_UP_TRANSACTIONS) {
      if (!req.force)
        return {
          ok: false,
          reason: `no replica is caught up: ${candidate.pod} misses ${missing} transactions the primary executed`,
          hint: "wait and retry, or pass --force to promote it anyway",
        };
      forcedNotes.push(`${candidate.pod} missed ${missing} transactions`);
    }
  }
  if (!healthy(candidate)) forcedNotes.push(`${candidate.pod} was not replicating`);

  const steps: MysqlStep[] = [];
  if (primary.reachable) {
    steps.push({ kind: "fence", pod: primary.pod, script: "fence.sh" });
    steps.push({ kind: "await-caught-up", pod: candidate.pod, script: "state.sh" });
  }
  steps.push({ kind: "promote", pod: candidate.pod, script: "promote.sh" });
  steps.push({ kind: "move-service", ordinal: candidate.ordinal });
  // The fenced primary stays up, read-only: it follows the new one like any replica.
  const followers = [
    ...replicas.filter((m) => m.pod !== candidate.pod),
    ...(primary.reachable ? [primary] : []),
  ].sort((a, b) => a.ordinal - b.ordinal);
  for (const m of followers)
    steps.push({ kind: "repoint", pod: m.pod, script: "repoint.sh", args: [candidate.pod] });
  return {
    ok: true,
    candidate,
    ...(missing !== undefined ? { missing } : {}),
    steps,
    ...(forcedNotes.length ? { forced: forcedNotes.join("; ") } : {}),
  };
}

/** Whether the candidate holds every transaction the fenced primary executed. */
export function holdsAllOf(candidate: MysqlMemberState, fenced: GtidSet): boolean {
  return candidate.reachable && gtidSubset(fenced, holds(candidate));
}

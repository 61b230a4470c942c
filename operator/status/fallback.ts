// Statuses written without a roll-up of the children: an invalid spec, and a
// status the API server refused. Pure: the caller passes the clock reading.
import type { ArchitectureStatus, Condition } from "../api/schema.ts";
import type { ConditionInput } from "./conditions.ts";
import { setConditions } from "./conditions.ts";

/** The spec cannot be rendered: Degraded, InvalidSpec, with every problem. */
export function invalidStatus(
  previous: ArchitectureStatus | undefined,
  generation: number,
  problems: string,
  now: Date,
): ArchitectureStatus {
  return conditionsOnly(
    previous,
    generation,
    now,
    "InvalidSpec",
    problems,
    "fix the spec to continue",
  );
}

/**
 * The API server refused the status this operator built: a bug of ours,
 * never the user's. The smallest status that says so, with the server's words.
 */
export function refusedStatus(
  previous: ArchitectureStatus | undefined,
  generation: number,
  why: string,
  now: Date,
): ArchitectureStatus {
  const message =
    `the operator could not write this Architecture's status (a bug in archctl; please report it): ${why}`.slice(
      0,
      4096,
    );
  const { components: _c, endpoints: _e, ...kept } = previous ?? {};
  return conditionsOnly(kept, generation, now, "StatusRefused", message, message);
}

function conditionsOnly(
  previous: ArchitectureStatus | undefined,
  generation: number,
  now: Date,
  reason: string,
  problem: string,
  next: string,
): ArchitectureStatus {
  const nowText = now.toISOString().replace(/\.[0-9]{3}Z$/, "Z");
  const conditions: ConditionInput[] = [
    { type: "Ready", status: "False", reason, message: problem },
    { type: "Progressing", status: "False", reason, message: next },
    { type: "Degraded", status: "True", reason, message: problem },
    { type: "Reconciling", status: "False", reason, message: next },
    { type: "Stalled", status: "True", reason, message: problem },
  ];
  const kept: Condition[] | undefined = previous?.conditions;
  return {
    ...previous,
    observedGeneration: generation,
    phase: "Degraded",
    conditions: setConditions(kept, conditions, generation, nowText),
  };
}

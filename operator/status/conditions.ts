// Conditions in the standard Kubernetes shape. lastTransitionTime changes only
// when a condition's status changes, so an unchanged state writes nothing.
import type { Condition } from "../api/schema.ts";

export type ConditionInput = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

export function setConditions(
  previous: Condition[] | undefined,
  next: ConditionInput[],
  generation: number,
  now: string,
): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now;
    return { ...c, lastTransitionTime, observedGeneration: generation };
  });
}

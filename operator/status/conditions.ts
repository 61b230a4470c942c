// Conditions in the standard Kubernetes shape. lastTransitionTime changes only
// when a condition's status changes, so an unchanged state writes nothing.
import type { Condition } from "../api/schema.ts";
import { ComponentStatusSchema, ConditionSchema } from "../api/schema.ts";

export type ConditionInput = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/** The schema's bounds: a longer text would make the API server refuse the whole status. */
export const MAX_CONDITION_MESSAGE = ConditionSchema.shape.message.maxLength ?? 32768;
export const MAX_COMPONENT_MESSAGE = ComponentStatusSchema.shape.message.unwrap().maxLength ?? 1024;

/** `text` cut to `max` characters, marked with an ellipsis where it was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function setConditions(
  previous: Condition[] | undefined,
  next: ConditionInput[],
  generation: number,
  now: string,
): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now;
    return {
      ...c,
      message: clip(c.message, MAX_CONDITION_MESSAGE),
      lastTransitionTime,
      observedGeneration: generation,
    };
  });
}

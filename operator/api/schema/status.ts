// What the operator reports: the Architecture's status subresource.
import { z } from "zod";
import { listMap } from "./primitives.ts";

export const ConditionSchema = z.strictObject({
  type: z.string().max(316),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().max(1024),
  message: z.string().max(32768),
  lastTransitionTime: z.string().max(64),
  observedGeneration: z.number().int().min(0).optional(),
});

export const ComponentStatusSchema = z.strictObject({
  name: z.string().max(63),
  type: z.string().max(32),
  ready: z.number().int().min(0),
  desired: z.number().int().min(0),
  message: z.string().max(1024).optional(),
  primary: z
    .string()
    .max(253)
    .optional()
    .describe("the primary member's pod, where archctl chooses it"),
});

export const EndpointSchema = z.strictObject({
  name: z.string().max(253),
  url: z.string().max(1024),
});

// Restoring: a datastore is restoring from a backup (its users held back until it is done).
export const PHASES = [
  "Pending",
  "Restoring",
  "Progressing",
  "Ready",
  "Degraded",
  "Deleting",
] as const;

export const ArchitectureStatusSchema = z.strictObject({
  observedGeneration: z.number().int().min(0).optional(),
  phase: z.enum(PHASES).optional(),
  ready: z
    .string()
    .max(32)
    .optional()
    .describe("ready components out of all, e.g. 4/5 (printer column)"),
  conditions: z.array(ConditionSchema).max(16).meta(listMap("type")).optional(),
  components: z.array(ComponentStatusSchema).max(64).optional(),
  endpoints: z.array(EndpointSchema).max(64).optional(),
  expiresAt: z.string().max(64).optional(),
});

export type ArchitectureStatus = z.infer<typeof ArchitectureStatusSchema>;
export type Condition = z.infer<typeof ConditionSchema>;
export type ComponentStatus = z.infer<typeof ComponentStatusSchema>;

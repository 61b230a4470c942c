// Named pools of GPU nodes that components request GPUs from.
import { z } from "zod";
import { dnsLabel, shortString, stringMap } from "./primitives.ts";

export const TolerationSchema = z.strictObject({
  key: shortString,
  operator: z.enum(["Equal", "Exists"]).optional(),
  value: shortString.optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
});

export const GpuPoolSchema = z.strictObject({
  name: dnsLabel(40),
  nodeSelector: stringMap
    .optional()
    .describe("labels of the pool's nodes (default nvidia.com/gpu.present=true)"),
  tolerations: z
    .array(TolerationSchema)
    .max(16)
    .optional()
    .describe("default: tolerate nvidia.com/gpu=present:NoSchedule"),
  resourceName: shortString.optional().describe("extended resource (default nvidia.com/gpu)"),
});

export type GpuPool = z.infer<typeof GpuPoolSchema>;

// The one schema of the Architecture API (archctl.io/v1alpha1). The TypeScript
// types, the CLI's validation and the CRD's openAPIV3Schema all come from here.
//
// Rules for this file, so that the generated CRD stays a valid structural schema:
// - no unions except int-or-string quantities (tagged with x-kubernetes-int-or-string);
// - no zod defaults: defaults live in defaults.ts, applied by one function, so what
//   a user wrote is what is stored and the renderer sees one complete shape;
// - every list and free string has a bound, which keeps the API server's CEL cost
//   estimate within budget;
// - cross-field rules that CEL can say are attached with `.meta()` next to the
//   fields they speak of; the rest are in semantics.ts.
//
// The parts live in schema/, one a file; this file assembles the spec and the
// Architecture object, and re-exports every part for the rest of the code.
import { z } from "zod";
import { AutoscalingSchema } from "./schema/autoscaling.ts";
import { BackupSchema } from "./schema/backup.ts";
import { ComponentSchema } from "./schema/component.ts";
import { GpuPoolSchema } from "./schema/gpu-pools.ts";
import { IngressSchema } from "./schema/ingress.ts";
import { MonitoringSchema } from "./schema/monitoring.ts";
import { NetworkPolicySchema } from "./schema/network-policy.ts";
import { dnsLabel, duration, listMap, stringMap } from "./schema/primitives.ts";
import { ArchitectureStatusSchema } from "./schema/status.ts";

export * from "./schema/autoscaling.ts";
export * from "./schema/backup.ts";
export * from "./schema/component.ts";
export * from "./schema/component-types.ts";
export * from "./schema/gpu-pools.ts";
export * from "./schema/ingress.ts";
export * from "./schema/monitoring.ts";
export * from "./schema/network-policy.ts";
export { QUANTITY, type Quantity } from "./schema/primitives.ts";
export * from "./schema/status.ts";

export const GROUP = "archctl.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "Architecture";
export const PLURAL = "architectures";

export const ArchitectureSpecSchema = z
  .strictObject({
    description: z.string().max(1024).optional(),
    components: z.array(ComponentSchema).min(1).max(64).meta(listMap("name")),
    ingress: IngressSchema.optional(),
    autoscaling: z.array(AutoscalingSchema).max(64).meta(listMap("component")).optional(),
    gpuPools: z.array(GpuPoolSchema).max(16).meta(listMap("name")).optional(),
    backups: z.array(BackupSchema).max(64).meta(listMap("component")).optional(),
    monitoring: MonitoringSchema.optional(),
    networkPolicy: NetworkPolicySchema.optional(),
    ttl: duration
      .optional()
      .describe("delete the Architecture this long after creation (ephemeral environments)"),
    deletionPolicy: z
      .enum(["Retain", "Delete"])
      .optional()
      .describe(
        "what happens to datastore volumes when the Architecture is deleted (default Retain)",
      ),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "self.components.all(c, !has(c.uses) || c.uses.all(u, self.components.exists(d, d.name == u)))",
        message: "every name in uses must be a component of this Architecture",
      },
      {
        rule: "!has(self.autoscaling) || self.autoscaling.all(a, self.components.exists(c, c.name == a.component && c.type in ['service','gateway','worker']))",
        message:
          "autoscaling applies only to service, gateway or worker components of this Architecture",
      },
      {
        rule: "self.components.all(c, !has(c.gpu) || (has(self.gpuPools) && self.gpuPools.exists(p, p.name == c.gpu.pool)))",
        message: "every gpu.pool must be defined in spec.gpuPools",
      },
    ],
  });

const ObjectMetaSchema = z
  .object({
    name: dnsLabel(40).describe("objects it creates are named <name>-<component>"),
    namespace: dnsLabel(63).optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  })
  .loose();

export const ArchitectureSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: ObjectMetaSchema,
  spec: ArchitectureSpecSchema,
  status: ArchitectureStatusSchema.optional(),
});

export type ArchitectureSpec = z.infer<typeof ArchitectureSpecSchema>;
export type Architecture = z.infer<typeof ArchitectureSchema>;

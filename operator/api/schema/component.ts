// One component of an Architecture: an application workload or a datastore.
import { z } from "zod";
import { COMPONENT_TYPES } from "./component-types.ts";
import { dnsLabel, port, quantity, shortString, stringList, stringMap } from "./primitives.ts";

export const ResourceListSchema = z.strictObject({
  cpu: quantity.optional().describe("CPU, e.g. 250m or 2"),
  memory: quantity.optional().describe("memory, e.g. 256Mi or 4Gi"),
});

export const ResourcesSchema = z
  .strictObject({
    requests: ResourceListSchema.optional(),
    limits: ResourceListSchema.optional(),
  })
  .describe("compute resources per replica; memory limits default to the request");

export const GpuRequestSchema = z.strictObject({
  pool: dnsLabel(40).describe("name of an entry in spec.gpuPools"),
  count: z.number().int().min(1).max(16).describe("GPUs per replica"),
});

export const StorageSchema = z.strictObject({
  size: quantity.describe("volume size per replica, e.g. 20Gi"),
  storageClassName: shortString.optional(),
});

export const ExchangeSchema = z.strictObject({
  name: z.string().min(1).max(255),
  type: z.enum(["fanout", "topic", "direct", "headers"]),
});

export const TopicSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(249)
    .regex(/^[a-zA-Z0-9._-]+$/, "must be letters, digits, '.', '_' or '-'"),
  partitions: z.number().int().min(1).max(10000).optional(),
  replicationFactor: z.number().int().min(1).max(7).optional(),
});

export const ComponentSchema = z
  .strictObject({
    name: dnsLabel(40).describe(
      "unique within the Architecture; objects are named <architecture>-<name>",
    ),
    type: z.enum(COMPONENT_TYPES),
    description: z.string().max(1024).optional(),
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe(
        "container image; required for application components, optional override for datastores",
      ),
    version: z
      .string()
      .max(64)
      .optional()
      .describe("datastore version; each type has a pinned default"),
    command: stringList.optional(),
    args: stringList.optional(),
    port: port.optional().describe("container port of a service or gateway (default 8080)"),
    replicas: z.number().int().min(0).max(1000).optional(),
    resources: ResourcesSchema.optional(),
    env: stringMap.optional().describe("plain, non-secret environment variables"),
    uses: z
      .array(dnsLabel(40))
      .max(32)
      .optional()
      .describe("components whose connection details are injected as environment variables"),
    gpu: GpuRequestSchema.optional(),
    healthPath: z
      .string()
      .max(256)
      .regex(/^\//, "must start with /")
      .optional()
      .describe("HTTP path for readiness and liveness probes (default /healthz)"),
    schedule: z.string().max(128).optional().describe("cron schedule, for type cron"),
    timeZone: z.string().max(64).optional(),
    singleton: z
      .boolean()
      .optional()
      .describe("exactly one replica, replaced rather than rolled (for schedulers)"),
    completions: z.number().int().min(1).max(10000).optional(),
    parallelism: z.number().int().min(1).max(1000).optional(),
    backoffLimit: z.number().int().min(0).max(100).optional(),
    storage: StorageSchema.optional(),
    settings: stringMap.optional().describe("datastore server settings"),
    exchanges: z
      .array(ExchangeSchema)
      .max(64)
      .optional()
      .describe("RabbitMQ exchanges declared at start-up"),
    topics: z.array(TopicSchema).max(256).optional().describe("Kafka topics created at start-up"),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "self.type == 'cron' ? has(self.schedule) : !has(self.schedule)",
        message: "schedule is required for type cron and allowed only there",
      },
      {
        rule: "!(self.type in ['service','gateway','worker','job','cron']) || has(self.image)",
        message: "application components (service, gateway, worker, job, cron) need an image",
      },
      {
        rule: "!has(self.storage) || self.type in ['mysql','postgres','mongodb','redis','rabbitmq','kafka','milvus']",
        message: "storage is only for datastore components",
      },
      {
        rule: "!has(self.exchanges) || self.type == 'rabbitmq'",
        message: "exchanges are only for rabbitmq components",
      },
      {
        rule: "!has(self.topics) || self.type == 'kafka'",
        message: "topics are only for kafka components",
      },
      {
        rule: "!has(self.singleton) || !self.singleton || !has(self.replicas) || self.replicas == 1",
        message: "a singleton has exactly one replica",
      },
    ],
  });

export type Component = z.infer<typeof ComponentSchema>;

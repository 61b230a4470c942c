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
import { z } from "zod";
import {
  BOUNDED_DURATION,
  DURATION_BOUND_CEL,
  isBoundedDuration,
  MAX_DURATION_TEXT,
} from "./duration.ts";

export const GROUP = "archctl.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "Architecture";
export const PLURAL = "architectures";

export const APP_TYPES = ["service", "gateway", "worker", "job", "cron"] as const;
export const DATASTORE_TYPES = [
  "mysql",
  "postgres",
  "mongodb",
  "redis",
  "rabbitmq",
  "kafka",
  "milvus",
] as const;
export const COMPONENT_TYPES = [...APP_TYPES, ...DATASTORE_TYPES] as const;

export type AppType = (typeof APP_TYPES)[number];
export type DatastoreType = (typeof DATASTORE_TYPES)[number];
export type ComponentType = (typeof COMPONENT_TYPES)[number];

export function isAppType(type: string): type is AppType {
  return (APP_TYPES as readonly string[]).includes(type);
}
export function isDatastoreType(type: string): type is DatastoreType {
  return (DATASTORE_TYPES as readonly string[]).includes(type);
}

// DNS-1035 label: what a Service name must be. Component names become part of
// object names, so they follow the strictest rule any of those objects has.
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = (max: number) =>
  z
    .string()
    .max(max)
    .regex(DNS_LABEL, "must be lower-case letters, digits and '-', starting with a letter");

/** A Kubernetes resource quantity such as `250m`, `1`, `512Mi`, `20Gi`. */
export const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const quantity = z
  .union([
    z.string().max(32).regex(QUANTITY, "must be a quantity such as 250m, 1, 512Mi or 20Gi"),
    z.number().nonnegative(),
  ])
  .meta({ "x-kubernetes-int-or-string": true });

/** A duration such as `90s`, `30m`, `2h`, `7d` or `1h30m`, at most MAX_DURATION_TEXT. */
const duration = z
  .string()
  .max(32)
  .regex(BOUNDED_DURATION, "must be a duration such as 30m, 2h or 7d")
  .refine(isBoundedDuration, `must be at most ${MAX_DURATION_TEXT}`)
  .meta({
    "x-kubernetes-validations": [
      { rule: DURATION_BOUND_CEL, message: `must be at most ${MAX_DURATION_TEXT}` },
    ],
  });

// A list keyed by a field: the API server refuses duplicate keys, and server-side
// apply merges entries by key instead of replacing the whole list.
const listMap = (key: string) => ({
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": [key],
});

const port = z.number().int().min(1).max(65535);
const shortString = z.string().max(253);
const stringList = z.array(z.string().max(1024)).max(64);
const stringMap = z.record(z.string().max(253), z.string().max(4096));

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

export const RateLimitSchema = z
  .strictObject({
    rps: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe("requests per second per client IP"),
    rpm: z
      .number()
      .int()
      .min(1)
      .max(60_000_000)
      .optional()
      .describe("requests per minute per client IP"),
    connections: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe("concurrent connections per client IP"),
    burstMultiplier: z.number().int().min(1).max(100).optional(),
    whitelist: z
      .array(z.string().max(64))
      .max(64)
      .optional()
      .describe("CIDRs exempt from the limits"),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "has(self.rps) || has(self.rpm) || has(self.connections)",
        message: "a rate limit needs at least one of rps, rpm or connections",
      },
    ],
  });

export const IngressRouteSchema = z.strictObject({
  path: z.string().max(256).regex(/^\//, "must start with /"),
  component: dnsLabel(40),
});

export const IngressHostSchema = z.strictObject({
  host: z
    .string()
    .max(253)
    .regex(
      /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
      "must be a DNS host name",
    ),
  routes: z.array(IngressRouteSchema).min(1).max(32),
});

export const IngressSchema = z.strictObject({
  className: shortString.optional().describe("IngressClass (default nginx)"),
  hosts: z.array(IngressHostSchema).min(1).max(16),
  tls: z
    .strictObject({
      secretName: dnsLabel(253)
        .optional()
        .describe("existing TLS Secret; default <architecture>-tls"),
      clusterIssuer: shortString
        .optional()
        .describe("cert-manager ClusterIssuer that fills the Secret"),
    })
    .optional(),
  rateLimit: RateLimitSchema.optional(),
  annotations: stringMap.optional().describe("extra ingress annotations"),
});

export const QueueScalingSchema = z.strictObject({
  component: dnsLabel(40).describe("the redis, rabbitmq or kafka component holding the queue"),
  name: z.string().min(1).max(255).describe("Redis list key, RabbitMQ queue or Kafka topic"),
  consumerGroup: z.string().max(255).optional().describe("Kafka consumer group"),
  targetLength: z.number().int().min(1).max(1_000_000).describe("pending items per replica"),
});

export const AutoscalingSchema = z
  .strictObject({
    component: dnsLabel(40),
    minReplicas: z.number().int().min(0).max(1000),
    maxReplicas: z.number().int().min(1).max(1000),
    targetCPUUtilization: z.number().int().min(1).max(100).optional(),
    targetMemoryUtilization: z.number().int().min(1).max(100).optional(),
    queue: QueueScalingSchema.optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "self.minReplicas <= self.maxReplicas",
        message: "minReplicas must not exceed maxReplicas",
      },
    ],
  });

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

export const BackupSchema = z
  .strictObject({
    component: dnsLabel(40),
    schedule: z.string().max(128).describe("cron schedule, e.g. '0 3 * * *'"),
    retention: z.number().int().min(1).max(3650).optional().describe("backups to keep (default 7)"),
    pvc: z
      .strictObject({ size: quantity, storageClassName: shortString.optional() })
      .optional()
      .describe("keep backups on a PersistentVolumeClaim"),
    s3: z
      .strictObject({
        bucket: z.string().min(3).max(63),
        endpoint: z.string().max(512).optional(),
        prefix: z.string().max(512).optional(),
        credentialsSecret: dnsLabel(253).describe(
          "Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
      })
      .optional()
      .describe("upload backups to S3-compatible storage"),
  })
  .meta({
    "x-kubernetes-validations": [
      { rule: "!(has(self.pvc) && has(self.s3))", message: "choose one backup target: pvc or s3" },
    ],
  });

export const MonitoringSchema = z.strictObject({
  serviceMonitors: z
    .boolean()
    .optional()
    .describe("create Prometheus Operator ServiceMonitors (default true)"),
  release: shortString
    .optional()
    .describe("value of the 'release' label Prometheus selects on (default kube-prometheus-stack)"),
  interval: duration.optional(),
  dashboard: z.boolean().optional().describe("create a Grafana dashboard ConfigMap (default true)"),
});

export const NetworkPolicySchema = z.strictObject({
  enabled: z
    .boolean()
    .optional()
    .describe("isolate datastores: only components that use one may reach it (default true)"),
  ingressNamespace: shortString
    .optional()
    .describe("namespace of the ingress controller (default ingress-nginx)"),
});

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
});

export const EndpointSchema = z.strictObject({
  name: z.string().max(253),
  url: z.string().max(1024),
});

export const PHASES = ["Pending", "Progressing", "Ready", "Degraded", "Deleting"] as const;

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

export type Quantity = z.infer<typeof quantity>;
export type Component = z.infer<typeof ComponentSchema>;
export type Ingress = z.infer<typeof IngressSchema>;
export type RateLimit = z.infer<typeof RateLimitSchema>;
export type Autoscaling = z.infer<typeof AutoscalingSchema>;
export type GpuPool = z.infer<typeof GpuPoolSchema>;
export type Backup = z.infer<typeof BackupSchema>;
export type Monitoring = z.infer<typeof MonitoringSchema>;
export type ArchitectureSpec = z.infer<typeof ArchitectureSpecSchema>;
export type ArchitectureStatus = z.infer<typeof ArchitectureStatusSchema>;
export type Condition = z.infer<typeof ConditionSchema>;
export type ComponentStatus = z.infer<typeof ComponentStatusSchema>;
export type Architecture = z.infer<typeof ArchitectureSchema>;

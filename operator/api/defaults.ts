// Every default of the API, applied by one function. The stored resource keeps
// what the user wrote; the renderer only ever sees the resolved shape below, so
// a default changes in exactly one place.
import { primaryOrdinals } from "./primary.ts";
import type {
  AppSecret,
  Architecture,
  Backup,
  CircuitBreaker,
  Component,
  ComponentType,
  DatastoreType,
  GpuPool,
  IngressProvider,
  Mesh,
  Quantity,
  RateLimit,
  Retry,
  Timeouts,
} from "./schema.ts";
import { isDatastoreType } from "./schema.ts";
import { shrinkAllowed } from "./semantics/membership.ts";

/** Where Envoy Gateway runs its proxies by default, the peers of routed components. */
export const GATEWAY_PROXY_NAMESPACE = "envoy-gateway-system";

/** Pinned images of every datastore, with the Prometheus exporter that runs beside it. */
export const DATASTORE_DEFAULTS: Record<
  DatastoreType,
  {
    image: string;
    version: string;
    port: number;
    storage: string;
    cpu: string;
    memory: string;
    exporter?: { image: string; port: number };
    metricsPort: number;
  }
> = {
  mysql: {
    image: "mysql",
    version: "8.4.3",
    port: 3306,
    storage: "10Gi",
    cpu: "500m",
    memory: "1Gi",
    exporter: { image: "prom/mysqld-exporter:v0.16.0", port: 9104 },
    metricsPort: 9104,
  },
  postgres: {
    image: "postgres",
    version: "17.2",
    port: 5432,
    storage: "10Gi",
    cpu: "500m",
    memory: "1Gi",
    exporter: { image: "quay.io/prometheuscommunity/postgres-exporter:v0.16.0", port: 9187 },
    metricsPort: 9187,
  },
  mongodb: {
    image: "mongo",
    version: "8.0.4",
    port: 27017,
    storage: "10Gi",
    cpu: "500m",
    memory: "1Gi",
    exporter: { image: "percona/mongodb_exporter:0.43.1", port: 9216 },
    metricsPort: 9216,
  },
  redis: {
    image: "redis",
    version: "7.4.2",
    port: 6379,
    storage: "1Gi",
    cpu: "100m",
    memory: "256Mi",
    exporter: { image: "oliver006/redis_exporter:v1.67.0", port: 9121 },
    metricsPort: 9121,
  },
  rabbitmq: {
    image: "rabbitmq",
    version: "4.0.5-management",
    port: 5672,
    storage: "2Gi",
    cpu: "250m",
    memory: "512Mi",
    // RabbitMQ serves Prometheus metrics itself (rabbitmq_prometheus plugin).
    metricsPort: 15692,
  },
  kafka: {
    image: "apache/kafka",
    version: "3.9.0",
    port: 9092,
    storage: "10Gi",
    cpu: "500m",
    memory: "1Gi",
    exporter: { image: "danielqsj/kafka-exporter:v1.8.0", port: 9308 },
    metricsPort: 9308,
  },
  milvus: {
    image: "milvusdb/milvus",
    version: "v2.5.4",
    port: 19530,
    storage: "20Gi",
    cpu: "1",
    memory: "4Gi",
    // Milvus serves Prometheus metrics on its health port.
    metricsPort: 9091,
  },
};

/** Milvus' own dependencies, run as part of a milvus component. */
export const MILVUS_DEPENDENCIES = {
  etcd: { image: "quay.io/coreos/etcd:v3.5.16", port: 2379, storage: "1Gi" },
  minio: { image: "minio/minio:RELEASE.2024-12-18T13-15-44Z", port: 9000, storage: "10Gi" },
} as const;

export const DEFAULT_APP_PORT = 8080;
export const DEFAULT_BACKUP_VOLUME = "20Gi";
export const DEFAULT_HEALTH_PATH = "/healthz";
export const DEFAULT_GPU_RESOURCE = "nvidia.com/gpu";
export const DEFAULT_GPU_NODE_SELECTOR = { "nvidia.com/gpu.present": "true" };
export const DEFAULT_GPU_TOLERATIONS = [
  { key: "nvidia.com/gpu", operator: "Exists" as const, effect: "NoSchedule" as const },
];

export interface ResolvedResources {
  requests: { cpu: Quantity; memory: Quantity };
  limits: { cpu?: Quantity; memory: Quantity };
}

export interface ResolvedComponent extends Component {
  type: ComponentType;
  replicas: number;
  resources: ResolvedResources;
  env: Record<string, string>;
  uses: string[];
  /** The container image with its tag (datastores: image:version). */
  image: string;
  /** Service/gateway: the HTTP port. Datastores: the client port. Others: undefined. */
  port?: number;
  healthPath?: string;
}

export interface ResolvedGpuPool extends GpuPool {
  nodeSelector: Record<string, string>;
  tolerations: NonNullable<GpuPool["tolerations"]>;
  resourceName: string;
}

export interface ResolvedBackup extends Backup {
  retention: number;
}

export interface ResolvedArchitecture {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  components: ResolvedComponent[];
  ingress?: {
    provider: IngressProvider;
    /** For provider gateway: the Gateway, its namespace resolved. */
    gateway?: { name: string; namespace: string; sectionName?: string };
    circuitBreaker?: CircuitBreaker;
    retry?: Retry;
    timeouts?: Timeouts;
    className: string;
    hosts: { host: string; routes: { path: string; component: string }[] }[];
    tls?: { secretName: string; clusterIssuer?: string };
    rateLimit?: RateLimit;
    annotations: Record<string, string>;
  };
  autoscaling: NonNullable<Architecture["spec"]["autoscaling"]>;
  gpuPools: ResolvedGpuPool[];
  backups: ResolvedBackup[];
  /** Component -> ordinal of its primary member (see primary.ts). */
  primaries: Record<string, number>;
  /** Components whose members may be removed although they may hold data (see membership.ts). */
  shrinkAllowed: string[];
  monitoring: { serviceMonitors: boolean; release: string; interval: string; dashboard: boolean };
  networkPolicy: { enabled: boolean; egress: boolean; ingressNamespace: string };
  mesh?: Mesh;
  ttl?: string;
  deletionPolicy: "Retain" | "Delete";
  secrets: AppSecret[];
}

function appReplicas(c: Component): number {
  if (c.singleton) return 1;
  if (c.replicas !== undefined) return c.replicas;
  return c.type === "service" || c.type === "gateway" ? 2 : 1;
}

function resolveResources(c: Component, cpu: string, memory: string): ResolvedResources {
  const requests = {
    cpu: c.resources?.requests?.cpu ?? cpu,
    memory: c.resources?.requests?.memory ?? memory,
  };
  // Memory is not compressible: a limit equal to the request avoids OOM surprises
  // under node pressure. CPU stays unlimited unless asked, to avoid throttling.
  const limits: ResolvedResources["limits"] = {
    memory: c.resources?.limits?.memory ?? requests.memory,
  };
  if (c.resources?.limits?.cpu !== undefined) limits.cpu = c.resources.limits.cpu;
  return { requests, limits };
}

export function resolveComponent(c: Component): ResolvedComponent {
  if (isDatastoreType(c.type)) {
    const d = DATASTORE_DEFAULTS[c.type];
    return {
      ...c,
      image: c.image ?? `${d.image}:${c.version ?? d.version}`,
      version: c.version ?? d.version,
      replicas: c.replicas ?? 1,
      port: d.port,
      resources: resolveResources(c, d.cpu, d.memory),
      env: c.env ?? {},
      uses: c.uses ?? [],
      storage: {
        size: c.storage?.size ?? d.storage,
        ...(c.storage?.storageClassName ? { storageClassName: c.storage.storageClassName } : {}),
      },
    };
  }
  const served = c.type === "service" || c.type === "gateway";
  const resolved: ResolvedComponent = {
    ...c,
    image: c.image ?? "",
    replicas: appReplicas(c),
    resources: resolveResources(c, "100m", "128Mi"),
    env: c.env ?? {},
    uses: c.uses ?? [],
  };
  if (served) {
    resolved.port = c.port ?? DEFAULT_APP_PORT;
    resolved.healthPath = c.healthPath ?? DEFAULT_HEALTH_PATH;
  }
  if (c.type === "job" || c.type === "cron") {
    resolved.completions = c.completions ?? 1;
    resolved.parallelism = c.parallelism ?? 1;
    resolved.backoffLimit = c.backoffLimit ?? 3;
  }
  return resolved;
}

/** Resolves every default. Pure: the same Architecture always gives the same result. */
export function applyDefaults(arch: Architecture): ResolvedArchitecture {
  const { spec, metadata } = arch;
  const name = metadata.name;
  const resolved: ResolvedArchitecture = {
    name,
    namespace: metadata.namespace ?? "default",
    components: spec.components.map(resolveComponent),
    autoscaling: spec.autoscaling ?? [],
    gpuPools: (spec.gpuPools ?? []).map((p) => ({
      ...p,
      nodeSelector: p.nodeSelector ?? { ...DEFAULT_GPU_NODE_SELECTOR },
      tolerations: p.tolerations ?? DEFAULT_GPU_TOLERATIONS.map((t) => ({ ...t })),
      resourceName: p.resourceName ?? DEFAULT_GPU_RESOURCE,
    })),
    backups: (spec.backups ?? []).map((b) => ({
      ...b,
      retention: b.retention ?? 7,
      // Without a target, backups go to a volume in the same namespace.
      ...(b.pvc || b.s3 ? {} : { pvc: { size: DEFAULT_BACKUP_VOLUME } }),
    })),
    monitoring: {
      serviceMonitors: spec.monitoring?.serviceMonitors ?? true,
      release: spec.monitoring?.release ?? "kube-prometheus-stack",
      interval: spec.monitoring?.interval ?? "30s",
      dashboard: spec.monitoring?.dashboard ?? true,
    },
    networkPolicy: {
      enabled: spec.networkPolicy?.enabled ?? true,
      egress: spec.networkPolicy?.egress ?? true,
      ingressNamespace:
        spec.networkPolicy?.ingressNamespace ??
        (spec.ingress?.provider === "gateway" ? GATEWAY_PROXY_NAMESPACE : "ingress-nginx"),
    },
    deletionPolicy: spec.deletionPolicy ?? "Retain",
    secrets: spec.secrets ?? [],
    primaries: primaryOrdinals(metadata.annotations),
    shrinkAllowed: spec.components
      .filter((c) => shrinkAllowed(metadata.annotations, c.name))
      .map((c) => c.name),
  };
  const meta = metadata as { uid?: string; generation?: number };
  if (meta.uid) resolved.uid = meta.uid;
  if (meta.generation !== undefined) resolved.generation = meta.generation;
  if (spec.ttl) resolved.ttl = spec.ttl;
  if (spec.mesh) resolved.mesh = spec.mesh;
  if (spec.ingress) {
    const ing = spec.ingress;
    resolved.ingress = {
      provider: ing.provider ?? "nginx",
      className: ing.className ?? "nginx",
      hosts: ing.hosts,
      annotations: ing.annotations ?? {},
    };
    if (ing.tls) {
      resolved.ingress.tls = { secretName: ing.tls.secretName ?? `${name}-tls` };
      if (ing.tls.clusterIssuer) resolved.ingress.tls.clusterIssuer = ing.tls.clusterIssuer;
    }
    if (ing.rateLimit) resolved.ingress.rateLimit = ing.rateLimit;
    if (ing.gateway)
      resolved.ingress.gateway = {
        ...ing.gateway,
        namespace: ing.gateway.namespace ?? resolved.namespace,
      };
    if (ing.circuitBreaker) resolved.ingress.circuitBreaker = ing.circuitBreaker;
    if (ing.retry) resolved.ingress.retry = ing.retry;
    if (ing.timeouts) resolved.ingress.timeouts = ing.timeouts;
  }
  return resolved;
}

// The shape every datastore shares: a StatefulSet with one data volume per
// replica, a headless Service that gives each replica a stable DNS name, and a
// client Service (client port + `metrics`) that applications and Prometheus use.
import { createHash } from "node:crypto";
import type { ResolvedComponent } from "../../api/defaults.ts";
import { DATASTORE_DEFAULTS } from "../../api/defaults.ts";
import {
  ARCHITECTURE_LABEL,
  childName,
  credentialsSecretName,
  selectorLabels,
} from "../../api/names.ts";
import type { DatastoreType } from "../../api/schema.ts";
import { ALLOW_SHRINK_ANNOTATION } from "../../api/semantics/membership.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { RenderContext } from "../context.ts";
import { childMeta } from "../meta.ts";
import { containerSecurityContext, podSecurityContext, smallResources } from "../pod.ts";
import { toYaml } from "../yaml-output.ts";
import { memberSpread, quorumBudget } from "./members.ts";

/** On a datastore's StatefulSet: the engine its members run. */
export const ENGINE_ANNOTATION = "archctl.io/engine";

/** Label that tells a datastore's server pods from its backup and setup pods. */
export const ROLE_LABEL = "archctl.io/role";
export const SERVER_ROLE = "server";
/** Marks the Service a ServiceMonitor scrapes. */
export const METRICS_LABEL = "archctl.io/metrics";
/** Pod annotation holding a hash of mounted configuration, so a change rolls the pods. */
export const CONFIG_HASH_ANNOTATION = "archctl.io/config-hash";

export const DATA_VOLUME = "data";
export const METRICS_PORT_NAME = "metrics";

export type Container = Record<string, unknown>;
export type EnvVar = Record<string, unknown>;

/** `{name, valueFrom: secretKeyRef}` on the component's generated credentials Secret. */
export function secretEnv(
  ctx: RenderContext,
  component: string,
  name: string,
  key: string,
): EnvVar {
  return {
    name,
    valueFrom: { secretKeyRef: { name: credentialsSecretName(ctx.arch.name, component), key } },
  };
}

export function fieldEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/**
 * Labels a part's pods are selected by. A part (milvus' `etcd`, `minio`) is a
 * workload of its own inside the component: its instance label names it, so the
 * component's own selector never matches it.
 */
export function partSelector(
  ctx: RenderContext,
  component: string,
  part?: string,
): Record<string, string> {
  if (!part) return selectorLabels(ctx.arch.name, component);
  return {
    "app.kubernetes.io/instance": childName(ctx.arch.name, component, part),
    [ARCHITECTURE_LABEL]: ctx.arch.name,
  };
}

/** What a Service selects: the server pods only (never a backup or topics Job's pod). */
export function serverSelector(
  ctx: RenderContext,
  component: string,
  part?: string,
): Record<string, string> {
  return { ...partSelector(ctx, component, part), [ROLE_LABEL]: SERVER_ROLE };
}

/** Labels of a part's objects: the component's labels with the part's instance. */
export function partLabels(
  ctx: RenderContext,
  component: string,
  part?: string,
): Record<string, string> | undefined {
  return part
    ? { "app.kubernetes.io/instance": childName(ctx.arch.name, component, part) }
    : undefined;
}

/** DNS name of a replica behind the headless Service. */
export function replicaHost(
  ctx: RenderContext,
  component: string,
  ordinal: number | string,
  part?: string,
): string {
  const sts = childName(ctx.arch.name, component, part);
  return `${sts}-${ordinal}.${headlessName(ctx, component, part)}.${ctx.arch.namespace}.svc`;
}

export function headlessName(ctx: RenderContext, component: string, part?: string): string {
  return childName(ctx.arch.name, component, part ? `${part}-headless` : "headless");
}

/** Short, stable hash of some configuration (pure). */
export function configHash(data: unknown): string {
  return createHash("sha256").update(JSON.stringify(data)).digest("hex").slice(0, 16);
}

/** Keys of a string map in code-point order. */
export function sortedEntries(map: Record<string, string> | undefined): [string, string][] {
  return Object.keys(map ?? {})
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => [k, (map as Record<string, string>)[k] as string]);
}

const EXPORTER_RESOURCES = smallResources("10m", "32Mi", "64Mi");

/** The Prometheus exporter sidecar of a datastore type (undefined when the server exports itself). */
export function exporterContainer(
  type: DatastoreType,
  opts: { env?: EnvVar[]; args?: string[] } = {},
): Container | undefined {
  const exporter = DATASTORE_DEFAULTS[type].exporter;
  if (!exporter) return undefined;
  const container: Container = { name: "exporter", image: exporter.image };
  if (opts.args?.length) container.args = opts.args;
  if (opts.env?.length) container.env = opts.env;
  Object.assign(container, {
    ports: [{ name: METRICS_PORT_NAME, containerPort: exporter.port, protocol: "TCP" }],
    readinessProbe: { tcpSocket: { port: METRICS_PORT_NAME }, periodSeconds: 10 },
    resources: EXPORTER_RESOURCES,
    securityContext: containerSecurityContext(true),
  });
  return container;
}

export interface ServicePort {
  name: string;
  port: number;
}

export interface DatastoreWorkload {
  ctx: RenderContext;
  component: ResolvedComponent;
  /** A part of the component with its own StatefulSet (milvus' etcd/minio). */
  part?: string;
  /** Default: the component's replicas. */
  replicas?: number;
  /** The server container, without securityContext (added here). */
  server: Container;
  /** Extra sidecars, e.g. the exporter. */
  sidecars?: Container[];
  initContainers?: Container[];
  /** Ports on the client Service (the first is the client port). */
  clientPorts: ServicePort[];
  /** Extra ports only on the headless Service (peer, controller). */
  peerPorts?: ServicePort[];
  /** Port of the `metrics` endpoint on the client Service, if any. */
  metricsPort?: number;
  /** Where the data volume is mounted in the server container. */
  dataPath: string;
  /** Default: the component's storage (its type's default size when it names none). */
  storage?: { size: string | number; storageClassName?: string };
  runAsUser: number;
  /** false where the image writes outside its volumes. */
  readOnlyRootFilesystem: boolean;
  volumes?: Record<string, unknown>[];
  podManagementPolicy?: "OrderedReady" | "Parallel";
  terminationGracePeriodSeconds?: number;
  /** Configuration mounted into the pod: its hash becomes a pod annotation. */
  config?: unknown;
  /** Extra labels the client Service selects by (a replicated engine's primary). */
  clientSelector?: Record<string, string>;
}

/** Headless Service, client Service and StatefulSet of a datastore (or one of its parts). */
export function datastoreObjects(w: DatastoreWorkload): KubeObject[] {
  const { ctx, component, part } = w;
  const replicas = w.replicas ?? component.replicas;
  const storage = w.storage ??
    component.storage ?? {
      size: DATASTORE_DEFAULTS[component.type as DatastoreType].storage,
    };
  const extra = partLabels(ctx, component.name, part);
  const selector = partSelector(ctx, component.name, part);
  const services = serverSelector(ctx, component.name, part);
  const headless = headlessName(ctx, component.name, part);

  const servicePort = (p: ServicePort) => ({
    name: p.name,
    port: p.port,
    targetPort: p.name,
    protocol: "TCP",
  });
  const clientPorts = w.clientPorts.map(servicePort);
  // A client Service that selects only the primary would hide the replicas from
  // Prometheus: there the -ro Service (every member) carries the metrics.
  const metricsHere = w.metricsPort !== undefined && w.clientSelector === undefined;
  if (metricsHere && w.metricsPort !== undefined)
    clientPorts.push(servicePort({ name: METRICS_PORT_NAME, port: w.metricsPort }));

  const headlessService: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMeta(ctx, component.name, part ? `${part}-headless` : "headless", extra),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: services,
      ports: [...w.clientPorts, ...(w.peerPorts ?? [])].map(servicePort),
    },
  };
  const clientMeta = childMeta(
    ctx,
    component.name,
    part,
    metricsHere ? { ...extra, [METRICS_LABEL]: "true" } : extra,
  );
  const clientService: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: clientMeta,
    spec: {
      type: "ClusterIP",
      selector: { ...services, ...w.clientSelector },
      ports: clientPorts,
    },
  };

  const server: Container = {
    ...w.server,
    volumeMounts: [
      { name: DATA_VOLUME, mountPath: w.dataPath },
      ...((w.server.volumeMounts as unknown[] | undefined) ?? []),
    ],
    securityContext: containerSecurityContext(w.readOnlyRootFilesystem),
  };
  const podLabels: Record<string, string> = {
    ...(childMeta(ctx, component.name, part, extra).labels ?? {}),
    [ROLE_LABEL]: SERVER_ROLE,
  };
  const podMeta: Record<string, unknown> = { labels: podLabels };
  if (w.config !== undefined)
    podMeta.annotations = { [CONFIG_HASH_ANNOTATION]: configHash(w.config) };

  const podSpec: Record<string, unknown> = {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { ...podSecurityContext(w.runAsUser), fsGroupChangePolicy: "OnRootMismatch" },
    terminationGracePeriodSeconds: w.terminationGracePeriodSeconds ?? 30,
  };
  if (w.initContainers?.length) podSpec.initContainers = w.initContainers;
  podSpec.containers = [server, ...(w.sidecars ?? [])];
  if (w.volumes?.length) podSpec.volumes = w.volumes;
  if (replicas > 1) podSpec.topologySpreadConstraints = memberSpread(selector);

  const claim: Record<string, unknown> = {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: String(storage.size) } },
  };
  if (storage.storageClassName) claim.storageClassName = storage.storageClassName;

  const stsMeta = childMeta(ctx, component.name, part, extra);
  // What the operator and plan need to judge a change of member count (membership.ts).
  stsMeta.annotations = {
    [ENGINE_ANNOTATION]: part ? `${component.type}-${part}` : component.type,
  };
  if (ctx.arch.shrinkAllowed.includes(component.name))
    stsMeta.annotations[ALLOW_SHRINK_ANNOTATION] = "true";
  const statefulSet: KubeObject = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: stsMeta,
    spec: {
      serviceName: headless,
      replicas,
      selector: { matchLabels: selector },
      podManagementPolicy: w.podManagementPolicy ?? "OrderedReady",
      updateStrategy: { type: "RollingUpdate" },
      // The operator deletes the claims itself when deletionPolicy is Delete.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: { metadata: podMeta, spec: podSpec },
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: {
            name: DATA_VOLUME,
            labels: { ...(childMeta(ctx, component.name, part, extra).labels ?? {}) },
          },
          spec: claim,
        },
      ],
    },
  };
  const objects = [headlessService, clientService, statefulSet];
  if (replicas > 1) objects.push(quorumBudget(ctx, component.name, services, part, extra));
  return objects;
}

/**
 * The standard probes of a datastore: a generous startup probe, then readiness
 * (the command: the server answers, and a replica replicates) and liveness
 * (the client port accepts connections, or `liveness`). They differ on purpose:
 * a busy server or a lagging replica leaves the Service, it is not restarted.
 */
export function execProbes(
  command: string[],
  opts: {
    startupSeconds?: number;
    timeoutSeconds?: number;
    liveness?: string[];
    port: number | string;
  },
): Record<string, unknown> {
  const timeoutSeconds = opts.timeoutSeconds ?? 5;
  const periodSeconds = 10;
  return {
    startupProbe: {
      exec: { command },
      periodSeconds,
      timeoutSeconds,
      failureThreshold: Math.ceil((opts.startupSeconds ?? 300) / periodSeconds),
    },
    readinessProbe: { exec: { command }, periodSeconds, timeoutSeconds, failureThreshold: 3 },
    livenessProbe: {
      ...(opts.liveness
        ? { exec: { command: opts.liveness } }
        : { tcpSocket: { port: opts.port } }),
      periodSeconds: 20,
      timeoutSeconds,
      failureThreshold: 6,
    },
  };
}

/** A ConfigMap `<arch>-<component>[-part]-config`. */
export function configMap(
  ctx: RenderContext,
  component: string,
  data: Record<string, string>,
  part?: string,
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMeta(
      ctx,
      component,
      part ? `${part}-config` : "config",
      partLabels(ctx, component, part),
    ),
    data,
  };
}

/**
 * Dotted keys (`storage.wiredTiger.engineConfig.cacheSizeGB`) as nested YAML,
 * sorted. A value stays a number or boolean when it is written exactly so
 * (`-1.5`, `true`); everything else is a string, quoted where a reader could
 * take it for another type.
 */
export function dottedYaml(settings: Record<string, string>): string {
  // Maps, not objects: they keep the sorted order for integer-like keys too.
  type Tree = Map<string, Tree | string | number | boolean>;
  const root: Tree = new Map();
  const typed = (v: string) =>
    v === "true" || v === "false"
      ? v === "true"
      : /^-?[0-9]+(\.[0-9]+)?$/.test(v) && String(Number(v)) === v
        ? Number(v)
        : v;
  for (const [key, value] of sortedEntries(settings)) {
    const parts = key.split(".");
    let node = root;
    for (const p of parts.slice(0, -1)) {
      const next = node.get(p);
      if (next instanceof Map) node = next;
      else {
        const created: Tree = new Map();
        node.set(p, created);
        node = created;
      }
    }
    node.set(parts[parts.length - 1] as string, typed(value));
  }
  const sorted = (node: Tree): Tree =>
    new Map(
      [...node.keys()]
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((k) => {
          const v = node.get(k) as Tree | string | number | boolean;
          return [k, v instanceof Map ? sorted(v) : v];
        }),
    );
  return root.size ? toYaml(sorted(root)) : "";
}

// Kafka: the apache/kafka image (uid 1000) in KRaft combined mode, every broker
// also a controller. Topics are created by a Job once the cluster answers.
import { createHash } from "node:crypto";
import { DATASTORE_DEFAULTS, type ResolvedComponent } from "../../api/defaults.ts";
import { childLabels } from "../../api/names.ts";
import type { KubeObject } from "../../kube/types.ts";
import { serviceHost } from "../connection.ts";
import type { ComponentRenderer, RenderContext } from "../context.ts";
import { childMeta } from "../meta.ts";
import {
  containerSecurityContext,
  plainEnv,
  podSecurityContext,
  resources,
  smallResources,
} from "../pod.ts";
import {
  CONFIG_HASH_ANNOTATION,
  configHash,
  datastoreObjects,
  exporterContainer,
  fieldEnv,
  headlessName,
  ROLE_LABEL,
  replicaHost,
  sortedEntries,
} from "./statefulset.ts";

export const KAFKA_UID = 1000;
const DATA_PATH = "/var/lib/kafka/data";
const CONTROLLER_PORT = 9093;
const KAFKA_BIN = "/opt/kafka/bin";

/** A KRaft cluster id: base64url of the first 16 bytes of sha256(namespace/architecture/component). */
export function kafkaClusterId(namespace: string, architecture: string, component: string): string {
  return createHash("sha256")
    .update(`${namespace}/${architecture}/${component}`)
    .digest()
    .subarray(0, 16)
    .toString("base64url");
}

/**
 * A broker property as the image's env var: `log.retention.hours` ->
 * `KAFKA_LOG_RETENTION_HOURS` (`_` is written `__` and `-` `___`, as the image decodes).
 */
export function kafkaEnvName(property: string): string {
  return `KAFKA_${property.replace(/_/g, "__").replace(/-/g, "___").replace(/\./g, "_").toUpperCase()}`;
}

/** Replication defaults that a cluster of `replicas` brokers can satisfy. */
export function kafkaDefaults(replicas: number): Record<string, string> {
  const rf = String(Math.min(3, replicas));
  const minIsr = String(replicas >= 3 ? 2 : 1);
  return {
    "default.replication.factor": rf,
    "min.insync.replicas": minIsr,
    "offsets.topic.replication.factor": rf,
    "transaction.state.log.min.isr": minIsr,
    "transaction.state.log.replication.factor": rf,
  };
}

function quorumVoters(ctx: RenderContext, c: ResolvedComponent): string {
  return Array.from(
    { length: Math.max(1, c.replicas) },
    (_, i) => `${i + 1}@${replicaHost(ctx, c.name, i)}:${CONTROLLER_PORT}`,
  ).join(",");
}

function brokerEnv(
  ctx: RenderContext,
  c: ResolvedComponent,
  port: number,
): Record<string, unknown>[] {
  const headless = `${headlessName(ctx, c.name)}.${ctx.arch.namespace}.svc`;
  const properties: Record<string, string> = {
    ...kafkaDefaults(c.replicas),
    "controller.listener.names": "CONTROLLER",
    "controller.quorum.voters": quorumVoters(ctx, c),
    "inter.broker.listener.name": "PLAINTEXT",
    listeners: `PLAINTEXT://:${port},CONTROLLER://:${CONTROLLER_PORT}`,
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    // A subdirectory: the volume's root may hold lost+found, which Kafka refuses.
    "log.dirs": `${DATA_PATH}/logs`,
    "process.roles": "broker,controller",
    ...(c.settings ?? {}),
  };
  const env: Record<string, unknown>[] = [
    // First: the values below refer to it.
    fieldEnv("POD_NAME", "metadata.name"),
    { name: "CLUSTER_ID", value: kafkaClusterId(ctx.arch.namespace, ctx.arch.name, c.name) },
    { name: "KAFKA_ADVERTISED_LISTENERS", value: `PLAINTEXT://$(POD_NAME).${headless}:${port}` },
    // The heap follows the container's memory limit instead of the image's fixed 1G.
    { name: "KAFKA_HEAP_OPTS", value: "-XX:MaxRAMPercentage=50.0 -XX:InitialRAMPercentage=50.0" },
  ];
  if (c.replicas <= 1) env.push({ name: "KAFKA_NODE_ID", value: "1" });
  for (const [k, v] of sortedEntries(properties)) env.push({ name: kafkaEnvName(k), value: v });
  return [...env, ...plainEnv(c.env)];
}

/** The Job that creates the declared topics, or undefined when there are none. */
export function topicsJob(
  ctx: RenderContext,
  c: ResolvedComponent,
  runAsUser = KAFKA_UID,
): KubeObject | undefined {
  const topics = c.topics ?? [];
  if (topics.length === 0) return undefined;
  const bootstrap = `${serviceHost(ctx, c.name)}:${c.port ?? 9092}`;
  const lines = [
    "set -e",
    `until ${KAFKA_BIN}/kafka-topics.sh --bootstrap-server ${bootstrap} --list >/dev/null 2>&1; do echo waiting for kafka; sleep 5; done`,
    ...topics.map((t) => {
      const flags = [`--topic '${t.name}'`];
      if (t.partitions !== undefined) flags.push(`--partitions ${t.partitions}`);
      if (t.replicationFactor !== undefined)
        flags.push(`--replication-factor ${t.replicationFactor}`);
      return `${KAFKA_BIN}/kafka-topics.sh --bootstrap-server ${bootstrap} --create --if-not-exists ${flags.join(" ")}`;
    }),
  ];
  const script = `${lines.join("\n")}\n`;
  const meta = childMeta(ctx, c.name, "topics");
  // A Job's template cannot change: the hash tells the operator to replace it.
  meta.annotations = { [CONFIG_HASH_ANNOTATION]: configHash({ image: c.image, script }) };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: meta,
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: 1800,
      template: {
        metadata: { labels: { ...childLabels(ctx.arch.name, c.name), [ROLE_LABEL]: "topics" } },
        spec: {
          restartPolicy: "OnFailure",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(runAsUser),
          containers: [
            {
              name: "topics",
              image: c.image,
              command: ["sh", "-c", script],
              resources: smallResources("100m", "256Mi", "512Mi"),
              env: [{ name: "KAFKA_HEAP_OPTS", value: "-Xmx256m" }],
              // The CLI's JVM writes to /tmp.
              securityContext: containerSecurityContext(false),
            },
          ],
        },
      },
    },
  };
}

export const renderKafka: ComponentRenderer = (c, ctx) => {
  const port = c.port ?? 9092;
  const server: Record<string, unknown> = {
    name: "kafka",
    image: c.image,
    env: brokerEnv(ctx, c, port),
    ports: [
      { name: "kafka", containerPort: port, protocol: "TCP" },
      { name: "controller", containerPort: CONTROLLER_PORT, protocol: "TCP" },
    ],
    readinessProbe: {
      tcpSocket: { port: "kafka" },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      failureThreshold: 3,
    },
    livenessProbe: {
      tcpSocket: { port: "controller" },
      initialDelaySeconds: 60,
      periodSeconds: 20,
      failureThreshold: 6,
    },
    resources: resources(c),
  };
  if (c.replicas > 1) {
    // Node ids follow the pod ordinal (<name>-0 is node 1), which only the pod knows.
    server.command = [
      "sh",
      "-c",
      'KAFKA_NODE_ID=`expr "${POD_NAME##*-}" + 1` && export KAFKA_NODE_ID && exec /etc/kafka/docker/run',
    ];
  }
  const exporter = exporterContainer("kafka", {
    args: [`--kafka.server=127.0.0.1:${port}`, "--group.filter=.*", "--topic.filter=.*"],
  });
  const objects: KubeObject[] = datastoreObjects({
    ctx,
    component: c,
    server,
    sidecars: exporter ? [exporter] : [],
    clientPorts: [{ name: "kafka", port }],
    peerPorts: [{ name: "controller", port: CONTROLLER_PORT }],
    metricsPort: DATASTORE_DEFAULTS.kafka.metricsPort,
    dataPath: DATA_PATH,
    runAsUser: KAFKA_UID,
    // The image writes server.properties under /opt/kafka/config at start.
    readOnlyRootFilesystem: false,
    // Brokers must start together to form the controller quorum.
    podManagementPolicy: "Parallel",
    terminationGracePeriodSeconds: 60,
  });
  const job = topicsJob(ctx, c);
  if (job) objects.push(job);
  return { objects };
};

// RabbitMQ: the official management image as its `rabbitmq` user (uid 999). The
// default user comes from the generated Secret; exchanges are declared from a
// definitions file that holds no credentials.
//
// The definitions are imported by a postStart hook (`rabbitmqctl import_definitions`)
// rather than by `load_definitions` in rabbitmq.conf: a node that imports
// definitions at boot skips creating its default user (rabbitmq-server#4904), so
// the user from the Secret would never exist and no one could log in.
import { DATASTORE_DEFAULTS, type ResolvedComponent } from "../../api/defaults.ts";
import type { ComponentRenderer, RenderContext } from "../context.ts";
import { plainEnv, resources } from "../pod.ts";
import {
  configMap,
  datastoreObjects,
  execProbes,
  fieldEnv,
  headlessName,
  replicaHost,
  secretEnv,
  sortedEntries,
} from "./statefulset.ts";

export const RABBITMQ_UID = 999;
const DEFINITIONS_DIR = "/etc/rabbitmq/definitions";
export const ENABLED_PLUGINS = "[rabbitmq_management,rabbitmq_prometheus].\n";

/** definitions.json: the default vhost and the component's exchanges, sorted by name. */
export function rabbitmqDefinitions(c: ResolvedComponent): string {
  const exchanges = [...(c.exchanges ?? [])]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => ({
      name: e.name,
      vhost: "/",
      type: e.type,
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: {},
    }));
  return `${JSON.stringify({ vhosts: [{ name: "/" }], exchanges }, null, 2)}\n`;
}

/** rabbitmq.conf: clustering and quorum queues when replicated, then `settings` sorted. */
export function rabbitmqConf(ctx: RenderContext, c: ResolvedComponent): string {
  const lines = ["# managed by archctl"];
  if (c.replicas > 1) {
    lines.push("cluster_formation.peer_discovery_backend = classic_config");
    for (let i = 0; i < c.replicas; i++) {
      lines.push(
        `cluster_formation.classic_config.nodes.${i + 1} = rabbit@${replicaHost(ctx, c.name, i)}`,
      );
    }
    // A durable queue declared without a type is a quorum queue (replicated,
    // Raft): it survives a broker restart. Exclusive and auto-delete queues
    // stay classic; `settings.default_queue_type` overrides it.
    if (c.settings?.default_queue_type === undefined) lines.push("default_queue_type = quorum");
  }
  for (const [k, v] of sortedEntries(c.settings)) lines.push(`${k} = ${v}`);
  return `${lines.join("\n")}\n`;
}

export const renderRabbitmq: ComponentRenderer = (c, ctx) => {
  const port = c.port ?? 5672;
  const data = {
    "definitions.json": rabbitmqDefinitions(c),
    enabled_plugins: ENABLED_PLUGINS,
    "rabbitmq.conf": rabbitmqConf(ctx, c),
  };
  const cm = configMap(ctx, c.name, data);
  const env: Record<string, unknown>[] = [];
  if (c.replicas > 1) {
    // Long node names that resolve through the headless Service, so peers find each other.
    env.push(fieldEnv("POD_NAME", "metadata.name"));
    env.push({
      name: "RABBITMQ_NODENAME",
      value: `rabbit@$(POD_NAME).${headlessName(ctx, c.name)}.${ctx.arch.namespace}.svc`,
    });
    env.push({ name: "RABBITMQ_USE_LONGNAME", value: "true" });
  }
  env.push(
    secretEnv(ctx, c.name, "RABBITMQ_DEFAULT_PASS", "password"),
    secretEnv(ctx, c.name, "RABBITMQ_DEFAULT_USER", "username"),
    secretEnv(ctx, c.name, "RABBITMQ_ERLANG_COOKIE", "erlang-cookie"),
    ...plainEnv(c.env),
  );
  const metricsPort = DATASTORE_DEFAULTS.rabbitmq.metricsPort;
  const server: Record<string, unknown> = {
    name: "rabbitmq",
    image: c.image,
    env,
    ports: [
      { name: "amqp", containerPort: port, protocol: "TCP" },
      { name: "management", containerPort: 15672, protocol: "TCP" },
      { name: "metrics", containerPort: metricsPort, protocol: "TCP" },
      { name: "epmd", containerPort: 4369, protocol: "TCP" },
      { name: "dist", containerPort: 25672, protocol: "TCP" },
    ],
    ...execProbes(["rabbitmq-diagnostics", "-q", "check_port_connectivity"], {
      timeoutSeconds: 20,
      liveness: ["rabbitmq-diagnostics", "-q", "status"],
      port,
    }),
    lifecycle: {
      postStart: {
        exec: {
          command: [
            "sh",
            "-c",
            `rabbitmqctl -q await_startup --timeout 600 && rabbitmqctl -q import_definitions ${DEFINITIONS_DIR}/definitions.json`,
          ],
        },
      },
    },
    resources: resources(c),
    volumeMounts: [
      {
        name: "config",
        mountPath: "/etc/rabbitmq/enabled_plugins",
        subPath: "enabled_plugins",
        readOnly: true,
      },
      {
        name: "config",
        mountPath: "/etc/rabbitmq/conf.d/90-archctl.conf",
        subPath: "rabbitmq.conf",
        readOnly: true,
      },
      { name: "definitions", mountPath: DEFINITIONS_DIR, readOnly: true },
    ],
  };
  return {
    objects: [
      cm,
      ...datastoreObjects({
        ctx,
        component: c,
        server,
        clientPorts: [
          { name: "amqp", port },
          { name: "management", port: 15672 },
        ],
        peerPorts: [
          { name: "epmd", port: 4369 },
          { name: "dist", port: 25672 },
        ],
        metricsPort,
        dataPath: "/var/lib/rabbitmq",
        runAsUser: RABBITMQ_UID,
        // The server writes its runtime files outside the data volume.
        readOnlyRootFilesystem: false,
        volumes: [
          { name: "config", configMap: { name: cm.metadata.name } },
          {
            name: "definitions",
            configMap: {
              name: cm.metadata.name,
              items: [{ key: "definitions.json", path: "definitions.json" }],
            },
          },
        ],
        podManagementPolicy: c.replicas > 1 ? "Parallel" : "OrderedReady",
        terminationGracePeriodSeconds: 60,
        config: data,
      }),
    ],
  };
};

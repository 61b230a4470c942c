// How an application reaches what it `uses`: the generated credential Secret of
// each datastore, and the environment variables injected into its users. Secret
// values never appear here: env vars point at Secret keys.
import type { ResolvedComponent } from "../api/defaults.ts";
import { childLabels, childName, credentialsSecretName } from "../api/names.ts";
import type { GenerateSpec } from "../api/schema.ts";
import { isDatastoreType } from "../api/schema.ts";
import type { RenderContext } from "./context.ts";
import { replicaSetHosts } from "./datastores/mongodb-replication.ts";
import { readOnlyServiceName } from "./datastores/postgres-replication.ts";
import { sentinelHosts, sentinelMasterName } from "./datastores/redis-sentinel-names.ts";
import type { SecretKeySource, SecretSpec } from "./types.ts";

const PASSWORD_LENGTH = 32;

/**
 * The port of a service's or gateway's ClusterIP Service (it forwards to the
 * container port named `http`), so callers and the ingress never need to know
 * which port the application listens on.
 */
export const APP_SERVICE_PORT = 80;

/** In-cluster DNS name of a component's client Service. */
export function serviceHost(ctx: RenderContext, component: string): string {
  return `${childName(ctx.arch.name, component)}.${ctx.arch.namespace}.svc`;
}

/** `orders-db` -> `ORDERS_DB`: the prefix of the env vars that describe a component. */
export function envPrefix(component: string): string {
  return component.toUpperCase().replace(/-/g, "_");
}

interface Connection {
  /** Keys of the generated Secret and how each is made. */
  keys: Record<string, SecretKeySource>;
  /** Env var suffix -> plain value. */
  plain: Record<string, string>;
  /** Env var suffix -> key in the Secret. */
  secret: Record<string, string>;
  /**
   * Env var suffix -> value made of the other vars by the kubelet's `$(VAR)`
   * expansion ({P} stands for the prefix): URLs that need the password but are
   * not in the Secret, which is never rewritten once made.
   */
  composed?: Record<string, string>;
}

/** READ_HOST and READ_URL of a primary/replica datastore: its `-ro` Service. */
function readEndpoint(
  ctx: RenderContext,
  c: ResolvedComponent,
  scheme: string,
  port: string,
): Pick<Connection, "composed"> & { plain: Record<string, string> } {
  const readHost = `${readOnlyServiceName(ctx, c.name)}.${ctx.arch.namespace}.svc`;
  return {
    plain: { HOST: serviceHost(ctx, c.name), PORT: port, DATABASE: "app", READ_HOST: readHost },
    composed: { READ_URL: `${scheme}://$({P}_USERNAME):$({P}_PASSWORD)@${readHost}:${port}/app` },
  };
}

function connectionOf(ctx: RenderContext, c: ResolvedComponent): Connection | undefined {
  const host = serviceHost(ctx, c.name);
  const port = String(c.port ?? "");
  const random = { random: PASSWORD_LENGTH };
  switch (c.type) {
    case "mysql":
      return {
        keys: {
          username: { literal: "app" },
          password: random,
          "root-password": random,
          database: { literal: "app" },
          url: { template: `mysql://\${username}:\${password}@${host}:${port}/\${database}` },
        },
        plain: { HOST: host, PORT: port, DATABASE: "app" },
        secret: { USERNAME: "username", PASSWORD: "password", URL: "url" },
        ...(c.replicas > 1 ? readEndpoint(ctx, c, "mysql", port) : {}),
      };
    case "postgres": {
      const conn: Connection = {
        keys: {
          username: { literal: "app" },
          password: random,
          database: { literal: "app" },
          url: { template: `postgresql://\${username}:\${password}@${host}:${port}/\${database}` },
        },
        plain: { HOST: host, PORT: port, DATABASE: "app" },
        secret: { USERNAME: "username", PASSWORD: "password", URL: "url" },
      };
      return c.replicas > 1 ? { ...conn, ...readEndpoint(ctx, c, "postgresql", port) } : conn;
    }
    case "mongodb": {
      const conn: Connection = {
        keys: {
          username: { literal: "app" },
          password: random,
          database: { literal: "app" },
          url: {
            template: `mongodb://\${username}:\${password}@${host}:${port}/\${database}?authSource=admin`,
          },
        },
        plain: { HOST: host, PORT: port, DATABASE: "app" },
        secret: { USERNAME: "username", PASSWORD: "password", URL: "url" },
      };
      if (c.replicas > 1) {
        // Every member and the set's name: the driver finds the primary and follows elections.
        const members = replicaSetHosts(ctx, c.name, c.replicas, Number(port)).join(",");
        conn.plain.REPLICA_SET = c.name;
        conn.secret = { USERNAME: "username", PASSWORD: "password" };
        conn.composed = {
          URL: `mongodb://$({P}_USERNAME):$({P}_PASSWORD)@${members}/app?authSource=admin&replicaSet=${c.name}`,
        };
      }
      return conn;
    }
    case "redis": {
      const conn: Connection = {
        keys: { password: random, url: { template: `redis://:\${password}@${host}:${port}/0` } },
        plain: { HOST: host, PORT: port },
        secret: { PASSWORD: "password", URL: "url" },
      };
      if (c.replicas > 1) {
        // Sentinel tells clients where the master is; the plain Service reaches any member.
        const sentinels = sentinelHosts(ctx, c.name).join(",");
        conn.plain.SENTINEL_HOSTS = sentinels;
        conn.plain.SENTINEL_MASTER = sentinelMasterName(c.name);
        conn.secret = { PASSWORD: "password" };
        conn.composed = {
          URL: `redis+sentinel://:$({P}_PASSWORD)@${sentinels}/${sentinelMasterName(c.name)}/0`,
        };
      }
      return conn;
    }
    case "rabbitmq":
      return {
        keys: {
          username: { literal: "app" },
          password: random,
          "erlang-cookie": { random: 48 },
          url: { template: `amqp://\${username}:\${password}@${host}:${port}/` },
        },
        plain: { HOST: host, PORT: port },
        secret: { USERNAME: "username", PASSWORD: "password", URL: "url" },
      };
    case "kafka":
      // Inside the cluster Kafka listens in plaintext; the NetworkPolicy limits who
      // may connect. Producers get idempotence and acks=all: no duplicates on retry.
      return {
        keys: {},
        plain: {
          BOOTSTRAP_SERVERS: `${host}:${port}`,
          ENABLE_IDEMPOTENCE: "true",
          ACKS: "all",
        },
        secret: {},
      };
    case "milvus":
      return {
        keys: { "minio-access-key": { random: 20 }, "minio-secret-key": { random: 40 } },
        plain: { HOST: host, PORT: port, URL: `http://${host}:${port}` },
        secret: {},
      };
    default:
      return undefined;
  }
}

/** The credential Secret a datastore needs, or undefined when it needs none. */
export function connectionSecret(ctx: RenderContext, c: ResolvedComponent): SecretSpec | undefined {
  const conn = connectionOf(ctx, c);
  if (!conn || Object.keys(conn.keys).length === 0) return undefined;
  return {
    name: credentialsSecretName(ctx.arch.name, c.name),
    component: c.name,
    engine: c.type,
    labels: childLabels(ctx.arch.name, c.name),
    keys: conn.keys,
  };
}

export type EnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

/** Env vars describing every component `consumer` uses, sorted by name. */
export function connectionEnv(ctx: RenderContext, consumer: ResolvedComponent): EnvVar[] {
  const out: EnvVar[] = [];
  for (const name of consumer.uses) {
    const target = ctx.component(name);
    if (!target) continue;
    const prefix = envPrefix(name);
    if (!isDatastoreType(target.type)) {
      if (target.port !== undefined)
        out.push({
          name: `${prefix}_URL`,
          value: `http://${serviceHost(ctx, name)}:${APP_SERVICE_PORT}`,
        });
      continue;
    }
    const conn = connectionOf(ctx, target);
    if (!conn) continue;
    for (const [suffix, value] of Object.entries(conn.plain))
      out.push({ name: `${prefix}_${suffix}`, value });
    const secretName = credentialsSecretName(ctx.arch.name, name);
    for (const [suffix, key] of Object.entries(conn.secret)) {
      out.push({
        name: `${prefix}_${suffix}`,
        valueFrom: { secretKeyRef: { name: secretName, key } },
      });
    }
    for (const [suffix, value] of Object.entries(conn.composed ?? {}))
      out.push({ name: `${prefix}_${suffix}`, value: value.replaceAll("{P}", prefix) });
  }
  return out.sort(envOrder);
}

/** True when the kubelet expands `$(VAR)` references in the value. */
function isComposed(e: EnvVar): boolean {
  return "value" in e && e.value.includes("$(");
}

/**
 * By name, but vars made of others last: the kubelet expands `$(VAR)` only
 * from vars listed before it.
 */
export function envOrder(a: EnvVar, b: EnvVar): number {
  const ca = isComposed(a) ? 1 : 0;
  const cb = isComposed(b) ? 1 : 0;
  return ca - cb || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Makes the values of a Secret. Pure: the caller passes the random source, so
 * the operator uses crypto and a test can use a fixed one.
 */
export function materializeSecret(
  spec: SecretSpec,
  random: (length: number) => string,
  generate: (g: GenerateSpec) => string = () => {
    throw new Error("no generator of application secrets given");
  },
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, src] of Object.entries(spec.keys)) {
    if ("literal" in src) values[key] = src.literal;
    else if ("random" in src) values[key] = random(src.random);
    else if ("generate" in src) values[key] = generate(src.generate);
  }
  for (const [key, src] of Object.entries(spec.keys)) {
    if ("template" in src)
      values[key] = src.template.replace(/\$\{([a-z-]+)\}/g, (_, k: string) => values[k] ?? "");
  }
  return values;
}

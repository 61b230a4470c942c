// PostgreSQL: the official image as its `postgres` user (uid 999); the app user
// is the database owner, created on first start from the generated Secret.
// With replicas > 1: one primary and streaming hot-standby replicas (see
// postgres-replication.ts), a read-write Service on the primary and a `-ro`
// Service over every ready member.
import { DATASTORE_DEFAULTS, type ResolvedComponent } from "../../api/defaults.ts";
import { childName } from "../../api/names.ts";
import { primaryOrdinal } from "../../api/primary.ts";
import type { KubeObject } from "../../kube/types.ts";
import { serviceHost } from "../connection.ts";
import type { ComponentRenderer, RenderContext } from "../context.ts";
import { plainEnv, resources } from "../pod.ts";
import type { SecretSpec } from "../types.ts";
import {
  INITDB_DIR,
  REPLICATION_SETTINGS,
  replicationSecret,
  replicationSecretName,
  SCRIPTS,
  SCRIPTS_DIR,
} from "./postgres-replication.ts";
import { readOnlyService } from "./read-only-service.ts";
import {
  configMap,
  datastoreObjects,
  type EnvVar,
  execProbes,
  exporterContainer,
  fieldEnv,
  secretEnv,
  sortedEntries,
} from "./statefulset.ts";

export const POSTGRES_UID = 999;
const DATA_PATH = "/var/lib/postgresql/data";
/** The label a StatefulSet puts on each pod with its own name. */
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";

/** `settings` as `-c key=value` server arguments, sorted by key. */
export function postgresArgs(settings: Record<string, string> | undefined): string[] {
  return sortedEntries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

/** Name of the primary's pod. */
export function primaryPod(ctx: RenderContext, c: ResolvedComponent): string {
  return `${childName(ctx.arch.name, c.name)}-${primaryOrdinal(ctx.arch.primaries, c.name, c.replicas)}`;
}

export const renderPostgres: ComponentRenderer = (c, ctx) => {
  const port = c.port ?? 5432;
  const replicated = c.replicas > 1;
  const settings = replicated ? { ...REPLICATION_SETTINGS, ...c.settings } : c.settings;
  const env: EnvVar[] = [
    // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
    { name: "PGDATA", value: `${DATA_PATH}/pgdata` },
    secretEnv(ctx, c.name, "POSTGRES_DB", "database"),
    secretEnv(ctx, c.name, "POSTGRES_PASSWORD", "password"),
    secretEnv(ctx, c.name, "POSTGRES_USER", "username"),
  ];
  const objects: KubeObject[] = [];
  const secrets: SecretSpec[] = [];
  const volumes: Record<string, unknown>[] = [];
  const server: Record<string, unknown> = {
    name: "postgres",
    image: c.image,
    args: ["postgres", "-c", `port=${port}`, ...postgresArgs(settings)],
  };
  // Over TCP: while the entrypoint initialises, the server listens on the socket only.
  let ready = [
    "sh",
    "-c",
    `exec pg_isready --host=127.0.0.1 --port=${port} --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"`,
  ];
  if (replicated) {
    const scripts = configMap(ctx, c.name, { ...SCRIPTS }, "scripts");
    // configMap() names it <arch>-<component>-scripts-config: name it plainly.
    scripts.metadata.name = childName(ctx.arch.name, c.name, "scripts");
    objects.push(scripts);
    secrets.push(replicationSecret(ctx, c, "postgres-replication"));
    server.command = ["sh", `${SCRIPTS_DIR}/start.sh`];
    env.push(
      { name: "PGPORT", value: String(port) },
      { name: "PRIMARY_HOST", value: serviceHost(ctx, c.name) },
      fieldEnv("POD_NAME", "metadata.name"),
      {
        name: "REPLICATION_PASSWORD",
        valueFrom: {
          secretKeyRef: { name: replicationSecretName(ctx.arch.name, c.name), key: "password" },
        },
      },
    );
    server.volumeMounts = [
      { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
      { name: "initdb", mountPath: INITDB_DIR, readOnly: true },
    ];
    volumes.push(
      { name: "scripts", configMap: { name: scripts.metadata.name } },
      {
        name: "initdb",
        configMap: {
          name: scripts.metadata.name,
          items: [{ key: "10-replication.sh", path: "10-replication.sh" }],
        },
      },
    );
    ready = ["sh", `${SCRIPTS_DIR}/ready.sh`];
  }
  Object.assign(server, {
    env: [...env, ...plainEnv(c.env)],
    ports: [{ name: "postgres", containerPort: port, protocol: "TCP" }],
    ...execProbes(ready, { port: "postgres" }),
    resources: resources(c),
  });
  const exporter = exporterContainer("postgres", {
    env: [
      secretEnv(ctx, c.name, "DATA_SOURCE_DB", "database"),
      { name: "DATA_SOURCE_URI", value: `127.0.0.1:${port}/$(DATA_SOURCE_DB)?sslmode=disable` },
      secretEnv(ctx, c.name, "DATA_SOURCE_USER", "username"),
      secretEnv(ctx, c.name, "DATA_SOURCE_PASS", "password"),
    ],
  });
  objects.push(
    ...datastoreObjects({
      ctx,
      component: c,
      server,
      sidecars: exporter ? [exporter] : [],
      clientPorts: [{ name: "postgres", port }],
      metricsPort: DATASTORE_DEFAULTS.postgres.metricsPort,
      dataPath: DATA_PATH,
      runAsUser: POSTGRES_UID,
      // The server writes its socket and lock file under /var/run/postgresql.
      readOnlyRootFilesystem: false,
      terminationGracePeriodSeconds: 60,
      volumes,
      ...(replicated
        ? {
            clientSelector: { [POD_NAME_LABEL]: primaryPod(ctx, c) },
            config: SCRIPTS,
          }
        : {}),
    }),
  );
  if (replicated)
    objects.push(
      readOnlyService(
        ctx,
        c,
        "postgres",
        port,
        exporter ? DATASTORE_DEFAULTS.postgres.metricsPort : undefined,
      ),
    );
  return { objects, secrets };
};

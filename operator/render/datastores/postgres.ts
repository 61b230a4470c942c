// PostgreSQL: the official image as its `postgres` user (uid 999); the app user
// is the database owner, created on first start from the generated Secret.
import { DATASTORE_DEFAULTS } from "../../api/defaults.ts";
import type { ComponentRenderer } from "../context.ts";
import { plainEnv, resources } from "../pod.ts";
import {
  datastoreObjects,
  execProbes,
  exporterContainer,
  secretEnv,
  sortedEntries,
} from "./statefulset.ts";

export const POSTGRES_UID = 999;
const DATA_PATH = "/var/lib/postgresql/data";

/** `settings` as `-c key=value` server arguments, sorted by key. */
export function postgresArgs(settings: Record<string, string> | undefined): string[] {
  return sortedEntries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

export const renderPostgres: ComponentRenderer = (c, ctx) => {
  const port = c.port ?? 5432;
  const server: Record<string, unknown> = {
    name: "postgres",
    image: c.image,
    args: ["postgres", "-c", `port=${port}`, ...postgresArgs(c.settings)],
    env: [
      // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
      { name: "PGDATA", value: `${DATA_PATH}/pgdata` },
      secretEnv(ctx, c.name, "POSTGRES_DB", "database"),
      secretEnv(ctx, c.name, "POSTGRES_PASSWORD", "password"),
      secretEnv(ctx, c.name, "POSTGRES_USER", "username"),
      ...plainEnv(c.env),
    ],
    ports: [{ name: "postgres", containerPort: port, protocol: "TCP" }],
    // Over TCP: while the entrypoint initialises, the server listens on the socket only.
    ...execProbes([
      "sh",
      "-c",
      `exec pg_isready --host=127.0.0.1 --port=${port} --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"`,
    ]),
    resources: resources(c),
  };
  const exporter = exporterContainer("postgres", {
    env: [
      secretEnv(ctx, c.name, "DATA_SOURCE_DB", "database"),
      { name: "DATA_SOURCE_URI", value: `127.0.0.1:${port}/$(DATA_SOURCE_DB)?sslmode=disable` },
      secretEnv(ctx, c.name, "DATA_SOURCE_USER", "username"),
      secretEnv(ctx, c.name, "DATA_SOURCE_PASS", "password"),
    ],
  });
  return {
    objects: datastoreObjects({
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
    }),
  };
};

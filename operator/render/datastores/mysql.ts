// MySQL: the official image, running as its `mysql` user (uid 999), with the
// app user and database created on first start from the generated Secret.
// With replicas > 1: one primary and GTID replicas (see mysql-replication.ts),
// a read-write Service on the primary and a `-ro` Service over every ready member.

import { DATASTORE_DEFAULTS } from "../../api/defaults.ts";
import { childName } from "../../api/names.ts";
import type { KubeObject } from "../../kube/types.ts";
import { serviceHost } from "../connection.ts";
import type { ComponentRenderer } from "../context.ts";
import { plainEnv, resources } from "../pod.ts";
import type { SecretSpec } from "../types.ts";
import { MYSQL_REPLICATION_SETTINGS, MYSQL_SCRIPTS } from "./mysql-replication.ts";
import { POD_NAME_LABEL, primaryPod } from "./postgres.ts";
import { replicationSecret, replicationSecretName, SCRIPTS_DIR } from "./postgres-replication.ts";
import { readOnlyService } from "./read-only-service.ts";
import {
  configMap,
  datastoreObjects,
  type EnvVar,
  execProbes,
  exporterContainer,
  fieldEnv,
  headlessName,
  secretEnv,
  sortedEntries,
} from "./statefulset.ts";

export const MYSQL_UID = 999;
const CONFIG_FILE = "archctl.cnf";

/** `settings` as a my.cnf `[mysqld]` section, sorted by key. */
export function mysqlConfig(settings: Record<string, string> | undefined): string | undefined {
  const entries = sortedEntries(settings);
  if (entries.length === 0) return undefined;
  return `[mysqld]\n${entries.map(([k, v]) => `${k} = ${v}`).join("\n")}\n`;
}

export const renderMysql: ComponentRenderer = (c, ctx) => {
  const port = c.port ?? 3306;
  const replicated = c.replicas > 1;
  const config = mysqlConfig(
    replicated ? { ...MYSQL_REPLICATION_SETTINGS, ...c.settings } : c.settings,
  );
  const objects: KubeObject[] = [];
  const secrets: SecretSpec[] = [];
  const env: EnvVar[] = [
    secretEnv(ctx, c.name, "MYSQL_DATABASE", "database"),
    secretEnv(ctx, c.name, "MYSQL_PASSWORD", "password"),
    secretEnv(ctx, c.name, "MYSQL_ROOT_PASSWORD", "root-password"),
    secretEnv(ctx, c.name, "MYSQL_USER", "username"),
  ];
  // `ping` answers as soon as the server accepts TCP connections; during
  // first-start initialisation the server listens on no TCP port at all.
  let ready = ["mysqladmin", "ping", "--host=127.0.0.1", `--port=${port}`, "--silent"];
  const server: Record<string, unknown> = { name: "mysql", image: c.image };
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  if (config) {
    const cm = configMap(ctx, c.name, { [CONFIG_FILE]: config });
    objects.push(cm);
    mounts.push({ name: "config", mountPath: "/etc/mysql/conf.d", readOnly: true });
    volumes.push({ name: "config", configMap: { name: cm.metadata.name } });
  }
  if (replicated) {
    const scripts = configMap(ctx, c.name, { ...MYSQL_SCRIPTS }, "scripts");
    scripts.metadata.name = childName(ctx.arch.name, c.name, "scripts");
    objects.push(scripts);
    secrets.push(replicationSecret(ctx, c, "mysql-replication"));
    server.command = ["sh", `${SCRIPTS_DIR}/start.sh`];
    env.push(
      { name: "MYSQL_PORT", value: String(port) },
      { name: "PRIMARY_HOST", value: serviceHost(ctx, c.name) },
      { name: "HEADLESS_HOST", value: `${headlessName(ctx, c.name)}.${ctx.arch.namespace}.svc` },
      fieldEnv("POD_NAME", "metadata.name"),
      {
        name: "REPLICATION_PASSWORD",
        valueFrom: {
          secretKeyRef: { name: replicationSecretName(ctx.arch.name, c.name), key: "password" },
        },
      },
    );
    mounts.push(
      { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
      { name: "initdb", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
    );
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
    ports: [{ name: "mysql", containerPort: port, protocol: "TCP" }],
    // A new replica copies the primary's databases before it listens: give it an hour.
    ...execProbes(ready, { startupSeconds: replicated ? 3600 : 600, port }),
    resources: resources(c),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
  });
  const exporter = exporterContainer("mysql", {
    args: [`--mysqld.address=127.0.0.1:${port}`, "--mysqld.username=root"],
    env: [secretEnv(ctx, c.name, "MYSQLD_EXPORTER_PASSWORD", "root-password")],
  });
  objects.push(
    ...datastoreObjects({
      ctx,
      component: c,
      server,
      sidecars: exporter ? [exporter] : [],
      clientPorts: [{ name: "mysql", port }],
      ...(exporter ? { metricsPort: DATASTORE_DEFAULTS.mysql.metricsPort } : {}),
      dataPath: "/var/lib/mysql",
      runAsUser: MYSQL_UID,
      // The entrypoint writes its socket and pid file under /var/run/mysqld.
      readOnlyRootFilesystem: false,
      volumes,
      terminationGracePeriodSeconds: 60,
      ...(replicated
        ? {
            clientSelector: { [POD_NAME_LABEL]: primaryPod(ctx, c) },
            config: { config, scripts: MYSQL_SCRIPTS },
          }
        : config
          ? { config }
          : {}),
    }),
  );
  if (replicated)
    objects.push(
      readOnlyService(
        ctx,
        c,
        "mysql",
        port,
        exporter ? DATASTORE_DEFAULTS.mysql.metricsPort : undefined,
      ),
    );
  return { objects, secrets };
};

// MySQL: the official image, running as its `mysql` user (uid 999), with the
// app user and database created on first start from the generated Secret.

import { DATASTORE_DEFAULTS } from "../../api/defaults.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { ComponentRenderer } from "../context.ts";
import { plainEnv, resources } from "../pod.ts";
import {
  configMap,
  datastoreObjects,
  execProbes,
  exporterContainer,
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
  const config = mysqlConfig(c.settings);
  const objects: KubeObject[] = [];
  const server: Record<string, unknown> = {
    name: "mysql",
    image: c.image,
    env: [
      secretEnv(ctx, c.name, "MYSQL_DATABASE", "database"),
      secretEnv(ctx, c.name, "MYSQL_PASSWORD", "password"),
      secretEnv(ctx, c.name, "MYSQL_ROOT_PASSWORD", "root-password"),
      secretEnv(ctx, c.name, "MYSQL_USER", "username"),
      ...plainEnv(c.env),
    ],
    ports: [{ name: "mysql", containerPort: port, protocol: "TCP" }],
    // `ping` answers as soon as the server accepts TCP connections; during
    // first-start initialisation the server listens on no TCP port at all.
    ...execProbes(["mysqladmin", "ping", "--host=127.0.0.1", `--port=${port}`, "--silent"], {
      startupSeconds: 600,
      port,
    }),
    resources: resources(c),
  };
  const volumes: Record<string, unknown>[] = [];
  if (config) {
    const cm = configMap(ctx, c.name, { [CONFIG_FILE]: config });
    objects.push(cm);
    server.volumeMounts = [{ name: "config", mountPath: "/etc/mysql/conf.d", readOnly: true }];
    volumes.push({ name: "config", configMap: { name: cm.metadata.name } });
  }
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
      ...(config ? { config } : {}),
    }),
  );
  return { objects };
};

// MongoDB: the official image as its `mongodb` user (uid 999); the root user is
// the generated `app` user (authSource admin), as the connection URL says.
import { DATASTORE_DEFAULTS } from "../../api/defaults.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { ComponentRenderer } from "../context.ts";
import { plainEnv, resources } from "../pod.ts";
import {
  configMap,
  datastoreObjects,
  dottedYaml,
  execProbes,
  exporterContainer,
  secretEnv,
} from "./statefulset.ts";

export const MONGODB_UID = 999;
const CONFIG_DIR = "/etc/mongo";

export const renderMongodb: ComponentRenderer = (c, ctx) => {
  const port = c.port ?? 27017;
  const objects: KubeObject[] = [];
  // settings use mongod.conf's dotted option names, e.g. storage.wiredTiger.engineConfig.cacheSizeGB.
  const config = c.settings && Object.keys(c.settings).length ? dottedYaml(c.settings) : undefined;
  const args = ["mongod", "--bind_ip_all", `--port=${port}`];
  const server: Record<string, unknown> = {
    name: "mongodb",
    image: c.image,
    args,
    env: [
      secretEnv(ctx, c.name, "MONGO_INITDB_DATABASE", "database"),
      secretEnv(ctx, c.name, "MONGO_INITDB_ROOT_PASSWORD", "password"),
      secretEnv(ctx, c.name, "MONGO_INITDB_ROOT_USERNAME", "username"),
      ...plainEnv(c.env),
    ],
    ports: [{ name: "mongodb", containerPort: port, protocol: "TCP" }],
    // `ping` needs no authentication.
    ...execProbes(
      ["mongosh", "--quiet", "--norc", `--port=${port}`, "--eval", "db.adminCommand('ping').ok"],
      { timeoutSeconds: 10, port },
    ),
    resources: resources(c),
  };
  const volumes: Record<string, unknown>[] = [];
  if (config) {
    const cm = configMap(ctx, c.name, { "mongod.conf": config });
    objects.push(cm);
    args.push(`--config=${CONFIG_DIR}/mongod.conf`);
    server.volumeMounts = [{ name: "config", mountPath: CONFIG_DIR, readOnly: true }];
    volumes.push({ name: "config", configMap: { name: cm.metadata.name } });
  }
  const exporter = exporterContainer("mongodb", {
    args: [
      `--mongodb.uri=mongodb://127.0.0.1:${port}/admin`,
      "--mongodb.direct-connect=true",
      "--collect-all",
      "--compatible-mode",
    ],
    env: [
      secretEnv(ctx, c.name, "MONGODB_USER", "username"),
      secretEnv(ctx, c.name, "MONGODB_PASSWORD", "password"),
    ],
  });
  objects.push(
    ...datastoreObjects({
      ctx,
      component: c,
      server,
      sidecars: exporter ? [exporter] : [],
      clientPorts: [{ name: "mongodb", port }],
      metricsPort: DATASTORE_DEFAULTS.mongodb.metricsPort,
      dataPath: "/data/db",
      runAsUser: MONGODB_UID,
      // mongosh and the entrypoint write under $HOME and /tmp.
      readOnlyRootFilesystem: false,
      volumes,
      terminationGracePeriodSeconds: 60,
      ...(config ? { config } : {}),
    }),
  );
  return { objects };
};

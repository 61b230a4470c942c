// MongoDB: the official image as its `mongodb` user (uid 999); the root user is
// the generated `app` user (authSource admin), as the connection URL says.
// With replicas > 1: a replica set (see mongodb-replication.ts) with keyfile
// authentication between members and automatic elections.
import { DATASTORE_DEFAULTS, type ResolvedComponent } from "../../api/defaults.ts";
import { childLabels, childName } from "../../api/names.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { ComponentRenderer, RenderContext } from "../context.ts";
import { plainEnv, resources } from "../pod.ts";
import type { SecretSpec } from "../types.ts";
import {
  KEYFILE_DIR,
  KEYFILE_KEY,
  keyfileSecretName,
  MONGODB_SCRIPTS,
  replicaSetHosts,
} from "./mongodb-replication.ts";
import { SCRIPTS_DIR } from "./postgres-replication.ts";
import {
  configMap,
  datastoreObjects,
  dottedYaml,
  type EnvVar,
  execProbes,
  exporterContainer,
  fieldEnv,
  secretEnv,
} from "./statefulset.ts";

export const MONGODB_UID = 999;
const CONFIG_DIR = "/etc/mongo";

export const renderMongodb: ComponentRenderer = (c, ctx) => {
  const port = c.port ?? 27017;
  // settings use mongod.conf's dotted option names, e.g. storage.wiredTiger.engineConfig.cacheSizeGB.
  const config = c.settings && Object.keys(c.settings).length ? dottedYaml(c.settings) : undefined;
  const args = ["mongod", "--bind_ip_all", `--port=${port}`];
  const replicated = c.replicas > 1;
  const objects: KubeObject[] = [];
  const secrets: SecretSpec[] = [];
  const env: EnvVar[] = [
    secretEnv(ctx, c.name, "MONGO_INITDB_DATABASE", "database"),
    secretEnv(ctx, c.name, "MONGO_INITDB_ROOT_PASSWORD", "password"),
    secretEnv(ctx, c.name, "MONGO_INITDB_ROOT_USERNAME", "username"),
  ];
  // `ping` needs no authentication.
  let ready = [
    "mongosh",
    "--quiet",
    "--norc",
    `--port=${port}`,
    "--eval",
    "db.adminCommand('ping').ok",
  ];
  const server: Record<string, unknown> = { name: "mongodb", image: c.image, args };
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  if (config) {
    const cm = configMap(ctx, c.name, { "mongod.conf": config });
    objects.push(cm);
    args.push(`--config=${CONFIG_DIR}/mongod.conf`);
    mounts.push({ name: "config", mountPath: CONFIG_DIR, readOnly: true });
    volumes.push({ name: "config", configMap: { name: cm.metadata.name } });
  }
  if (replicated) {
    const scripts = configMap(ctx, c.name, { ...MONGODB_SCRIPTS }, "scripts");
    scripts.metadata.name = childName(ctx.arch.name, c.name, "scripts");
    objects.push(scripts);
    secrets.push(keyfileSecret(ctx, c));
    server.command = ["sh", `${SCRIPTS_DIR}/start.sh`];
    env.push(
      { name: "MONGODB_PORT", value: String(port) },
      { name: "REPLICA_SET", value: c.name },
      { name: "MEMBERS", value: replicaSetHosts(ctx, c.name, c.replicas, port).join(",") },
      fieldEnv("POD_NAME", "metadata.name"),
    );
    mounts.push(
      { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
      { name: "keyfile", mountPath: KEYFILE_DIR, readOnly: true },
    );
    volumes.push(
      { name: "scripts", configMap: { name: scripts.metadata.name } },
      // Group-readable for the pod's fsGroup; start.sh copies it as 0400 for mongod.
      {
        name: "keyfile",
        secret: { secretName: keyfileSecretName(ctx.arch.name, c.name), defaultMode: 0o440 },
      },
    );
    ready = ["sh", `${SCRIPTS_DIR}/ready.sh`];
  }
  Object.assign(server, {
    env: [...env, ...plainEnv(c.env)],
    ports: [{ name: "mongodb", containerPort: port, protocol: "TCP" }],
    ...execProbes(ready, { timeoutSeconds: 10, port }),
    resources: resources(c),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
  });
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
      // Member 0 initiates the set only once every member answers: start them together.
      ...(replicated
        ? { podManagementPolicy: "Parallel" as const, config: { config, scripts: MONGODB_SCRIPTS } }
        : config
          ? { config }
          : {}),
    }),
  );
  return { objects, secrets };
};

function keyfileSecret(ctx: RenderContext, c: ResolvedComponent): SecretSpec {
  return {
    name: keyfileSecretName(ctx.arch.name, c.name),
    component: c.name,
    engine: "mongodb-keyfile",
    labels: childLabels(ctx.arch.name, c.name),
    // mongod takes 6 to 1024 base64 characters: alphanumerics are among them.
    keys: { [KEYFILE_KEY]: { random: 756 } },
  };
}

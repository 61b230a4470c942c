// Redis: the official image as its `redis` user (uid 999), password-protected,
// with the append-only file on the data volume.
import { DATASTORE_DEFAULTS } from "../../api/defaults.ts";
import { childName } from "../../api/names.ts";
import type { ComponentRenderer } from "../context.ts";
import { plainEnv, resources } from "../pod.ts";
import { redisRestoreInit } from "../restore.ts";
import {
  REDIS_SCRIPTS,
  REDIS_SCRIPTS_DIR,
  scriptsConfigMap,
  sentinelEnv,
  sentinelObjects,
} from "./redis-sentinel.ts";
import {
  DATA_VOLUME,
  datastoreObjects,
  execProbes,
  exporterContainer,
  secretEnv,
  sortedEntries,
} from "./statefulset.ts";

export const REDIS_UID = 999;

/** `settings` as `--key value` server arguments, sorted by key. */
export function redisArgs(settings: Record<string, string> | undefined): string[] {
  return sortedEntries(settings).flatMap(([k, v]) => [`--${k}`, v]);
}

export const renderRedis: ComponentRenderer = (c, ctx) => {
  const port = c.port ?? 6379;
  const replicated = c.replicas > 1;
  const server: Record<string, unknown> = {
    name: "redis",
    image: c.image,
    ...(replicated ? { command: ["sh", `${REDIS_SCRIPTS_DIR}/member.sh`] } : {}),
    args: [
      "redis-server",
      "--port",
      String(port),
      "--dir",
      "/data",
      "--appendonly",
      "yes",
      // Expanded by the kubelet from the env var below: the value is never in the spec.
      "--requirepass",
      "$(REDIS_PASSWORD)",
      ...redisArgs(c.settings),
    ],
    env: [
      secretEnv(ctx, c.name, "REDIS_PASSWORD", "password"),
      // redis-cli (probes) authenticates from this variable instead of its command line.
      secretEnv(ctx, c.name, "REDISCLI_AUTH", "password"),
      ...(replicated ? sentinelEnv(ctx, c, port) : []),
      ...plainEnv(c.env),
    ],
    ports: [{ name: "redis", containerPort: port, protocol: "TCP" }],
    // redis-cli exits 0 on an error reply too, so look for the PONG; a
    // replicated member is ready when it is the master or its link is up.
    ...execProbes(
      replicated
        ? ["sh", `${REDIS_SCRIPTS_DIR}/member-ready.sh`]
        : ["sh", "-c", `redis-cli -h 127.0.0.1 -p ${port} ping | grep -q PONG`],
      { startupSeconds: 600, port: "redis" },
    ),
    resources: resources(c),
  };
  if (replicated)
    server.volumeMounts = [{ name: "scripts", mountPath: REDIS_SCRIPTS_DIR, readOnly: true }];
  const exporter = exporterContainer("redis", {
    env: [
      { name: "REDIS_ADDR", value: `redis://127.0.0.1:${port}` },
      secretEnv(ctx, c.name, "REDIS_PASSWORD", "password"),
    ],
  });
  // Starting from a backup: loaded into the data volume before the server starts.
  const restore = redisRestoreInit(ctx, c, DATA_VOLUME);
  const objects = datastoreObjects({
    ctx,
    component: c,
    server,
    sidecars: exporter ? [exporter] : [],
    clientPorts: [{ name: "redis", port }],
    metricsPort: DATASTORE_DEFAULTS.redis.metricsPort,
    dataPath: "/data",
    runAsUser: REDIS_UID,
    // Redis writes only to /data.
    readOnlyRootFilesystem: true,
    initContainers: restore.initContainers,
    volumes: [
      ...restore.volumes,
      ...(replicated
        ? [{ name: "scripts", configMap: { name: childName(ctx.arch.name, c.name, "scripts") } }]
        : []),
    ],
    ...(replicated ? { config: REDIS_SCRIPTS } : {}),
  });
  if (replicated)
    objects.push(scriptsConfigMap(ctx, c), ...sentinelObjects(ctx, c, port, REDIS_UID));
  return { objects };
};

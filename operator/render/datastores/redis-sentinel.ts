// Redis with replicas: every member starts as a replica of the master Sentinel
// names (the first member when no Sentinel answers yet, as on first creation),
// and three Sentinels watch the master and promote a replica when it fails.
// Members and Sentinels announce stable DNS names, not pod IPs, so a restarted
// pod is the same member to Sentinel. The scripts are the exact text the
// real-server tests run.
import type { ResolvedComponent } from "../../api/defaults.ts";
import { childName } from "../../api/names.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { RenderContext } from "../context.ts";
import { smallResources } from "../pod.ts";
import {
  SENTINEL_PART,
  SENTINEL_PORT,
  SENTINEL_QUORUM,
  SENTINELS,
  sentinelHosts,
  sentinelMasterName,
} from "./redis-sentinel-names.ts";
import {
  configMap,
  datastoreObjects,
  type EnvVar,
  execProbes,
  fieldEnv,
  headlessName,
  secretEnv,
} from "./statefulset.ts";

export const REDIS_SCRIPTS_DIR = "/etc/archctl";
/** How long a master may be unreachable before Sentinel calls it down. */
export const DOWN_AFTER_MS = 5000;
export const FAILOVER_TIMEOUT_MS = 60000;

/**
 * Asks each Sentinel in $SENTINEL_HOSTS (but this one, $SELF_SENTINEL) for the
 * master; prints `host port`, or nothing when none answers.
 */
const FIND_MASTER = `find_master() {
  for s in $SENTINEL_HOSTS; do
    [ "$s" = "\${SELF_SENTINEL:-}" ] && continue
    addr=$(redis-cli -h "\${s%:*}" -p "\${s##*:}" --raw sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\\n' ' ' || true)
    set -- $addr
    case "\${1:-}" in ""|*ERR*|*Could*) ;; *) [ -n "\${2:-}" ] && { echo "$1 $2"; return 0; } ;; esac
  done
}`;

/**
 * A member: redis-server with the given args, announcing its stable name, a
 * replica unless Sentinel names it the master (or, with no Sentinel answering,
 * it is the first member). MEMBER_HOST and FIRST_MEMBER_PORT default to the
 * pod's DNS name and the common port (the real-server tests set them).
 */
export const MEMBER_SCRIPT = `#!/bin/sh
set -eu
${FIND_MASTER}
self="\${MEMBER_HOST:-$POD_NAME.$MEMBERS_DOMAIN}"
master=$(find_master)
if [ -z "$master" ] && [ "\${POD_NAME##*-}" != 0 ]; then master="$FIRST_MEMBER \${FIRST_MEMBER_PORT:-$REDIS_PORT}"; fi
set -- "$@" --masterauth "$REDIS_PASSWORD" --replica-announce-ip "$self" --replica-announce-port "$REDIS_PORT"
if [ -n "$master" ] && [ "$master" != "$self $REDIS_PORT" ]; then
  echo "archctl: replica of $master"
  set -- "$@" --replicaof $master
fi
exec "$@"
`;

/** Ready: the master, or a replica whose link to the master is up. */
export const MEMBER_READY_SCRIPT = `#!/bin/sh
info=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info replication) || exit 1
echo "$info" | grep -q '^role:master' || echo "$info" | grep -q '^master_link_status:up'
`;

/** A Sentinel: its config is written once on its volume; Sentinel rewrites it as it learns. */
export const SENTINEL_SCRIPT = `#!/bin/sh
set -eu
${FIND_MASTER}
SELF="\${SENTINEL_HOST:-$POD_NAME.$SENTINELS_DOMAIN}"
SELF_SENTINEL="$SELF:$SENTINEL_PORT"
conf="\${SENTINEL_DIR:-/data}/sentinel.conf"
if [ ! -s "$conf" ]; then
  master=$(find_master)
  [ -n "$master" ] || master="$FIRST_MEMBER \${FIRST_MEMBER_PORT:-$REDIS_PORT}"
  cat > "$conf.new" <<CONF
port $SENTINEL_PORT
dir \${SENTINEL_DIR:-/data}
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $SELF
sentinel monitor $MASTER_NAME $master $SENTINEL_QUORUM
sentinel auth-pass $MASTER_NAME $REDIS_PASSWORD
sentinel down-after-milliseconds $MASTER_NAME $DOWN_AFTER_MS
sentinel failover-timeout $MASTER_NAME $FAILOVER_TIMEOUT_MS
sentinel parallel-syncs $MASTER_NAME 1
CONF
  mv "$conf.new" "$conf"
fi
exec redis-server "$conf" --sentinel
`;

export const REDIS_SCRIPTS = {
  "member.sh": MEMBER_SCRIPT,
  "member-ready.sh": MEMBER_READY_SCRIPT,
  "sentinel.sh": SENTINEL_SCRIPT,
} as const;

/** Env both members and Sentinels read. */
export function sentinelEnv(ctx: RenderContext, c: ResolvedComponent, port: number): EnvVar[] {
  const ns = ctx.arch.namespace;
  return [
    { name: "REDIS_PORT", value: String(port) },
    { name: "MASTER_NAME", value: sentinelMasterName(c.name) },
    { name: "SENTINEL_HOSTS", value: sentinelHosts(ctx, c.name).join(" ") },
    { name: "MEMBERS_DOMAIN", value: `${headlessName(ctx, c.name)}.${ns}.svc` },
    {
      name: "FIRST_MEMBER",
      value: `${childName(ctx.arch.name, c.name)}-0.${headlessName(ctx, c.name)}.${ns}.svc`,
    },
    fieldEnv("POD_NAME", "metadata.name"),
  ];
}

export function scriptsConfigMap(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const cm = configMap(ctx, c.name, { ...REDIS_SCRIPTS });
  cm.metadata.name = childName(ctx.arch.name, c.name, "scripts");
  return cm;
}

/** The three Sentinels: a StatefulSet of their own, with a small volume for their state. */
export function sentinelObjects(
  ctx: RenderContext,
  c: ResolvedComponent,
  port: number,
  runAsUser: number,
): KubeObject[] {
  const ns = ctx.arch.namespace;
  const scripts = childName(ctx.arch.name, c.name, "scripts");
  const server: Record<string, unknown> = {
    name: "sentinel",
    image: c.image,
    command: ["sh", `${REDIS_SCRIPTS_DIR}/sentinel.sh`],
    env: [
      ...sentinelEnv(ctx, c, port),
      { name: "SENTINELS_DOMAIN", value: `${headlessName(ctx, c.name, SENTINEL_PART)}.${ns}.svc` },
      { name: "SENTINEL_PORT", value: String(SENTINEL_PORT) },
      { name: "SENTINEL_QUORUM", value: String(SENTINEL_QUORUM) },
      { name: "DOWN_AFTER_MS", value: String(DOWN_AFTER_MS) },
      { name: "FAILOVER_TIMEOUT_MS", value: String(FAILOVER_TIMEOUT_MS) },
      secretEnv(ctx, c.name, "REDIS_PASSWORD", "password"),
    ],
    ports: [{ name: "sentinel", containerPort: SENTINEL_PORT, protocol: "TCP" }],
    ...execProbes(["sh", "-c", `redis-cli -h 127.0.0.1 -p ${SENTINEL_PORT} ping | grep -q PONG`], {
      port: "sentinel",
      startupSeconds: 120,
    }),
    resources: smallResources("50m", "64Mi", "128Mi"),
    volumeMounts: [{ name: "scripts", mountPath: REDIS_SCRIPTS_DIR, readOnly: true }],
  };
  const storageClassName = c.storage?.storageClassName;
  return datastoreObjects({
    ctx,
    component: c,
    part: SENTINEL_PART,
    replicas: SENTINELS,
    server,
    clientPorts: [{ name: "sentinel", port: SENTINEL_PORT }],
    dataPath: "/data",
    storage: { size: "64Mi", ...(storageClassName ? { storageClassName } : {}) },
    runAsUser,
    readOnlyRootFilesystem: true,
    volumes: [{ name: "scripts", configMap: { name: scripts } }],
    // Sentinels find the master through their peers or the first member: all may start at once.
    podManagementPolicy: "Parallel",
    config: REDIS_SCRIPTS,
  });
}

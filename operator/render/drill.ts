// Restore drills (spec.backups[].verify): a CronJob `<arch>-<component>-drill`
// whose pod restores the latest backup into a throwaway server of its own (the
// datastore's server container as rendered, on an ephemeral volume, as a
// native sidecar, no Service), then runs the drill check: the engine opens the
// data and counts it. The pod's termination message is the result,
// `{"tables":N,"rows":M}` (Redis `{"keys":N}`), with the restore's own lines in
// its log; a failed restore or check fails the Job. Backups in S3 are
// downloaded first by an init container, the one a restore uses.
import type { ResolvedBackup, ResolvedComponent } from "../api/defaults.ts";
import { childLabels } from "../api/names.ts";
import type { KubeObject } from "../kube/types.ts";
import { BACKUP_DIR, dumpOf } from "./backup.ts";
import type { ComponentRenderer, ConcernRenderer, RenderContext } from "./context.ts";
import { renderMongodb } from "./datastores/mongodb.ts";
import { renderMysql } from "./datastores/mysql.ts";
import { renderPostgres } from "./datastores/postgres.ts";
import { renderRedis } from "./datastores/redis.ts";
import { ROLE_LABEL } from "./datastores/statefulset.ts";
import { childMeta } from "./meta.ts";
import { containerSecurityContext, podSecurityContext } from "./pod.ts";
import { latestFromS3 } from "./restore.ts";
import { BACKUP_NAME_ENV, drillCheckScript, restoreScript } from "./restore-scripts.ts";

export const DRILL_ROLE = "drill";
const SERVERS: Record<string, ComponentRenderer> = {
  postgres: renderPostgres,
  mysql: renderMysql,
  mongodb: renderMongodb,
  redis: renderRedis,
};
const RESOURCES = { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } };

/**
 * Picks the latest backup once (so the restore and the result name the same
 * file), runs $RESTORE_SCRIPT on it (if any: Redis restores in an init
 * container, from the same listing), then $CHECK_SCRIPT; the check's JSON,
 * with the backup's file name first, becomes the termination message:
 * `{"backup":"db-20261203T031500Z.dump","tables":2,"rows":666}`.
 */
function drillCommand(source: string, ext: string): string {
  return [
    "set -eu",
    `backup=\`ls -1 ${BACKUP_DIR}/${source}-*.${ext} 2>/dev/null | sort -r | head -n 1\``,
    'backup="${backup##*/}"',
    `if [ -n "\${RESTORE_SCRIPT:-}" ]; then ${BACKUP_NAME_ENV}="\${backup:-latest}" sh -c "$RESTORE_SCRIPT"; fi`,
    'out=`sh -c "$CHECK_SCRIPT"`',
    'echo "$out"',
    'out="${out#archctl-drill: }"',
    // ${out#?} drops the check's opening brace.
    'printf \'{"backup":"%s",%s\\n\' "$backup" "${out#?}" > /dev/termination-log 2>/dev/null || true',
    "",
  ].join("\n");
}

function drillObjects(ctx: RenderContext, c: ResolvedComponent, b: ResolvedBackup): KubeObject[] {
  const dump = dumpOf(ctx, c);
  const check = drillCheckScript(ctx, c, "loopback");
  const restore = restoreScript(ctx, c, c.name, "loopback");
  const renderServer = SERVERS[c.type];
  if (!dump || !check || !restore || !renderServer || !b.verify) return [];
  // The server as the datastore renders it (env, args, config mounts), its data ephemeral.
  const sts = renderServer({ ...c, replicas: 1, restore: undefined }, ctx).objects.find(
    (o) => o.kind === "StatefulSet",
  ) as unknown as { spec: { template: { spec: Record<string, unknown> } } };
  const serverPod = sts.spec.template.spec;
  const server: Record<string, unknown> = {
    ...((serverPod.containers as Record<string, unknown>[])[0] as Record<string, unknown>),
    name: "server",
    // A native sidecar: started (startup probe passed) before the drill, stopped after it.
    restartPolicy: "Always",
  };
  delete server.livenessProbe;
  // An S3 target: the latest backup is downloaded first, by a restore's own download container.
  const fromS3 = b.s3 ? latestFromS3(ctx, c) : undefined;
  const claim = b.pvc
    ? [
        {
          name: "backups",
          persistentVolumeClaim: {
            claimName: `${ctx.arch.name}-${c.name}-backups`,
            readOnly: true,
          },
        },
      ]
    : [];
  const redis = c.type === "redis";
  const drill = {
    name: "drill",
    image: c.image,
    command: ["sh", "-c", drillCommand(c.name, dump.ext)],
    env: [
      ...dump.env,
      { name: BACKUP_NAME_ENV, value: "latest" },
      ...(redis ? [] : [{ name: "RESTORE_SCRIPT", value: restore }]),
      { name: "CHECK_SCRIPT", value: check },
    ],
    resources: RESOURCES,
    securityContext: containerSecurityContext(true),
    volumeMounts: [
      { name: "backups", mountPath: BACKUP_DIR, readOnly: true },
      { name: "drill-tmp", mountPath: "/tmp" },
    ],
  };
  const redisRestore = {
    name: "restore",
    image: c.image,
    command: ["sh", "-c", restore],
    env: [...dump.env, { name: BACKUP_NAME_ENV, value: "latest" }],
    resources: RESOURCES,
    securityContext: containerSecurityContext(true),
    volumeMounts: [
      { name: "backups", mountPath: BACKUP_DIR, readOnly: true },
      { name: "data", mountPath: "/data" },
    ],
  };
  const labels = { ...childLabels(ctx.arch.name, c.name), [ROLE_LABEL]: DRILL_ROLE };
  return [
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: childMeta(ctx, c.name, "drill", { [ROLE_LABEL]: DRILL_ROLE }),
      spec: {
        schedule: b.verify.schedule,
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: 6 * 3600,
            ttlSecondsAfterFinished: 7 * 24 * 3600,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: podSecurityContext(dump.uid),
                initContainers: [...(fromS3?.init ?? []), ...(redis ? [redisRestore] : []), server],
                containers: [drill],
                volumes: [
                  ...(fromS3?.volumes ??
                    (claim.length ? claim : [{ name: "backups", emptyDir: {} }])),
                  { name: "data", emptyDir: {} },
                  { name: "drill-tmp", emptyDir: {} },
                  ...((serverPod.volumes as unknown[] | undefined) ?? []),
                ],
              },
            },
          },
        },
      },
    },
  ];
}

export const renderDrills: ConcernRenderer = (ctx) => {
  const objects: KubeObject[] = [];
  for (const b of ctx.arch.backups) {
    const c = ctx.component(b.component);
    if (c && b.verify) objects.push(...drillObjects(ctx, c, b));
  }
  return { objects };
};

// Restoring a datastore from a backup (spec.components[].restore): where the
// backups are (the source's PVC, or its S3 bucket), and the pod that loads one.
// PostgreSQL, MySQL and MongoDB load through their client into the running
// server: a Job `<arch>-<component>-restore`. Redis loads a dump only at start:
// an init container of its StatefulSet (redisRestoreInit). The scripts are
// restore-scripts.ts's; a refusal exits 3, which fails the Job at once
// (podFailurePolicy) while other failures (server not up yet) are retried.
import type { ResolvedComponent } from "../api/defaults.ts";
import { childLabels, childName } from "../api/names.ts";
import type { RestoreSourceS3 } from "../api/schema/restore-source-s3.ts";
import type { KubeObject } from "../kube/types.ts";
import { AWS_CLI_IMAGE, BACKUP_DIR, dumpOf, s3Target } from "./backup.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { ROLE_LABEL } from "./datastores/statefulset.ts";
import { childMeta } from "./meta.ts";
import { containerSecurityContext, podSecurityContext } from "./pod.ts";
import { BACKUP_NAME_ENV, RESTORE_REFUSED_EXIT, restoreScript } from "./restore-scripts.ts";

export const RESTORE_ROLE = "restore";
const RESOURCES = { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } };

interface Source {
  architecture: string;
  /** Set when the source is in another namespace (then `s3` is set too: validate). */
  namespace?: string;
  component: string;
  backup: string;
  /** The source's bucket and a Secret of this namespace that reads it. */
  s3?: RestoreSourceS3;
}

function sourceOf(ctx: RenderContext, c: ResolvedComponent): Source | undefined {
  const from = c.restore?.from;
  if (!from) return undefined;
  return {
    architecture: from.architecture ?? ctx.arch.name,
    ...(from.namespace && from.namespace !== ctx.arch.namespace
      ? { namespace: from.namespace }
      : {}),
    component: from.component,
    backup: from.backup ?? "latest",
    ...(from.s3 ? { s3: from.s3 } : {}),
  };
}

/** `ns/arch/component` or `arch/component`, for messages. */
export function sourceLabel(src: { namespace?: string; architecture: string; component: string }) {
  return `${src.namespace ? `${src.namespace}/` : ""}${src.architecture}/${src.component}`;
}

/**
 * The latest backup of this Architecture's `c` from its S3 target, as the
 * restore drill reads it: the same download init container a restore uses.
 */
export function latestFromS3(
  ctx: RenderContext,
  c: ResolvedComponent,
): { volumes: Record<string, unknown>[]; init: Record<string, unknown>[] } {
  return backupsAt(ctx, c, { architecture: ctx.arch.name, component: c.name, backup: "latest" });
}

/** The volumes and init containers that put the source's backups at /backups. */
function backupsAt(
  ctx: RenderContext,
  c: ResolvedComponent,
  src: Source,
): { volumes: Record<string, unknown>[]; init: Record<string, unknown>[] } {
  const own = src.architecture === ctx.arch.name && !src.namespace;
  const b = own ? ctx.arch.backups.find((x) => x.component === src.component) : undefined;
  const source = own ? ctx.component(src.component) : undefined;
  // The source's files carry the engine's extension: the same engine as the target's (validate).
  const ext = dumpOf(ctx, c)?.ext;
  // The restore's own s3 (another Architecture or namespace), else the source backup's target.
  const s3 = src.s3 ?? (source && b?.s3 ? b.s3 : undefined);
  if (!s3 || !ext)
    return {
      volumes: [
        {
          name: "backups",
          persistentVolumeClaim: {
            claimName: childName(src.architecture, src.component, "backups"),
            readOnly: true,
          },
        },
      ],
      init: [],
    };
  const t = s3Target({ name: src.component }, { s3 }, ext);
  const prefix = (s3.prefix ?? "").replace(/^\/+|\/+$/g, "");
  // For messages inside double quotes: nothing the shell would expand.
  const from = `s3://${s3.bucket}/${prefix ? `${prefix}/` : ""}${src.component}-*`.replace(
    /[^A-Za-z0-9._/*:-]/g,
    "?",
  );
  const lastError = "$(tail -n 1 /tmp/s3-error)";
  const refuse = (why: string) =>
    `{ why="restore refused: ${why}"; echo "$why" >&2; echo "$why" > /dev/termination-log 2>/dev/null || true; exit ${RESTORE_REFUSED_EXIT}; }`;
  const cannotRead = `cannot read ${from} with the credentials in Secret '${s3.credentialsSecret}': ${lastError}`;
  const script = [
    "set -eu",
    t.region,
    `want="\${${BACKUP_NAME_ENV}:-latest}"`,
    // Listing first: an unreadable bucket (wrong or missing credentials) is said as such.
    `keys=\`aws s3api list-objects-v2 --bucket ${t.bucket} --prefix ${t.keyPrefix} --query 'Contents[].Key' --output text ${t.o} 2>/tmp/s3-error\` || ${refuse(cannotRead)}`,
    'if [ "$want" = latest ]; then',
    `  want=\`printf '%s\\n' "$keys" | tr '\\t' '\\n' | grep -E ${t.backups} | sort -r | head -n 1\``,
    `  [ -n "$want" ] || ${refuse(`no backup of '${sourceLabel(src)}' in ${from}`)}`,
    '  want="${want##*/}"',
    "fi",
    `aws s3 cp ${t.dest}"$want" ${BACKUP_DIR}/"$want" ${t.o} 2>/tmp/s3-error || ${refuse(`backup '$want' of '${sourceLabel(src)}' cannot be read from ${from}: ${lastError}`)}`,
    `aws s3 cp ${t.dest}"$want.sha256" ${BACKUP_DIR}/"$want.sha256" ${t.o} || true`,
    "",
  ].join("\n");
  return {
    volumes: [
      { name: "backups", emptyDir: {} },
      { name: "download-tmp", emptyDir: {} },
    ],
    init: [
      {
        name: "download",
        image: AWS_CLI_IMAGE,
        command: ["sh", "-c", script],
        envFrom: [{ secretRef: { name: s3.credentialsSecret } }],
        env: [
          { name: "HOME", value: "/tmp" },
          { name: BACKUP_NAME_ENV, value: src.backup },
        ],
        resources: RESOURCES,
        securityContext: containerSecurityContext(true),
        volumeMounts: [
          { name: "backups", mountPath: BACKUP_DIR },
          { name: "download-tmp", mountPath: "/tmp" },
        ],
      },
    ],
  };
}

/** The restore container: the engine's image, the target's credentials, the script. */
function restoreContainer(
  ctx: RenderContext,
  c: ResolvedComponent,
  src: Source,
  extraMounts: Record<string, unknown>[] = [],
): Record<string, unknown> | undefined {
  const dump = dumpOf(ctx, c);
  const script = restoreScript(ctx, c, src.component);
  if (!dump || !script) return undefined;
  return {
    name: "restore",
    image: c.image,
    command: ["sh", "-c", script],
    env: [...dump.env, { name: BACKUP_NAME_ENV, value: src.backup }],
    resources: RESOURCES,
    securityContext: containerSecurityContext(true),
    volumeMounts: [
      { name: "backups", mountPath: BACKUP_DIR, readOnly: true },
      ...(dump.tmp || c.type === "mysql" ? [{ name: "restore-tmp", mountPath: "/tmp" }] : []),
      ...extraMounts,
    ],
  };
}

/** Redis: init containers and volumes its StatefulSet gets when it restores (none otherwise). */
export function redisRestoreInit(
  ctx: RenderContext,
  c: ResolvedComponent,
  dataVolume: string,
): { initContainers: Record<string, unknown>[]; volumes: Record<string, unknown>[] } {
  const src = sourceOf(ctx, c);
  const container =
    src && restoreContainer(ctx, c, src, [{ name: dataVolume, mountPath: "/data" }]);
  if (!src || !container) return { initContainers: [], volumes: [] };
  const at = backupsAt(ctx, c, src);
  return { initContainers: [...at.init, container], volumes: at.volumes };
}

export const renderRestores: ConcernRenderer = (ctx) => {
  const objects: KubeObject[] = [];
  for (const c of ctx.arch.components) {
    const src = sourceOf(ctx, c);
    if (!src || c.type === "redis") continue;
    const container = restoreContainer(ctx, c, src);
    const dump = dumpOf(ctx, c);
    if (!container || !dump) continue;
    const at = backupsAt(ctx, c, src);
    const labels = { ...childLabels(ctx.arch.name, c.name), [ROLE_LABEL]: RESTORE_ROLE };
    objects.push({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        ...childMeta(ctx, c.name, "restore", { [ROLE_LABEL]: RESTORE_ROLE }),
        annotations: {
          "archctl.io/restore-from": `${sourceLabel(src)}/${src.backup}`,
        },
      },
      spec: {
        // Retries while the server comes up; a refusal (exit 3) fails the Job at once.
        backoffLimit: 10,
        podFailurePolicy: {
          rules: ["restore", ...(at.init.length ? ["download"] : [])].map((containerName) => ({
            action: "FailJob",
            onExitCodes: { containerName, operator: "In", values: [RESTORE_REFUSED_EXIT] },
          })),
        },
        activeDeadlineSeconds: 6 * 3600,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(dump.uid),
            ...(at.init.length ? { initContainers: at.init } : {}),
            containers: [container],
            volumes: [...at.volumes, { name: "restore-tmp", emptyDir: {} }],
          },
        },
      },
    });
  }
  return { objects };
};

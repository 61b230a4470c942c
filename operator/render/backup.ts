// Scheduled backups of datastores: a CronJob per spec.backups entry that dumps
// with the datastore's own client tools, keeps the newest `retention` files and,
// for an S3 target, uploads them with the AWS CLI. Credentials reach the pods
// only as Secret references.
import type { ResolvedBackup, ResolvedComponent } from "../api/defaults.ts";
import { childLabels, childName } from "../api/names.ts";
import { primaryOrdinal } from "../api/primary.ts";
import type { KubeObject } from "../kube/types.ts";
import { serviceHost } from "./connection.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { MONGODB_UID } from "./datastores/mongodb.ts";
import { replicaSetHosts } from "./datastores/mongodb-replication.ts";
import { MYSQL_UID } from "./datastores/mysql.ts";
import { POSTGRES_UID } from "./datastores/postgres.ts";
import { REDIS_UID } from "./datastores/redis.ts";
import { ROLE_LABEL, replicaHost, secretEnv } from "./datastores/statefulset.ts";
import { childMeta } from "./meta.ts";
import { containerSecurityContext, podSecurityContext } from "./pod.ts";
import type { RenderNotice } from "./types.ts";

export const BACKUP_ROLE = "backup";
/** The AWS CLI that uploads to S3-compatible storage. */
export const AWS_CLI_IMAGE = "amazon/aws-cli:2.22.0";
export const BACKUP_DIR = "/backups";
/** The schemas a MySQL backup leaves out: the server's own. */
export const MYSQL_USER_DATABASES =
  "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys')";

export type Dump = {
  uid: number;
  /** File name extension of one backup. */
  ext: string;
  env: Record<string, unknown>[];
  /** Shell lines that write the dump to "$out". */
  lines: string[];
  /** Whether the tool needs a writable /tmp. */
  tmp?: boolean;
};

/** Single-quotes a value for sh. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/**
 * Where a backup dumps from: with replicas, the member after the primary (a
 * replica: the dump's load and long transaction stay off the primary; a
 * failover's annotation moves it with the primary); otherwise the Service.
 */
export function backupHost(ctx: RenderContext, c: ResolvedComponent): string {
  if ((c.type === "postgres" || c.type === "mysql") && c.replicas > 1) {
    const primary = primaryOrdinal(ctx.arch.primaries, c.name, c.replicas);
    return replicaHost(ctx, c.name, (primary + 1) % c.replicas);
  }
  return serviceHost(ctx, c.name);
}

export function dumpOf(ctx: RenderContext, c: ResolvedComponent): Dump | undefined {
  const host = backupHost(ctx, c);
  const port = c.port;
  const replicated = c.replicas > 1;
  switch (c.type) {
    case "mysql":
      return {
        uid: MYSQL_UID,
        ext: "sql",
        env: [secretEnv(ctx, c.name, "MYSQL_PWD", "root-password")],
        // The application databases, not the system schema: a restore into another
        // Architecture keeps that one's own users and passwords.
        lines: [
          `dbs=\`mysql --host=${host} --port=${port} --user=root --batch --skip-column-names --execute=${shellQuote(MYSQL_USER_DATABASES)}\``,
          // With replicas GTIDs are on: the dump must not carry GTID_PURGED, which
          // a restore into a server with its own transactions would refuse.
          `mysqldump --host=${host} --port=${port} --user=root --single-transaction --routines${replicated ? " --set-gtid-purged=OFF" : ""} --databases $dbs --result-file="$out"`,
        ],
      };
    case "postgres":
      return {
        uid: POSTGRES_UID,
        ext: "dump",
        env: [
          secretEnv(ctx, c.name, "PGDATABASE", "database"),
          secretEnv(ctx, c.name, "PGPASSWORD", "password"),
          secretEnv(ctx, c.name, "PGUSER", "username"),
        ],
        lines: [`pg_dump --host=${host} --port=${port} -Fc --file="$out"`],
      };
    case "mongodb":
      return {
        uid: MONGODB_UID,
        ext: "archive.gz",
        env: [
          secretEnv(ctx, c.name, "MONGO_PASSWORD", "password"),
          secretEnv(ctx, c.name, "MONGO_USERNAME", "username"),
        ],
        // The password goes through a config file, not the command line.
        lines: [
          `pw=\`printf '%s' "$MONGO_PASSWORD" | sed "s/'/''/g"\``,
          `printf "password: '%s'\\n" "$pw" > /tmp/mongodump.yaml`,
          // A replica set: every member, read from a secondary when one is up.
          replicated
            ? `mongodump --config=/tmp/mongodump.yaml --host=${c.name}/${replicaSetHosts(ctx, c.name, c.replicas, port ?? 27017).join(",")} --readPreference=secondaryPreferred --username="$MONGO_USERNAME" --authenticationDatabase=admin --archive="$out" --gzip`
            : `mongodump --config=/tmp/mongodump.yaml --host=${host} --port=${port} --username="$MONGO_USERNAME" --authenticationDatabase=admin --archive="$out" --gzip`,
          "rm -f /tmp/mongodump.yaml",
        ],
        tmp: true,
      };
    case "redis":
      return {
        uid: REDIS_UID,
        ext: "rdb",
        env: [secretEnv(ctx, c.name, "REDISCLI_AUTH", "password")],
        lines: [`redis-cli -h ${host} -p ${port} --rdb "$out"`],
      };
    default:
      return undefined;
  }
}

/** Deletes all but the newest `keep` lines of a list read from stdin (names sort by time). */
export function pruneOlder(keep: number, remove: string): string {
  return `sort -r | tail -n +${keep + 1} | while read -r old; do ${remove}; done`;
}

/**
 * What every backup records, whatever the engine and target: a `<file>.sha256`
 * next to it (sha256sum's own format, so `sha256sum -c` checks it) and one line
 * `{"file","time","size","sha256"}` in the container's termination message,
 * which Kubernetes keeps in the pod's status: `archctl backup run` reads it from
 * there, no log access needed. The checksum is written before the file gets its
 * final name, so a backup is never seen without it.
 */
export const RECORD_LINES = [
  "sha=`sha256sum \"$out\" | cut -d' ' -f1`",
  "size=`wc -c < \"$out\" | tr -d ' '`",
  `printf '%s  %s\\n' "$sha" "\${file##*/}" > "$file.sha256"`,
  'mv "$out" "$file"',
  `record=\`printf '{"file":"%s","time":"%s","size":%s,"sha256":"%s"}' "\${file##*/}" "$ts" "$size" "$sha"\``,
  `printf '%s\\n' "$record" > /dev/termination-log 2>/dev/null || true`,
  'echo "backup written: $file ($size bytes, sha256 $sha)"',
  'echo "archctl-backup: $record"',
];

/** The dump script: a timestamped file, written under a temporary name, then pruned on a volume. */
export function dumpScript(
  ctx: RenderContext,
  c: ResolvedComponent,
  b: ResolvedBackup,
): string | undefined {
  const dump = dumpOf(ctx, c);
  if (!dump) return undefined;
  const prefix = `${BACKUP_DIR}/${c.name}-`;
  const lines = [
    "set -eu",
    "ts=`date -u +%Y%m%dT%H%M%SZ`",
    `file=${prefix}$ts.${dump.ext}`,
    'out="$file.partial"',
    ...dump.lines,
    ...RECORD_LINES,
  ];
  if (b.pvc)
    lines.push(
      `ls -1 ${prefix}*.${dump.ext} | ${pruneOlder(b.retention, 'rm -f -- "$old" "$old.sha256"')}`,
    );
  return `${lines.join("\n")}\n`;
}

/** The shell pieces every script on an S3 target uses: options, bucket, key prefix. */
export function s3Target(
  c: Pick<ResolvedComponent, "name">,
  b: Pick<ResolvedBackup, "s3">,
  ext: string,
) {
  const s3 = b.s3 as NonNullable<ResolvedBackup["s3"]>;
  const prefix = (s3.prefix ?? "").replace(/^\/+|\/+$/g, "");
  const keyPrefix = `${prefix ? `${prefix}/` : ""}${c.name}-`;
  const opts = [`--region "$region"`];
  if (s3.endpoint) opts.push(`--endpoint-url ${shellQuote(s3.endpoint)}`);
  const backupKeys = `^${keyPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[0-9]{8}T[0-9]{6}Z[.]${ext.replace(/\./g, "[.]")}`;
  return {
    region: 'region="${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}"',
    o: opts.join(" "),
    bucket: shellQuote(s3.bucket),
    root: shellQuote(`s3://${s3.bucket}/`),
    dest: shellQuote(`s3://${s3.bucket}/${prefix ? `${prefix}/` : ""}`),
    keyPrefix: shellQuote(keyPrefix),
    /** grep -E pattern of this component's backups (not their checksums), alone on a line. */
    backups: shellQuote(`${backupKeys}$`),
    /** The same, followed by more columns (list-objects-v2 --output text of [Key,Size]). */
    backupsWithColumns: shellQuote(`${backupKeys}[[:space:]]`),
  };
}

/** The upload script of an S3 target: copy the new file, then keep the newest `retention`. */
export function uploadScript(
  c: ResolvedComponent,
  b: ResolvedBackup,
  ext: string,
): string | undefined {
  if (!b.s3) return undefined;
  const t = s3Target(c, b, ext);
  const lines = [
    "set -eu",
    t.region,
    `for f in ${BACKUP_DIR}/${c.name}-*; do aws s3 cp "$f" ${t.dest}"\${f##*/}" ${t.o}; done`,
    `aws s3api list-objects-v2 --bucket ${t.bucket} --prefix ${t.keyPrefix} --query 'Contents[].Key' --output text ${t.o} | tr '\\t' '\\n' | grep -E ${t.backups} | ${pruneOlder(b.retention, `aws s3 rm ${t.root}"$old" ${t.o} && aws s3 rm ${t.root}"$old.sha256" ${t.o}`)}`,
  ];
  return `${lines.join("\n")}\n`;
}

function backupObjects(ctx: RenderContext, c: ResolvedComponent, b: ResolvedBackup): KubeObject[] {
  const dump = dumpOf(ctx, c) as Dump;
  const script = dumpScript(ctx, c, b) as string;
  const upload = uploadScript(c, b, dump.ext);
  const objects: KubeObject[] = [];
  const roleLabels = { [ROLE_LABEL]: BACKUP_ROLE };
  const volumes: Record<string, unknown>[] = [];
  const resources = { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } };

  if (b.pvc) {
    const meta = childMeta(ctx, c.name, "backups", roleLabels);
    // Backups outlive the Architecture unless its deletionPolicy says otherwise.
    if (ctx.arch.deletionPolicy === "Retain") delete meta.ownerReferences;
    const spec: Record<string, unknown> = {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: String(b.pvc.size) } },
    };
    if (b.pvc.storageClassName) spec.storageClassName = b.pvc.storageClassName;
    objects.push({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta, spec });
    volumes.push({ name: "backups", persistentVolumeClaim: { claimName: meta.name } });
  } else {
    volumes.push({ name: "backups", emptyDir: {} });
  }
  if (dump.tmp || upload) volumes.push({ name: "tmp", emptyDir: {} });

  const dumpContainer: Record<string, unknown> = {
    name: "dump",
    image: c.image,
    command: ["sh", "-c", script],
    env: dump.env,
    resources,
    securityContext: containerSecurityContext(true),
    volumeMounts: [
      { name: "backups", mountPath: BACKUP_DIR },
      ...(dump.tmp ? [{ name: "tmp", mountPath: "/tmp" }] : []),
    ],
  };
  const podSpec: Record<string, unknown> = {
    restartPolicy: "Never",
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(dump.uid),
  };
  if (upload && b.s3) {
    podSpec.initContainers = [dumpContainer];
    podSpec.containers = [
      {
        name: "upload",
        image: AWS_CLI_IMAGE,
        command: ["sh", "-c", upload],
        envFrom: [{ secretRef: { name: b.s3.credentialsSecret } }],
        env: [{ name: "HOME", value: "/tmp" }],
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
        securityContext: containerSecurityContext(true),
        volumeMounts: [
          { name: "backups", mountPath: BACKUP_DIR, readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ];
  } else {
    podSpec.containers = [dumpContainer];
  }
  podSpec.volumes = volumes;

  objects.push({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: childMeta(ctx, c.name, "backup", roleLabels),
    spec: {
      schedule: b.schedule,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: { ...childLabels(ctx.arch.name, c.name), ...roleLabels } },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 6 * 3600,
          template: {
            metadata: { labels: { ...childLabels(ctx.arch.name, c.name), ...roleLabels } },
            spec: podSpec,
          },
        },
      },
    },
  });
  return objects;
}

export const renderBackups: ConcernRenderer = (ctx) => {
  const objects: KubeObject[] = [];
  const notices: RenderNotice[] = [];
  for (const b of ctx.arch.backups) {
    const c = ctx.component(b.component);
    if (!c) {
      notices.push({
        component: b.component,
        reason: "BackupComponentMissing",
        message: `backup names '${b.component}', which is not a component`,
      });
      continue;
    }
    if (!dumpOf(ctx, c)) {
      notices.push({
        component: c.name,
        reason: "BackupUnsupported",
        message: `backups of ${c.type} components are not supported (mysql, postgres, mongodb and redis are); ${childName(ctx.arch.name, c.name, "backup")} is not created`,
      });
      continue;
    }
    objects.push(...backupObjects(ctx, c, b));
  }
  return { objects, notices };
};

// Restores: a datastore may start from a backup of a component of the same
// engine. What can be checked without the cluster is checked here: the engine,
// the source (in this Architecture), the backup's file name, and that a source
// in another namespace is read from S3.
import type { Architecture } from "../schema.ts";
import { error, type Issue, type SpecIndex } from "./issue.ts";

/** The file extension of each engine's backups (backup.ts). */
export const BACKUP_EXT: Record<string, string> = {
  postgres: "dump",
  mysql: "sql",
  mongodb: "archive.gz",
  redis: "rdb",
};

/** Why a datastore type has no backup (said by validate and in the README). */
export const NO_BACKUP_REASON: Record<string, string> = {
  kafka:
    "Kafka keeps its data as a replicated log; archctl makes no backup of it (topics are declared in the blueprint; replay or mirror the data with MirrorMaker 2)",
  rabbitmq:
    "RabbitMQ holds messages in flight, not records: its exchanges come from the blueprint and are declared again at start, so there is nothing to back up",
  milvus:
    "Milvus keeps vectors in its MinIO bucket and metadata in etcd; archctl makes no backup of them (rebuild the collection from its source data, or use milvus-backup)",
};

export function checkRestores(arch: Architecture, index: SpecIndex): Issue[] {
  const issues: Issue[] = [];
  const own = arch.metadata.name;
  for (const [i, c] of arch.spec.components.entries()) {
    if (!c.restore) continue;
    const at = ["spec", "components", i, "restore"];
    const ext = BACKUP_EXT[c.type];
    if (!ext) {
      const why = NO_BACKUP_REASON[c.type] ?? `a ${c.type} has no data of its own`;
      issues.push(
        error(at, `'${c.name}' is a ${c.type}, which cannot be restored: ${why}`, "remove restore"),
      );
      continue;
    }
    const from = c.restore.from;
    const name = from.backup ?? "latest";
    if (name !== "latest") {
      if (!name.startsWith(`${from.component}-`))
        issues.push(
          error(
            [...at, "from", "backup"],
            `backup '${name}' is not one of '${from.component}' (its backups are named ${from.component}-<time>.${ext})`,
            "name one from `archctl backup list`, or use latest",
          ),
        );
      else if (!name.endsWith(`.${ext}`))
        issues.push(
          error(
            [...at, "from", "backup"],
            `backup '${name}' is not a ${c.type} backup (those end in .${ext})`,
            "restore a backup of the same engine",
          ),
        );
    }
    const sameArch =
      (from.architecture ?? own) === own &&
      (from.namespace === undefined || from.namespace === arch.metadata.namespace);
    // A PVC is mounted only in its own namespace; S3 is read with a Secret of this one.
    if (from.namespace !== undefined && from.namespace !== arch.metadata.namespace && !from.s3)
      issues.push(
        error(
          [...at, "from", "namespace"],
          `backups on a PVC cannot be read from another namespace (a pod mounts only claims of its own), so '${from.namespace}' is read only from S3`,
          "add restore.from.s3 (the source's bucket, prefix, endpoint and a credentialsSecret in this namespace; `archctl restore --from NAMESPACE/ARCHITECTURE/COMPONENT` fills it in), or restore from an Architecture in this namespace",
        ),
      );
    if (!sameArch) continue;
    const source = index.byName.get(from.component);
    if (!source) {
      issues.push(
        error(
          [...at, "from", "component"],
          `'${from.component}' is not a component of ${own}`,
          "name the backed-up component",
        ),
      );
      continue;
    }
    if (source.type !== c.type)
      issues.push(
        error(
          [...at, "from", "component"],
          `'${from.component}' is a ${source.type}; '${c.name}' is a ${c.type}: a backup restores only into the same engine`,
          "restore from a component of the same type",
        ),
      );
    else if (!(arch.spec.backups ?? []).some((b) => b.component === from.component))
      issues.push(
        error(
          [...at, "from", "component"],
          `'${from.component}' has no backups (no spec.backups entry names it)`,
          `add {component: ${from.component}, schedule: ...} to spec.backups`,
        ),
      );
    else if (from.component === c.name)
      issues.push(
        error(
          [...at, "from", "component"],
          `'${c.name}' cannot be restored from its own backups here: restore into a new component`,
          "name another component, or another Architecture",
        ),
      );
  }
  return issues;
}

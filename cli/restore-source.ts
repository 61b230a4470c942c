// `archctl restore --from [[NAMESPACE/]ARCHITECTURE/]COMPONENT[@BACKUP]`: what
// the CLI writes into restore.from. For another Architecture it reads the
// source (with the user's own RBAC: "where RBAC allows") and, when its backups
// are in S3, copies the bucket, prefix and endpoint into restore.from.s3 with a
// credentials Secret of the TARGET namespace (a pod mounts only Secrets of its
// own namespace). Backups on a PVC cannot cross namespaces. Pure: restore.ts
// does the reads.
import type { RestoreSourceS3 } from "../operator/api/schema/restore-source-s3.ts";
import { UserError } from "./context.ts";
import { ExitCode } from "./exit-codes.ts";

export interface RestoreFrom {
  namespace?: string;
  architecture?: string;
  component: string;
  backup?: string;
  s3?: RestoreSourceS3;
}

const FROM = /^(?:[a-z0-9][-a-z0-9]*\/){0,2}[a-z0-9][-a-z0-9]*(?:@[^@/\s]+)?$/;

/** `[[ns/]arch/]component[@backup]` -> restore.from (without s3). */
export function parseFrom(text: string): RestoreFrom {
  if (!FROM.test(text))
    throw new UserError(
      `--from '${text}' must be [[NAMESPACE/]ARCHITECTURE/]COMPONENT[@BACKUP], e.g. orders-db, shop/orders-db or prod/shop/orders-db@orders-db-20261203T031500Z.dump`,
    );
  const [path = "", backup] = text.split("@");
  const parts = path.split("/");
  const component = parts.pop() as string;
  const architecture = parts.pop();
  const namespace = parts.pop();
  return {
    ...(namespace ? { namespace } : {}),
    ...(architecture ? { architecture } : {}),
    component,
    ...(backup ? { backup } : {}),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a stored Architecture as plain JSON
type Json = any;

/**
 * restore.from for a source Architecture `source` (read from the cluster) of
 * a `targetType` component in `targetNamespace`: its S3 target with
 * `credentialsSecret` (default: the name the source uses), or a refusal that
 * says why and what to do.
 */
export function fromSourceArchitecture(
  from: RestoreFrom,
  source: Json,
  targetType: string,
  targetNamespace: string,
  credentialsSecret?: string,
): RestoreFrom {
  const ns = from.namespace ?? targetNamespace;
  const where = `${ns}/${source.metadata?.name ?? from.architecture}`;
  const comp = (source.spec?.components ?? []).find((c: Json) => c.name === from.component);
  if (!comp)
    throw new UserError(
      `${where} has no component '${from.component}' (it has ${(source.spec?.components ?? []).map((c: Json) => c.name).join(", ") || "none"})`,
      ExitCode.NOT_FOUND,
    );
  if (comp.type !== targetType)
    throw new UserError(
      `${where}/${from.component} is a ${comp.type}; the target is a ${targetType}: a backup restores only into the same engine`,
      ExitCode.INVALID,
    );
  const backup = (source.spec?.backups ?? []).find((b: Json) => b.component === from.component);
  if (!backup)
    throw new UserError(
      `${where} has no backups of '${from.component}' (no spec.backups entry names it)`,
      ExitCode.NOT_FOUND,
    );
  const crossNamespace = ns !== targetNamespace;
  if (!backup.s3) {
    if (crossNamespace)
      throw new UserError(
        `${where} keeps the backups of '${from.component}' on a PVC, which a pod in namespace ${targetNamespace} cannot mount: restore into an Architecture in ${ns}, or have ${where} back up to S3`,
        ExitCode.REFUSED,
      );
    if (credentialsSecret)
      throw new UserError(
        `--credentials-secret: ${where} keeps the backups of '${from.component}' on a PVC, not in S3; leave the flag out`,
        ExitCode.INVALID,
      );
    return from;
  }
  return {
    ...from,
    s3: {
      bucket: backup.s3.bucket,
      ...(backup.s3.endpoint ? { endpoint: backup.s3.endpoint } : {}),
      ...(backup.s3.prefix ? { prefix: backup.s3.prefix } : {}),
      credentialsSecret: credentialsSecret ?? backup.s3.credentialsSecret,
    },
  };
}

/** The refusal when the user may not read the source Architecture (403). */
export function sourceForbidden(from: RestoreFrom, targetNamespace: string): UserError {
  const ns = from.namespace ?? targetNamespace;
  return new UserError(
    `cannot read Architecture ${ns}/${from.architecture}: forbidden. A restore from it needs 'get' on architectures.archctl.io in namespace ${ns} (to find its S3 bucket); ask for it, or write restore.from.s3 (bucket, prefix, endpoint, credentialsSecret) in the blueprint yourself`,
    ExitCode.REFUSED,
  );
}

/** The refusal when the credentials Secret is not in the target namespace. */
export function secretMissing(name: string, targetNamespace: string): UserError {
  return new UserError(
    `Secret '${name}' not found in namespace ${targetNamespace}: the restore Job reads the bucket with it; create it there with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY that can read the bucket, or name another with --credentials-secret`,
    ExitCode.NOT_FOUND,
  );
}

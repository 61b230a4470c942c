// archctl restore ARCH COMPONENT --from [[NS/]ARCH/]COMPONENT[@BACKUP]: sets the
// component's spec.restore, so the operator starts it from that backup (a
// restore Job, or Redis' init container). Only for a component whose data
// volume does not exist yet: the restore itself also refuses a target that
// holds data, but a volume that exists is refused here, before anything changes.
// Another Architecture's backups: see restore-source.ts (S3 across namespaces).
import type { Command } from "commander";
import type { Connection } from "../cluster.ts";
import { contextOf, exitsWith, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import type { RestoreFrom } from "../restore-source.ts";

export { parseFrom } from "../restore-source.ts";

export function register(program: Command, deps: CliDeps): void {
  program
    .command("restore")
    .description("start a new or empty datastore component from a backup (sets its spec.restore)")
    .argument("<architecture>")
    .argument("<component>")
    .requiredOption(
      "--from <source>",
      "[[NAMESPACE/]ARCHITECTURE/]COMPONENT[@BACKUP] (default backup: latest)",
    )
    .option(
      "--credentials-secret <name>",
      "for backups in S3 of another Architecture: the Secret in this namespace that reads the bucket (default: the name the source uses)",
    )
    .addHelpText(
      "after",
      `
The component must be a mysql, postgres, mongodb or redis datastore whose data
volume does not exist yet (add it to the blueprint, apply, then restore; or
write restore: {from: ...} in the blueprint directly). Backup names are those
\`archctl backup list\` shows.

From another namespace only backups in S3 can be read (a PVC is mounted only in
its own namespace): archctl reads the source Architecture (you need 'get' on it
there) and writes its bucket into restore.from.s3, with a credentials Secret
that must exist in THIS namespace.

Examples:
  archctl restore shop orders-db-copy --from orders-db
  archctl restore shop-staging orders-db --from shop/orders-db@orders-db-20261203T031500Z.dump
  archctl restore shop -n staging orders-db --from prod/shop/orders-db --credentials-secret backup-reader`,
    )
    .action(
      exitsWith(
        async (
          arch: string,
          component: string,
          opts: { from: string; credentialsSecret?: string },
          cmd: Command,
        ) => {
          const ctx = contextOf(cmd, deps);
          const { parseFrom } = await import("../restore-source.ts");
          let from = parseFrom(opts.from);
          const c = await import("../cluster.ts");
          const { ARCHITECTURES, resourceFor } = await import("../../operator/kube/resources.ts");
          const { childName } = await import("../../operator/api/names.ts");
          const conn = await deps.connect(ctx.globals);
          const stored = await c.requireArch(conn, conn.namespace, arch);
          const components = (stored.spec.components ?? []) as { name: string; type: string }[];
          const i = components.findIndex((x) => x.name === component);
          if (i < 0)
            throw new UserError(
              `${arch} has no component '${component}' (it has ${components.map((x) => x.name).join(", ")}): add it to the blueprint first`,
              ExitCode.NOT_FOUND,
            );
          const pvcs = await c.kube(() =>
            conn.objects.list(
              resourceFor("v1", "PersistentVolumeClaim"),
              conn.namespace,
              `app.kubernetes.io/instance=${childName(arch, component)}`,
            ),
          );
          // Its data volumes only: the backup PVC carries the same instance label.
          const data = pvcs.items.filter((p) => p.metadata.name.startsWith("data-"));
          if (data.length)
            throw new UserError(
              `${component} already has a data volume (${data.map((p) => p.metadata.name).join(", ")}): a restore goes only into a new, empty component; add a new component and restore into it`,
              ExitCode.REFUSED,
            );
          if (from.namespace === conn.namespace) delete from.namespace;
          if (from.architecture === arch && !from.namespace) delete from.architecture;
          if (from.architecture) {
            const target = components[i] as { type: string };
            from = await readSource(conn, from, target.type, opts.credentialsSecret);
          } else if (opts.credentialsSecret)
            throw new UserError(
              `--credentials-secret is for backups in S3 of another Architecture; ${arch}'s own backups are read with their own Secret`,
            );
          try {
            await conn.objects.jsonPatch(ARCHITECTURES, conn.namespace, arch, [
              { op: "test", path: `/spec/components/${i}/name`, value: component },
              { op: "add", path: `/spec/components/${i}/restore`, value: { from } },
            ]);
          } catch (err) {
            const { KubeApiError } = await import("../../operator/kube/errors.ts");
            if (err instanceof KubeApiError && err.status === 422)
              throw new UserError(
                `${arch}: the API server refused restore on ${component}: ${err.message}`,
                ExitCode.REFUSED,
              );
            throw (await import("../kube-errors.ts")).connectionError(err);
          }
          ctx.out(
            `${arch}/${component} will be restored from ${from.namespace ? `${from.namespace}/` : ""}${from.architecture ?? arch}/${from.component}@${from.backup ?? "latest"}${from.s3 ? ` (s3://${from.s3.bucket}, read with Secret ${from.s3.credentialsSecret})` : ""}`,
          );
          ctx.info(`follow it with: archctl status ${arch} -w`);
          return ExitCode.OK;
        },
      ),
    );
}

/** restore.from with the source Architecture's S3 target, read with the user's RBAC; refusals explained. */
async function readSource(
  conn: Connection,
  from: RestoreFrom,
  targetType: string,
  credentialsSecret: string | undefined,
): Promise<RestoreFrom> {
  const { fromSourceArchitecture, sourceForbidden, secretMissing } = await import(
    "../restore-source.ts"
  );
  const { ARCHITECTURES, resourceFor } = await import("../../operator/kube/resources.ts");
  const { KubeApiError } = await import("../../operator/kube/errors.ts");
  const c = await import("../cluster.ts");
  const ns = from.namespace ?? conn.namespace;
  let source: unknown;
  try {
    source = await conn.objects.find(ARCHITECTURES, ns, from.architecture as string);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403)
      throw sourceForbidden(from, conn.namespace);
    throw (await import("../kube-errors.ts")).connectionError(err);
  }
  if (!source) throw c.notFound(from.architecture as string, ns);
  const resolved = fromSourceArchitecture(
    from,
    source,
    targetType,
    conn.namespace,
    credentialsSecret,
  );
  if (resolved.s3) {
    const secret = resolved.s3.credentialsSecret;
    try {
      if (!(await conn.objects.find(resourceFor("v1", "Secret"), conn.namespace, secret)))
        throw secretMissing(secret, conn.namespace);
    } catch (err) {
      // Not allowed to read Secrets here: the restore Job will say if it is missing.
      if (!(err instanceof KubeApiError && err.status === 403)) throw err;
    }
  }
  return resolved;
}

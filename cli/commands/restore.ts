// archctl restore ARCH COMPONENT --from [ARCH/]COMPONENT[@BACKUP]: sets the
// component's spec.restore, so the operator starts it from that backup (a
// restore Job, or Redis' init container). Only for a component whose data
// volume does not exist yet: the restore itself also refuses a target that
// holds data, but a volume that exists is refused here, before anything changes.
import type { Command } from "commander";
import { contextOf, exitsWith, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";

/** `[arch/]component[@backup]` -> restore.from. Pure. */
export function parseFrom(text: string): {
  architecture?: string;
  component: string;
  backup?: string;
} {
  const m = /^(?:([a-z0-9][-a-z0-9]*)\/)?([a-z0-9][-a-z0-9]*)(?:@([^@/\s]+))?$/.exec(text);
  if (!m)
    throw new UserError(
      `--from '${text}' must be [ARCHITECTURE/]COMPONENT[@BACKUP], e.g. shop/orders-db or orders-db@orders-db-20261203T031500Z.dump`,
    );
  return {
    ...(m[1] ? { architecture: m[1] } : {}),
    component: m[2] as string,
    ...(m[3] ? { backup: m[3] } : {}),
  };
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command("restore")
    .description("start a new or empty datastore component from a backup (sets its spec.restore)")
    .argument("<architecture>")
    .argument("<component>")
    .requiredOption("--from <source>", "[ARCHITECTURE/]COMPONENT[@BACKUP] (default backup: latest)")
    .addHelpText(
      "after",
      `
The component must be a mysql, postgres, mongodb or redis datastore whose data
volume does not exist yet (add it to the blueprint, apply, then restore; or
write restore: {from: ...} in the blueprint directly). Backup names are those
\`archctl backup list\` shows.

Examples:
  archctl restore shop orders-db-copy --from orders-db
  archctl restore shop-staging orders-db --from shop/orders-db@orders-db-20261203T031500Z.dump`,
    )
    .action(
      exitsWith(async (arch: string, component: string, opts: { from: string }, cmd: Command) => {
        const ctx = contextOf(cmd, deps);
        const from = parseFrom(opts.from);
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
          `${arch}/${component} will be restored from ${from.architecture ?? arch}/${from.component}@${from.backup ?? "latest"}`,
        );
        ctx.info(`follow it with: archctl status ${arch} -w`);
        return ExitCode.OK;
      }),
    );
}

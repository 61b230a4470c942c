// archctl uninstall: removes the operator and (unless --keep-crd) the CRD.
// Deleting the CRD deletes every Architecture with it, so it refuses while
// Architectures exist unless --force, which first deletes them while the
// operator still runs (their finalizers keep or delete data volumes by each
// Architecture's deletionPolicy), then the operator, then the CRD.
import type { Command } from "commander";
import { Option } from "commander";
import { DEFAULT_NAMESPACE } from "../../operator/install/manifests.ts";
import { contextOf, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import { connectionError } from "../kube-errors.ts";
import { timeoutMs as parseTimeout } from "./apply.ts";
import { splitList } from "./install.ts";

interface UninstallFlags {
  scope: string;
  keepCrd?: boolean;
  force?: boolean;
  watchNamespaces?: string;
  dryRun?: boolean;
  timeout: string;
}

/** "a/x, a/y, b/z" -> "3 Architectures (2 in a, 1 in b)". */
export function summarize(keys: string[]): string {
  const byNs = new Map<string, number>();
  for (const k of keys) {
    const ns = k.split("/")[0] ?? "";
    byNs.set(ns, (byNs.get(ns) ?? 0) + 1);
  }
  const where = [...byNs].map(([ns, n]) => `${n} in ${ns}`).join(", ");
  return `${keys.length} Architecture${keys.length === 1 ? "" : "s"} (${where})`;
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command("uninstall")
    .description("remove the archctl operator and, unless --keep-crd, the Architecture CRD")
    .addOption(
      new Option(
        "--scope <scope>",
        "as install --scope: namespace leaves cluster-wide RBAC alone (there is none)",
      )
        .choices(["cluster", "namespace"])
        .default("cluster"),
    )
    .option(
      "--keep-crd",
      "keep the CRD and every Architecture (they are reconciled again after a reinstall)",
    )
    .option(
      "--force",
      "delete every Architecture first (with its children; data volumes follow each deletionPolicy)",
    )
    .option(
      "--watch-namespaces <list>",
      "namespaces holding the operator's Roles (default: read from the installed Deployment)",
    )
    .option("--dry-run", "say what would be deleted; delete nothing")
    .option(
      "--timeout <duration>",
      "how long --force waits for the Architectures to go (e.g. 90s, 10m, 1h)",
      "2m",
    )
    .addHelpText(
      "after",
      `
The operator is looked for in -n/--namespace (default ${DEFAULT_NAMESPACE}). The
namespace itself is kept. Deleting the CRD deletes every Architecture, so
uninstall refuses while any exists unless --force (or --keep-crd).

Examples:
  archctl uninstall --keep-crd        remove the operator only
  archctl uninstall --dry-run
  archctl uninstall --force           remove Architectures, operator and CRD
  archctl uninstall -n team-ops --scope namespace --keep-crd   without cluster rights`,
    )
    .action(async (flags: UninstallFlags, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const namespace = ctx.globals.namespace ?? DEFAULT_NAMESPACE;
      const timeoutMs = parseTimeout(flags.timeout);
      const { KubeApiError } = await import("../../operator/kube/errors.ts");
      const { explainKubeError: describeKubeError } = await import("../kube-errors.ts");
      const inst = await import("../../operator/install/uninstaller.ts");
      const dry = flags.dryRun === true;
      const suffix = dry ? " (dry run)" : "";
      try {
        const { rest } = await deps.connect(ctx.globals);
        const watched = [
          ...new Set([
            ...(await inst.installedWatchNamespaces(rest, namespace)),
            ...splitList(flags.watchNamespaces),
          ]),
        ];
        const refs = inst.uninstallRefs(
          namespace,
          watched,
          flags.keepCrd === true,
          flags.scope === "namespace" ? "namespace" : "cluster",
        );
        // Refused cluster-scoped objects stop uninstall before anything is deleted.
        await inst.checkClusterScoped(rest, refs);
        if (!flags.keepCrd) {
          const archs = await inst.listArchitectures(rest).catch((err: unknown) => {
            if (err instanceof KubeApiError && err.status === 403)
              throw new UserError(
                `${describeKubeError(err)} Uninstall lists every Architecture before it deletes the CRD (deleting it deletes them all): without that right, keep the CRD with --keep-crd.`,
                ExitCode.REFUSED,
              );
            throw err;
          });
          if (archs.length && !flags.force)
            throw new UserError(
              `${summarize(archs)} still exist: deleting the CRD would delete them all, with every object they own. Delete them first (kubectl delete architectures --all -A, while the operator runs), keep them with --keep-crd, or pass --force to delete them now.`,
              ExitCode.FAILURE,
            );
          if (archs.length) {
            ctx.err(
              ctx.errStyle.yellow(
                `warning: deleting ${summarize(archs)}; data volumes are kept or deleted as each one's deletionPolicy says`,
              ),
            );
            await inst.deleteAllArchitectures(rest, timeoutMs, dry);
            ctx.info(`deleted ${archs.length} Architecture(s)${suffix}`);
          }
        }
        const results = await inst.deleteRefs(rest, refs, dry, (r) => {
          if (r.deleted) ctx.info(`${inst.describeRef(r.ref)}: deleted${suffix}`);
        });
        const n = results.filter((r) => r.deleted).length;
        if (n === 0) {
          ctx.info(`nothing to remove: archctl is not installed in namespace ${namespace}`);
          return;
        }
        ctx.info(
          `\narchctl ${dry ? "would be" : "is"} uninstalled from namespace ${namespace} (${n} objects)${flags.keepCrd ? "; the CRD and the Architectures are kept" : ""}. The namespace ${namespace} is kept: kubectl delete namespace ${namespace}`,
        );
      } catch (err) {
        if (err instanceof inst.ArchitecturesRemainError)
          throw new UserError(err.message, ExitCode.TIMEOUT);
        if (err instanceof inst.UninstallForbiddenError)
          throw new UserError(err.message, ExitCode.REFUSED);
        throw connectionError(err);
      }
    });
}

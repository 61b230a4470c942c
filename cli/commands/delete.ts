// archctl delete NAME: delete an Architecture, saying first which data volumes
// and credentials stay (deletionPolicy Retain, the default) or go.
import type { Command } from "commander";
import type { ObjectClient } from "../../operator/kube/objects.ts";
import { contextOf, exitsWith, UserError } from "../context.ts";
import type { CliDeps, InputStream, OutputStream } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import { timeoutMs } from "./apply.ts";

/** Asks for the name to be typed (on `input`, asking on `output`); true when it was. */
export async function confirmTyped(
  question: string,
  expected: string,
  io: { in: InputStream; err: OutputStream },
): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: io.in, output: io.err as NodeJS.WritableStream });
  try {
    const answer = await rl.question(question);
    return answer.trim() === expected;
  } finally {
    rl.close();
  }
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command("delete")
    .description(
      "delete an Architecture; its data volumes and credentials are kept unless --delete-data",
    )
    .argument("<name>", "the Architecture")
    .option("--wait", "wait until the Architecture is gone")
    .option("--timeout <duration>", "how long --wait waits", "5m")
    .option("--delete-data", "also delete its data volumes (sets spec.deletionPolicy=Delete first)")
    .option(
      "-y, --yes",
      "do not ask for confirmation (needed for --delete-data without a terminal)",
    )
    .addHelpText(
      "after",
      `
By default (deletionPolicy Retain) the PersistentVolumeClaims of datastores and
their credential Secrets outlive the Architecture: applying it again binds the
same volumes with the same passwords. --delete-data removes them too; it asks
you to type the name on a terminal, and needs --yes anywhere else.

Examples:
  archctl delete post --wait
  archctl delete post --delete-data --yes`,
    )
    .action(
      exitsWith(
        async (
          name: string,
          opts: { wait?: boolean; timeout: string; deleteData?: boolean; yes?: boolean },
          cmd: Command,
        ) => {
          const ctx = contextOf(cmd, deps);
          const wait = timeoutMs(opts.timeout);
          const tty = deps.io.in.isTTY === true && deps.io.err.isTTY === true;
          if (opts.deleteData && !opts.yes && !tty)
            throw new UserError(
              "--delete-data deletes data volumes: without a terminal to confirm on, add --yes",
            );
          const c = await import("../cluster.ts");
          const { ARCHITECTURES, resourceFor } = await import("../../operator/kube/resources.ts");
          const { ARCHITECTURE_LABEL } = await import("../../operator/api/names.ts");
          const conn = await deps.connect(ctx.globals);
          const ns = conn.namespace;
          const arch = await c.requireArch(conn, ns, name);
          const selector = `${ARCHITECTURE_LABEL}=${name}`;
          const pvcs = await c.kube(() =>
            conn.objects.list(resourceFor("v1", "PersistentVolumeClaim"), ns, selector),
          );
          const secrets = await c.kube(() =>
            conn.objects.list(resourceFor("v1", "Secret"), ns, selector),
          );
          const claimNames = pvcs.items.map((p) => p.metadata.name);
          const secretNames = secrets.items.map((s) => s.metadata.name);
          const policy = opts.deleteData
            ? "Delete"
            : ((arch.spec.deletionPolicy as string) ?? "Retain");

          if (opts.deleteData && !opts.yes) {
            ctx.err(
              ctx.errStyle.red(
                `This deletes ${name} and its data volumes${claimNames.length ? ` (${claimNames.join(", ")})` : ""}. The data cannot be recovered.`,
              ),
            );
            if (!(await confirmTyped(`Type the name (${name}) to confirm: `, name, deps.io)))
              throw new UserError("not confirmed: nothing was deleted", ExitCode.FAILURE);
          }
          const previousPolicy = arch.spec.deletionPolicy as string | undefined;
          const raisePolicy = opts.deleteData && previousPolicy !== "Delete";
          if (raisePolicy) {
            await c.kube(() =>
              conn.objects.mergePatch(ARCHITECTURES, ns, name, {
                spec: { deletionPolicy: "Delete" },
              }),
            );
          }
          let deleted: boolean;
          try {
            deleted = await c.kube(() =>
              conn.objects.delete(
                ARCHITECTURES,
                ns,
                name,
                arch.metadata.uid ? { uid: arch.metadata.uid } : {},
              ),
            );
          } catch (err) {
            // The delete did not happen: a later plain delete must not destroy
            // the volumes because of a policy this one set.
            if (raisePolicy) await restorePolicy(conn, ns, name, previousPolicy, ctx);
            throw err;
          }
          if (!deleted) throw c.notFound(name, ns);
          ctx.out(`architecture.archctl.io/${name} deleted`);
          if (policy === "Delete") {
            if (claimNames.length)
              ctx.info(
                `data volumes deleted with it (deletionPolicy Delete): ${claimNames.join(", ")}`,
              );
          } else if (claimNames.length || secretNames.length) {
            if (claimNames.length)
              ctx.info(`kept data volumes (deletionPolicy Retain): ${claimNames.join(", ")}`);
            if (secretNames.length) ctx.info(`kept credential Secrets: ${secretNames.join(", ")}`);
            ctx.info(
              `applying ${name} again reuses them; to remove them: kubectl delete pvc,secret -n ${ns} -l ${selector}`,
            );
          }
          if (!opts.wait) return ExitCode.OK;
          const { explainKubeError } = await import("../kube-errors.ts");
          const { waitFor } = await import("../wait.ts");
          const outcome = await waitFor(
            {
              get: () => c.getArch(conn, ns, name),
              now: deps.now,
              sleep: deps.sleep,
              isTransient: c.isTransient,
              describeError: explainKubeError,
            },
            {
              timeoutMs: wait,
              untilGone: true,
              onBlip: (m) => ctx.err(m),
            },
          );
          if (outcome.kind === "gone") {
            ctx.info(`${name} is gone`);
            return ExitCode.OK;
          }
          const finalizers =
            outcome.arch?.metadata && (outcome.arch as typeof arch).metadata.finalizers;
          ctx.err(
            `archctl: timed out after ${opts.timeout} waiting for ${name} to be deleted${
              finalizers?.length
                ? ` (finalizers ${finalizers.join(", ")} remain: the operator removes archctl.io/cleanup; is it running? archctl install or archctl operator run)`
                : ""
            }`,
          );
          return ExitCode.TIMEOUT;
        },
      ),
    );
}

/** Puts deletionPolicy back as it was before --delete-data raised it (absent stays absent). */
async function restorePolicy(
  conn: { objects: ObjectClient },
  ns: string,
  name: string,
  previous: string | undefined,
  ctx: { err(line: string): void },
): Promise<void> {
  const { ARCHITECTURES } = await import("../../operator/kube/resources.ts");
  try {
    await conn.objects.mergePatch(ARCHITECTURES, ns, name, {
      spec: { deletionPolicy: previous ?? null },
    });
  } catch {
    ctx.err(
      `archctl: warning: ${name} was not deleted, and its deletionPolicy could not be set back to ${previous ?? "its default (Retain)"}: run kubectl patch architecture ${name} -n ${ns} --type merge -p '{"spec":{"deletionPolicy":${previous ? `"${previous}"` : "null"}}}'`,
    );
  }
}

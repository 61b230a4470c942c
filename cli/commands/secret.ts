// archctl secret rotate ARCH NAME: a new value for a generated secret, drawn
// from the OS's CSPRNG, then a rolling restart of the components that read it.
// The value is never printed. The operator never rotates by itself: it creates
// a generated secret once and keeps it.
import type { Command } from "commander";
import { contextOf, exitsWith, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";

/** On a pod template: when `archctl secret rotate` restarted it (like kubectl rollout restart). */
export const RESTARTED_AT_ANNOTATION = "archctl.io/restartedAt";

export function register(program: Command, deps: CliDeps): void {
  const secret = program
    .command("secret")
    .description("application secrets of an Architecture (spec.secrets)")
    .addHelpText(
      "after",
      `
Examples:
  archctl secret rotate post jwt`,
    );
  secret
    .command("rotate")
    .description("give a generated secret a new value and restart the components that use it")
    .argument("<architecture>", "the Architecture")
    .argument("<name>", "the secret (an entry of spec.secrets with generate)")
    .addHelpText(
      "after",
      `
The new value comes from the OS's CSPRNG, as on creation, and is never shown.
Deployments of services, gateways and workers that read the secret restart
(rolling, no downtime beyond their own rollout); crons read it on their next run.
Secrets from fromSecret or an external store are rotated where they live.

Examples:
  archctl secret rotate post jwt
  archctl -n shop-prod secret rotate trading session-key`,
    )
    .action(
      exitsWith(async (archName: string, name: string, _opts: unknown, cmd: Command) => {
        const ctx = contextOf(cmd, deps);
        const c = await import("../cluster.ts");
        const { resourceFor } = await import("../../operator/kube/resources.ts");
        const { validateArchitecture } = await import("../../operator/api/validate.ts");
        const { planRotation } = await import("../secret-rotation.ts");
        const { generateSecretValue } = await import("../../operator/reconcile/generate-secret.ts");
        const conn = await deps.connect(ctx.globals);
        const ns = conn.namespace;
        const stored = await c.requireArch(conn, ns, archName);
        const { status: _status, ...rest } = stored as typeof stored & { status?: unknown };
        const valid = validateArchitecture({
          ...rest,
          metadata: { name: stored.metadata.name, namespace: ns },
        }).architecture;
        if (!valid)
          throw new UserError(
            `architecture ${archName} is invalid (see archctl get ${archName}): fix it first`,
            ExitCode.INVALID,
          );
        const rotation = planRotation(valid, name);
        if ("error" in rotation) throw new UserError(rotation.error, ExitCode.INVALID);
        const secrets = resourceFor("v1", "Secret");
        const live = await c.kube(() => conn.objects.find(secrets, ns, rotation.secret));
        if (!live)
          throw new UserError(
            `Secret ${rotation.secret} does not exist yet: the operator creates it on its first reconcile (is it running? archctl get ${archName})`,
            ExitCode.NOT_FOUND,
          );
        await c.kube(() =>
          conn.objects.mergePatch(secrets, ns, rotation.secret, {
            stringData: { value: generateSecretValue(rotation.generate) },
          }),
        );
        ctx.info(`rotated secret ${name}: Secret ${ns}/${rotation.secret} has a new value`);
        const deployments = resourceFor("apps/v1", "Deployment");
        const at = new Date(deps.now()).toISOString();
        for (const d of rotation.restart) {
          const found = await c.kube(() => conn.objects.find(deployments, ns, d));
          if (!found) {
            ctx.info(`Deployment ${d} does not exist yet: it will start with the new value`);
            continue;
          }
          await c.kube(() =>
            conn.objects.mergePatch(deployments, ns, d, {
              spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } },
            }),
          );
          ctx.info(`restarting Deployment ${d}`);
        }
        for (const component of rotation.later)
          ctx.info(`${component} reads the new value on its next run`);
        return ExitCode.OK;
      }),
    );
}

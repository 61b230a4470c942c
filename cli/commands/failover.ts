// archctl failover ARCH COMPONENT [--to POD] [--force]: a safe manual failover
// of a replicated PostgreSQL or MySQL (they have no automatic one; Redis has Sentinel,
// MongoDB, RabbitMQ and Kafka elect by themselves). The steps run in the
// members' containers through `kubectl exec`, with the same kubeconfig,
// context and namespace: exec needs a streaming connection archctl's own
// client does not speak.
import type { Command } from "commander";
import { contextOf, exitsWith, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";

export function register(program: Command, deps: CliDeps): void {
  program
    .command("failover")
    .description(
      "promote a PostgreSQL or MySQL replica: fence the primary, promote the most advanced replica, move the read-write Service",
    )
    .argument("<name>", "the Architecture")
    .argument("<component>", "a postgres or mysql component with replicas > 1")
    .option("--to <pod>", "the replica to promote (default: the most advanced caught-up one)")
    .option(
      "--force",
      "promote even when no replica is known to be caught up, or the primary cannot be reached (writes may be lost)",
    )
    .addHelpText(
      "after",
      `
Refused, with nothing changed, when no replica is caught up or the primary
cannot be reached, unless --force. Recorded as an Event on the Architecture;
the Architecture's status shows the new primary.

Examples:
  archctl failover trading ledger-db
  archctl failover trading ledger-db --to trading-ledger-db-2
  archctl failover post posts-db`,
    )
    .action(
      exitsWith(
        async (
          name: string,
          component: string,
          opts: { to?: string; force?: boolean },
          cmd: Command,
        ) => {
          const ctx = contextOf(cmd, deps);
          const c = await import("../cluster.ts");
          const { ARCHITECTURES, resourcePath } = await import("../../operator/kube/resources.ts");
          const { MERGE_PATCH } = await import("../../operator/kube/rest.ts");
          const { childName } = await import("../../operator/api/names.ts");
          const { primaryAnnotation, primaryOrdinal, primaryOrdinals } = await import(
            "../../operator/api/primary.ts"
          );
          const { runFailover, scriptCommand } = await import("../failover/run.ts");
          const { runMysqlFailover } = await import("../failover/run-mysql.ts");
          const { execFile } = await import("node:child_process");
          const conn = await deps.connect(ctx.globals);
          const ns = conn.namespace;
          const arch = await c.requireArch(conn, ns, name);
          const spec = arch.spec as {
            components?: { name: string; type: string; replicas?: number }[];
          };
          const comp = spec.components?.find((x) => x.name === component);
          if (!comp)
            throw new UserError(
              `Architecture ${name} has no component '${component}'; components: ${(spec.components ?? []).map((x) => x.name).join(", ")}`,
              ExitCode.NOT_FOUND,
            );
          const members = comp.replicas ?? 1;
          const engine = comp.type;
          if ((engine !== "postgres" && engine !== "mysql") || members < 2)
            throw new UserError(
              comp.type === "redis"
                ? `'${component}' is a redis: its Sentinels fail over by themselves`
                : engine !== "postgres" && engine !== "mysql"
                  ? `archctl failover promotes PostgreSQL and MySQL replicas; '${component}' is a ${comp.type}${comp.type === "mongodb" ? " (its replica set elects a primary by itself)" : ""}`
                  : `'${component}' has no replica to promote: set replicas to 2 or more`,
            );
          const annotations = (arch.metadata as { annotations?: Record<string, string> })
            .annotations;
          const ordinal = primaryOrdinal(primaryOrdinals(annotations), component, members);
          const archPath = resourcePath(ARCHITECTURES, ns, name);
          const kubectlBase = [
            ...(ctx.globals.kubeconfig ? ["--kubeconfig", ctx.globals.kubeconfig] : []),
            ...(ctx.globals.context ? ["--context", ctx.globals.context] : []),
            "--namespace",
            ns,
          ];
          const run = engine === "mysql" ? runMysqlFailover : runFailover;
          const outcome = await run(
            {
              exec: (pod, script, args) =>
                new Promise((resolve, reject) =>
                  execFile(
                    deps.env.KUBECTL ?? "kubectl",
                    [
                      ...kubectlBase,
                      "exec",
                      pod,
                      "-c",
                      engine,
                      "--",
                      ...scriptCommand(script, args),
                    ],
                    { timeout: 120_000 },
                    (err, stdout, stderr) =>
                      err ? reject(new Error(stderr.trim() || err.message)) : resolve(stdout),
                  ),
                ),
              movePrimary: async (o) => {
                await c.kube(() =>
                  conn.rest.request("PATCH", archPath, {
                    body: {
                      metadata: { annotations: { [primaryAnnotation(component)]: String(o) } },
                    },
                    contentType: MERGE_PATCH,
                  }),
                );
              },
              event: async (type, reason, note) => {
                const now = new Date(deps.now()).toISOString().replace("Z", "000Z");
                await conn.objects
                  .create(
                    {
                      apiVersion: "events.k8s.io/v1",
                      kind: "Event",
                      metadata: {
                        name: `${name}.failover-${deps.now().toString(36)}`,
                        namespace: ns,
                      },
                      eventTime: now,
                      reportingController: "archctl.io/cli",
                      reportingInstance: "archctl",
                      action: "Failover",
                      reason,
                      type,
                      note: `${component}: ${note}`.slice(0, 1024),
                      regarding: {
                        apiVersion: arch.apiVersion,
                        kind: arch.kind,
                        name,
                        namespace: ns,
                        uid: (arch.metadata as { uid?: string }).uid,
                      },
                    },
                    "archctl",
                  )
                  .catch(() => undefined);
              },
              sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
              now: () => deps.now(),
              log: (line) => ctx.err(line),
            },
            {
              statefulSet: childName(name, component),
              members,
              primaryOrdinal: ordinal,
              force: opts.force === true,
              ...(opts.to ? { to: opts.to } : {}),
            },
          );
          if (!outcome.done)
            throw new UserError(
              `failover of ${component} refused: ${outcome.reason} (${outcome.hint})${outcome.changed ? "" : "; nothing was changed"}`,
              ExitCode.FAILURE,
            );
          ctx.out(
            `${component}: ${outcome.promoted} is the primary (was ${outcome.previous}), in ${outcome.ms} ms${outcome.forced ? `; forced: ${outcome.forced}` : ""}`,
          );
          return ExitCode.OK;
        },
      ),
    );
}

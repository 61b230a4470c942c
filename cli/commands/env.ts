// archctl env create|list|destroy: ephemeral environments for CI. An
// environment NAME is the namespace archctl-env-NAME, labelled
// archctl.io/environment=NAME, holding one Architecture with the same label and
// a spec.ttl. When the TTL passes the operator deletes that namespace with
// everything in it, so a CI job that never calls back leaves nothing behind.
import type { Command } from "commander";
import { EPHEMERAL_NAMESPACE_LABEL } from "../../operator/api/names.ts";
import { contextOf, exitsWith, outputFormat, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import type { ArchView } from "../views/status.ts";
import { age, expires, phaseOf, readyText, table } from "../views/status.ts";
import { addWaitOptions, applyAndFollow, timeoutMs, ttlSet } from "./apply.ts";
import type { BlueprintFlags } from "./shared.ts";
import { blueprintOptions, loadArchitecture } from "./shared.ts";

/** The namespace and Architecture label of an environment (the operator deletes both when it expires). */
export const ENV_LABEL = EPHEMERAL_NAMESPACE_LABEL;
export const ENV_PREFIX = "archctl-env-";

/** The namespace of environment `name`, or exit 2 when the name cannot make one. */
export function envNamespace(name: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63 - ENV_PREFIX.length)
    throw new UserError(
      `environment name '${name}' must be lowercase letters, digits and '-', at most ${63 - ENV_PREFIX.length} characters (it becomes the namespace ${ENV_PREFIX}<name>)`,
    );
  return `${ENV_PREFIX}${name}`;
}

interface NamespaceObj {
  [field: string]: unknown;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  status?: { phase?: string };
}

export interface EnvRow {
  namespace: NamespaceObj;
  architectures: ArchView[];
}

/** `env list` table: NAME NAMESPACE ARCHITECTURE PHASE READY EXPIRES AGE. Pure. */
export function envTable(rows: EnvRow[], now: Date): string[] {
  const out: string[][] = [
    ["NAME", "NAMESPACE", "ARCHITECTURE", "PHASE", "READY", "EXPIRES", "AGE"],
  ];
  for (const r of rows) {
    const env = r.namespace.metadata.labels?.[ENV_LABEL] ?? "?";
    const terminating =
      r.namespace.metadata.deletionTimestamp || r.namespace.status?.phase === "Terminating";
    const archs = r.architectures.length ? r.architectures : [undefined];
    for (const a of archs)
      out.push([
        env,
        r.namespace.metadata.name,
        a?.metadata.name ?? "-",
        terminating ? "Terminating" : a ? phaseOf(a) : "-",
        a ? readyText(a) : "-",
        a ? expires(a, now) : "-",
        age(r.namespace.metadata.creationTimestamp, now),
      ]);
  }
  return table(out);
}

export function register(program: Command, deps: CliDeps): void {
  const env = program
    .command("env")
    .description(
      "ephemeral environments for CI: a namespace and an Architecture that expire together",
    )
    .addHelpText(
      "after",
      `
Environment NAME is the namespace ${ENV_PREFIX}NAME, labelled ${ENV_LABEL}=NAME,
with one Architecture whose ttl deletes the whole namespace when it passes.

Examples:
  archctl env create pr-1234 -f post.yaml --env dev --ttl 2h --wait
  archctl env list
  archctl env destroy pr-1234 --wait`,
    );

  addWaitOptions(
    blueprintOptions(
      env
        .command("create")
        .description(
          `create environment NAME: namespace ${ENV_PREFIX}NAME with the blueprint applied, deleted when --ttl passes`,
        )
        .argument("<name>", "environment name (e.g. pr-1234)"),
    ),
  )
    .requiredOption(
      "--ttl <duration>",
      "delete the whole environment this long after creation (e.g. 2h)",
    )
    .addHelpText(
      "after",
      `
The namespace ${ENV_PREFIX}NAME is labelled ${ENV_LABEL}=NAME and the
Architecture gets the same label and spec.ttl. When the TTL passes, the
operator deletes the namespace and everything in it, even if CI never runs
archctl env destroy. Running create again updates the environment (the TTL
still counts from its first creation). -n is ignored: the environment is its
own namespace.

Examples:
  archctl env create pr-1234 -f post.yaml --env dev --ttl 2h --wait
  archctl env list
  archctl env destroy pr-1234`,
    )
    .action(
      exitsWith(
        async (
          name: string,
          opts: BlueprintFlags & { ttl: string; wait?: boolean; timeout: string },
          cmd: Command,
        ) => {
          const ctx = contextOf(cmd, deps);
          const ns = envNamespace(name);
          const wait = timeoutMs(opts.timeout);
          const set = [...(opts.set ?? []), ...ttlSet(opts.ttl)];
          const { architecture } = await loadArchitecture(
            { ...ctx, globals: { ...ctx.globals, namespace: ns } },
            { ...opts, set },
            "env create",
          );
          architecture.metadata.namespace = ns;
          architecture.metadata.labels = { ...architecture.metadata.labels, [ENV_LABEL]: name };
          const c = await import("../cluster.ts");
          const { NAMESPACES } = await import("../../operator/kube/resources.ts");
          const conn = await deps.connect(ctx.globals);
          await c.requireInstalled(conn);
          const existing = await c.kube(() =>
            conn.objects.find<NamespaceObj & { apiVersion: string; kind: string }>(
              NAMESPACES,
              undefined,
              ns,
            ),
          );
          if (existing && existing.metadata.labels?.[ENV_LABEL] !== name)
            throw new UserError(
              `namespace ${ns} exists and is not archctl environment ${name} (no label ${ENV_LABEL}=${name}); pick another name`,
              ExitCode.REFUSED,
            );
          if (existing?.metadata.deletionTimestamp)
            throw new UserError(
              `environment ${name} is still being deleted (namespace ${ns} is terminating); try again in a moment`,
              ExitCode.FAILURE,
            );
          if (!existing) {
            await c.kube(() =>
              conn.objects.apply(
                {
                  apiVersion: "v1",
                  kind: "Namespace",
                  metadata: { name: ns, labels: { [ENV_LABEL]: name } },
                },
                { fieldManager: c.CLI_FIELD_MANAGER },
              ),
            );
            ctx.info(`namespace/${ns} created (environment ${name}, ttl ${opts.ttl})`);
          }
          return applyAndFollow(
            { ...ctx, globals: { ...ctx.globals, namespace: ns } },
            architecture,
            { ...(opts.wait ? { wait: true } : {}), timeoutMs: wait },
          );
        },
      ),
    );

  env
    .command("list")
    .description("environments: their namespace, Architecture phase and expiry")
    .option("-o, --output <format>", "table or json", "table")
    .addHelpText(
      "after",
      `
Lists the namespaces labelled ${ENV_LABEL} (cluster-wide: needs list on
namespaces) with their Architecture's phase, readiness and expiry.

Examples:
  archctl env list
  archctl env list -o json | jq -r '.[] | select(.architectures[0].phase == "Ready") | .name'`,
    )
    .action(async (opts: { output?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, deps);
      const format = outputFormat(opts.output, ["table", "json"] as const, "table");
      const c = await import("../cluster.ts");
      const { NAMESPACES, ARCHITECTURES, resourcePath } = await import(
        "../../operator/kube/resources.ts"
      );
      const conn = await deps.connect(ctx.globals);
      const namespaces = await c.kube(() =>
        conn.rest.get<{ items: NamespaceObj[] }>(resourcePath(NAMESPACES), {
          query: { labelSelector: ENV_LABEL },
        }),
      );
      const archs = await c.kube(() =>
        conn.rest.get<{ items: ArchView[] }>(resourcePath(ARCHITECTURES), {
          query: { labelSelector: ENV_LABEL },
        }),
      );
      const rows: EnvRow[] = namespaces.items
        .filter((n) => n.metadata.name.startsWith(ENV_PREFIX))
        .map((n) => ({
          namespace: n,
          architectures: archs.items.filter((a) => a.metadata.namespace === n.metadata.name),
        }));
      if (format === "json") {
        ctx.out(
          JSON.stringify(
            rows.map((r) => ({
              name: r.namespace.metadata.labels?.[ENV_LABEL],
              namespace: r.namespace.metadata.name,
              terminating: Boolean(r.namespace.metadata.deletionTimestamp),
              architectures: r.architectures.map((a) => ({
                name: a.metadata.name,
                phase: phaseOf(a),
                ready: readyText(a),
                expiresAt: a.status?.expiresAt ?? null,
              })),
            })),
            null,
            2,
          ),
        );
        return;
      }
      if (!rows.length) {
        ctx.err("No environments found.");
        return;
      }
      for (const l of envTable(rows, new Date(deps.now()))) ctx.out(l);
    });

  env
    .command("destroy")
    .description("delete environment NAME: its namespace and everything in it")
    .argument("<name>", "environment name")
    .option("--wait", "wait until the namespace is gone")
    .option("--timeout <duration>", "how long --wait waits", "5m")
    .addHelpText(
      "after",
      `
Deletes the namespace ${ENV_PREFIX}NAME and everything in it, data volumes
included; it refuses a namespace that is not labelled as that environment.

Examples:
  archctl env destroy pr-1234
  archctl env destroy pr-1234 --wait --timeout 10m`,
    )
    .action(
      exitsWith(async (name: string, opts: { wait?: boolean; timeout: string }, cmd: Command) => {
        const ctx = contextOf(cmd, deps);
        const ns = envNamespace(name);
        const wait = timeoutMs(opts.timeout);
        const c = await import("../cluster.ts");
        const { NAMESPACES } = await import("../../operator/kube/resources.ts");
        const conn = await deps.connect(ctx.globals);
        const existing = await c.kube(() =>
          conn.objects.find<NamespaceObj & { apiVersion: string; kind: string }>(
            NAMESPACES,
            undefined,
            ns,
          ),
        );
        if (!existing)
          throw new UserError(
            `environment ${name} not found (no namespace ${ns})`,
            ExitCode.NOT_FOUND,
          );
        if (existing.metadata.labels?.[ENV_LABEL] !== name)
          throw new UserError(
            `namespace ${ns} is not archctl environment ${name} (no label ${ENV_LABEL}=${name}); not deleting it`,
            ExitCode.REFUSED,
          );
        await c.kube(() => conn.objects.delete(NAMESPACES, undefined, ns));
        ctx.out(`namespace/${ns} deleted (environment ${name})`);
        if (!opts.wait) return ExitCode.OK;
        const { waitFor } = await import("../wait.ts");
        const { connectionError, explainKubeError } = await import("../kube-errors.ts");
        const outcome = await waitFor(
          {
            get: async () => {
              const still = await conn.objects.find<
                NamespaceObj & { apiVersion: string; kind: string }
              >(NAMESPACES, undefined, ns);
              return still && { metadata: still.metadata };
            },
            now: deps.now,
            sleep: deps.sleep,
            isTransient: c.isTransient,
            describeError: explainKubeError,
          },
          { timeoutMs: wait, untilGone: true },
        ).catch((err: unknown) => {
          throw connectionError(err);
        });
        if (outcome.kind === "timeout") {
          ctx.err(`archctl: timed out after ${opts.timeout} waiting for namespace ${ns} to go`);
          return ExitCode.TIMEOUT;
        }
        ctx.info(`environment ${name} is gone`);
        return ExitCode.OK;
      }),
    );
}

// archctl get [NAME] [-w] and archctl status [NAME] [-w]: Architectures as
// kubectl shows them, and one Architecture in detail (components, conditions,
// endpoints).

import type { Command } from "commander";
import { toYaml } from "../../operator/render/yaml-output.ts";
import { contextOf, exitsWith, outputFormat, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import type { ArchView, WatchState } from "../views/status.ts";
import { getTable, phaseOf, readyText, statusLines, watchLines } from "../views/status.ts";
import { timeoutMs } from "./apply.ts";

/** Without managedFields: what a person wants from -o yaml. */
function tidy<T extends { metadata: object }>(obj: T): T {
  const { managedFields: _m, ...meta } = obj.metadata as Record<string, unknown>;
  return { ...obj, metadata: meta };
}

function printObjects(
  out: (s: string) => void,
  format: "yaml" | "json",
  items: ArchView[],
  single: boolean,
): void {
  const value = single
    ? tidy(items[0] as ArchView)
    : { apiVersion: "v1", kind: "List", items: items.map(tidy) };
  out(format === "json" ? JSON.stringify(value, null, 2) : toYaml(value));
}

/**
 * `status` without a NAME: the only Architecture in the namespace. None is
 * exit 5; several is exit 2 (the table goes to stderr first, so the user can
 * pick one).
 */
export function pickArchitecture<T extends ArchView>(
  items: T[],
  namespace: string,
  /** Where the table of several goes (stderr), and the time its AGE column counts to. */
  show?: { err(line: string): void; now: Date },
): T {
  if (items.length === 1) return items[0] as T;
  if (!items.length)
    throw new UserError(
      `no Architectures in namespace ${namespace}: name another namespace with -n, or list them all with archctl get -A`,
      ExitCode.NOT_FOUND,
    );
  if (show) for (const l of getTable(items, show.now)) show.err(l);
  const names = items.map((a) => a.metadata.name).sort();
  throw new UserError(
    `${items.length} Architectures in namespace ${namespace} (${names.join(", ")}): pick one: archctl status ${names[0]} -n ${namespace}`,
    ExitCode.INVALID,
  );
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command("get")
    .description("list Architectures (or show one) with phase, readiness, age and expiry")
    .argument("[name]", "one Architecture")
    .option("-A, --all-namespaces", "list Architectures in every namespace")
    .option("-o, --output <format>", "wide, yaml or json")
    .option("-l, --selector <labels>", "only Architectures with these labels (a=b,c!=d)")
    .option(
      "-w, --watch",
      "after the table, print the rows that change (and Deleted for those that go) until Ctrl-C",
    )
    .addHelpText(
      "after",
      `
-w works like kubectl get -w: the table once, then one row each time an
Architecture's phase, readiness or expiry changes (read once a second).

Examples:
  archctl get                       Architectures in the current namespace
  archctl get -A -o wide            everywhere, with the Ready reason and message
  archctl get post -o yaml          one, with its status
  archctl get -A -w                 follow every Architecture as it changes`,
    )
    .action(
      async (
        name: string | undefined,
        opts: { allNamespaces?: boolean; output?: string; selector?: string; watch?: boolean },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd, deps);
        const format = outputFormat(
          opts.output,
          ["table", "wide", "yaml", "json"] as const,
          "table",
        );
        if (name && opts.allNamespaces)
          throw new UserError("a name cannot be combined with -A (name one namespace with -n)");
        if (opts.watch && (format === "yaml" || format === "json"))
          throw new UserError("-w prints the table: drop -o yaml/json (or use -o wide)");
        const c = await import("../cluster.ts");
        const { ARCHITECTURES, resourcePath } = await import("../../operator/kube/resources.ts");
        const conn = await deps.connect(ctx.globals);
        const read = async (): Promise<ArchView[]> => {
          if (name) {
            const one = await c.getArch(conn, conn.namespace, name);
            return one ? [one] : [];
          }
          const list = await conn.rest.get<{ items: ArchView[] }>(
            resourcePath(ARCHITECTURES, opts.allNamespaces ? undefined : conn.namespace),
            { query: { labelSelector: opts.selector } },
          );
          return list.items;
        };
        const items = name ? [await c.requireArch(conn, conn.namespace, name)] : await c.kube(read);
        if (format === "yaml" || format === "json") {
          printObjects(ctx.out, format, items, name !== undefined);
          return;
        }
        const tableOpts = {
          wide: format === "wide",
          ...(opts.allNamespaces ? { allNamespaces: true } : {}),
          style: ctx.style,
        };
        if (!items.length)
          ctx.err(
            opts.allNamespaces
              ? "No Architectures found."
              : `No Architectures found in namespace ${conn.namespace}.`,
          );
        if (!opts.watch) {
          if (items.length)
            for (const l of getTable(items, new Date(deps.now()), tableOpts)) ctx.out(l);
          return;
        }
        // Watch: the table, then changed rows; an API server blip is retried.
        let state: WatchState | undefined;
        let current = items;
        let blip = false;
        for (;;) {
          if (current.length || state) {
            const w = watchLines(state, current, new Date(deps.now()), tableOpts);
            state = w.state;
            for (const l of w.lines) ctx.out(l);
          }
          await deps.sleep(1000);
          try {
            current = await read();
            if (blip) ctx.err("the API server answers again");
            blip = false;
          } catch (err) {
            if (!c.isTransient(err)) throw (await import("../kube-errors.ts")).connectionError(err);
            if (!blip)
              ctx.err(
                `lost contact with the API server (${await c.describeKubeError(err)}); retrying`,
              );
            blip = true;
          }
        }
      },
    );

  program
    .command("status")
    .description("one Architecture in detail: components, conditions, endpoints; -w follows it")
    .argument("[name]", "the Architecture (default: the only one in the namespace)")
    .option("-w, --watch", "keep showing it as it changes (until Ctrl-C, or it is deleted)")
    .option("--timeout <duration>", "with -w: stop watching after this long, exit 3 (e.g. 10m)")
    .option("-o, --output <format>", "text, yaml or json", "text")
    .addHelpText(
      "after",
      `
Without NAME it shows the only Architecture in the namespace; when there are
several it lists them and asks for one (exit 2).

Exit codes: 0 Ready (with -w: watched until Ctrl-C or until it was deleted),
1 not Ready, 2 several Architectures and no NAME, 3 -w --timeout ran out,
4 unreachable, 5 not found.

Examples:
  archctl status post
  archctl status -n shop              the only Architecture in shop
  archctl status post -w --timeout 10m
  archctl status post -o json | jq .status.conditions`,
    )
    .action(
      exitsWith(
        async (
          nameArg: string | undefined,
          opts: { watch?: boolean; output?: string; timeout?: string },
          cmd: Command,
        ) => {
          const ctx = contextOf(cmd, deps);
          const format = outputFormat(opts.output, ["text", "yaml", "json"] as const, "text");
          const timeout =
            opts.timeout === undefined ? Number.POSITIVE_INFINITY : timeoutMs(opts.timeout);
          if (opts.watch && format !== "text")
            throw new UserError("-w shows the text view; drop -o, or use archctl get -o json");
          if (opts.timeout !== undefined && !opts.watch)
            throw new UserError("--timeout limits -w: add -w, or drop --timeout");
          const c = await import("../cluster.ts");
          const conn = await deps.connect(ctx.globals);
          let arch: Awaited<ReturnType<typeof c.requireArch>>;
          if (nameArg) arch = await c.requireArch(conn, conn.namespace, nameArg);
          else {
            const { ARCHITECTURES, resourcePath } = await import(
              "../../operator/kube/resources.ts"
            );
            const list = await c.kube(() =>
              conn.rest.get<{ items: (typeof arch)[] }>(
                resourcePath(ARCHITECTURES, conn.namespace),
              ),
            );
            arch = pickArchitecture(list.items, conn.namespace, {
              err: ctx.err,
              now: new Date(deps.now()),
            });
          }
          const name = arch.metadata.name;
          if (format !== "text") {
            printObjects(ctx.out, format, [arch], true);
            return ExitCode.OK;
          }
          if (!opts.watch) {
            for (const l of statusLines(arch, new Date(deps.now()), ctx.style)) ctx.out(l);
            return arch.status?.phase === "Ready" ? ExitCode.OK : ExitCode.FAILURE;
          }
          const { follow } = await import("../follow.ts");
          const { explainKubeError } = await import("../kube-errors.ts");
          const outcome = await follow(ctx, {
            name,
            get: () => c.getArch(conn, conn.namespace, name),
            isTransient: c.isTransient,
            describeError: explainKubeError,
            timeoutMs: timeout,
            untilGone: true,
            goal: "watch",
            progress: "out",
          });
          if (outcome.kind === "gone") ctx.info(`${name} was deleted`);
          if (outcome.kind === "timeout") {
            const last = outcome.arch;
            ctx.err(
              `archctl: stopped watching ${name} after ${opts.timeout} (--timeout)${last ? `: it is ${phaseOf(last)}, ${readyText(last)} ready` : ""}; run archctl status ${name} -n ${conn.namespace} to look again`,
            );
            return ExitCode.TIMEOUT;
          }
          return ExitCode.OK;
        },
      ),
    );
}

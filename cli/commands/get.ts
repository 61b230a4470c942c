// archctl get [NAME] and archctl status NAME [-w]: Architectures as kubectl
// shows them, and one Architecture in detail (components, conditions, endpoints).
import type { Command } from "commander";
import { stringify } from "yaml";
import { contextOf, outputFormat, UserError } from "../context.ts";
import { ExitCode } from "../exit-codes.ts";
import type { ArchView } from "../views/status.ts";
import { getTable, statusLines } from "../views/status.ts";
import { parseDuration } from "../wait.ts";

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
  out(format === "json" ? JSON.stringify(value, null, 2) : stringify(value, { lineWidth: 0 }));
}

export function register(program: Command): void {
  program
    .command("get")
    .description("list Architectures (or show one) with phase, readiness, age and expiry")
    .argument("[name]", "one Architecture")
    .option("-A, --all-namespaces", "list Architectures in every namespace")
    .option("-o, --output <format>", "wide, yaml or json")
    .option("-l, --selector <labels>", "only Architectures with these labels (a=b,c!=d)")
    .addHelpText(
      "after",
      `
Examples:
  archctl get                       Architectures in the current namespace
  archctl get -A -o wide            everywhere, with the Ready reason and message
  archctl get post -o yaml          one, with its status`,
    )
    .action(
      async (
        name: string | undefined,
        opts: { allNamespaces?: boolean; output?: string; selector?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const format = outputFormat(
          opts.output,
          ["table", "wide", "yaml", "json"] as const,
          "table",
        );
        if (name && opts.allNamespaces)
          throw new UserError("a name cannot be combined with -A (name one namespace with -n)");
        const c = await import("../cluster.ts");
        const { ARCHITECTURES, resourcePath } = await import("../../operator/kube/resources.ts");
        const conn = c.connect(ctx);
        let items: ArchView[];
        if (name) {
          const one = await c.kube(() => c.getArch(conn, conn.namespace, name));
          if (!one) throw c.notFound(name, conn.namespace);
          items = [one];
        } else {
          const list = await c.kube(() =>
            conn.rest.get<{ items: ArchView[] }>(
              resourcePath(ARCHITECTURES, opts.allNamespaces ? undefined : conn.namespace),
              { query: { labelSelector: opts.selector } },
            ),
          );
          items = list.items;
        }
        if (format === "yaml" || format === "json") {
          printObjects(ctx.out, format, items, name !== undefined);
          return;
        }
        if (!items.length) {
          ctx.err(
            opts.allNamespaces
              ? "No Architectures found."
              : `No Architectures found in namespace ${conn.namespace}.`,
          );
          return;
        }
        for (const l of getTable(items, new Date(), {
          wide: format === "wide",
          ...(opts.allNamespaces ? { allNamespaces: true } : {}),
          style: ctx.style,
        }))
          ctx.out(l);
      },
    );

  program
    .command("status")
    .description("one Architecture in detail: components, conditions, endpoints; -w follows it")
    .argument("<name>", "the Architecture")
    .option("-w, --watch", "keep showing it as it changes (until Ctrl-C, or it is deleted)")
    .option("--timeout <duration>", "stop watching after this long (e.g. 10m)")
    .option("-o, --output <format>", "text, yaml or json", "text")
    .addHelpText(
      "after",
      `
Exit codes: 0 Ready (or watched until the end), 1 not Ready, 4 unreachable,
5 not found.

Examples:
  archctl status post
  archctl status post -w
  archctl status post -o json | jq .status.conditions`,
    )
    .action(
      async (
        name: string,
        opts: { watch?: boolean; output?: string; timeout?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const format = outputFormat(opts.output, ["text", "yaml", "json"] as const, "text");
        let timeout = Number.POSITIVE_INFINITY;
        if (opts.timeout !== undefined) {
          const ms = parseDuration(opts.timeout);
          if (ms === undefined || ms <= 0)
            throw new UserError(
              `--timeout must be a duration like 90s or 10m, not '${opts.timeout}'`,
            );
          timeout = ms;
        }
        if (opts.watch && format !== "text")
          throw new UserError("-w shows the text view; drop -o, or use archctl get -o json");
        const c = await import("../cluster.ts");
        const conn = c.connect(ctx);
        const arch = await c.kube(() => c.getArch(conn, conn.namespace, name));
        if (!arch) throw c.notFound(name, conn.namespace);
        if (format !== "text") {
          printObjects(ctx.out, format, [arch], true);
          return;
        }
        if (!opts.watch) {
          for (const l of statusLines(arch, new Date(), ctx.style)) ctx.out(l);
          if (arch.status?.phase !== "Ready") process.exitCode = ExitCode.FAILURE;
          return;
        }
        const { follow } = await import("../follow.ts");
        const { explainKubeError } = await import("../../operator/kube/errors.ts");
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
      },
    );
}

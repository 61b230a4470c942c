// Following an Architecture on screen: the ink view on a terminal, plain
// timestamped lines (only on change, no colour, no spinner) anywhere else.
// The terminal, environment and clock come from ctx.deps (deps.ts).
import type { CliContext } from "./context.ts";
import { colorEnabled } from "./context.ts";
import type { ArchView } from "./views/status.ts";
import { changeLines } from "./views/status.ts";
import type { WaitOptions, WaitOutcome } from "./wait.ts";
import { waitFor } from "./wait.ts";

export interface FollowOptions {
  name: string;
  get(): Promise<ArchView | undefined>;
  isTransient(err: unknown): boolean;
  describeError(err: unknown): string;
  timeoutMs: number;
  generation?: number;
  untilGone?: boolean;
  goal?: string;
  /** Warn once if no status arrives within 10 s and no operator Lease is held. */
  warnNoOperator?: string;
  /** Where plain progress lines go: stdout (status -w) or stderr (apply --wait). */
  progress: "out" | "info";
  /** The terminal the live view draws on (default: ctx.deps.io.out). */
  stdout?: NodeJS.WriteStream;
}

/** A live terminal view: stdout is a TTY, not CI, not --quiet, TERM is not dumb. */
export function interactive(
  ctx: CliContext,
  stdout: { isTTY?: boolean } = ctx.deps.io.out,
): boolean {
  const { env } = ctx.deps;
  if (ctx.globals.quiet) return false;
  if (env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0") return false;
  return stdout.isTTY === true && env.TERM !== "dumb";
}

export async function follow(ctx: CliContext, opts: FollowOptions): Promise<WaitOutcome> {
  const { deps: d } = ctx;
  const start = d.now();
  const waitOpts: WaitOptions = {
    timeoutMs: opts.timeoutMs,
    ...(opts.generation !== undefined ? { generation: opts.generation } : {}),
    ...(opts.untilGone ? { untilGone: true } : {}),
  };
  const deps = {
    get: opts.get,
    now: d.now,
    sleep: d.sleep,
    isTransient: opts.isTransient,
    describeError: opts.describeError,
  };
  // ink draws only on a terminal, which is a real stream (or a test's fake one).
  const stdout = opts.stdout ?? (d.io.out as NodeJS.WriteStream);
  if (!interactive(ctx, stdout)) {
    let prev: ArchView | undefined;
    const emit = (line: string) => (opts.progress === "out" ? ctx.out(line) : ctx.info(line));
    const stamp = () => new Date(d.now()).toISOString().replace(/\.[0-9]{3}Z$/, "Z");
    return waitFor(deps, {
      ...waitOpts,
      onRead: (arch) => {
        if (!arch) return;
        for (const l of changeLines(prev, arch, new Date(d.now()))) emit(l);
        prev = arch;
      },
      onBlip: (message) => ctx.err(`${stamp()} ${message}`),
      ...(opts.warnNoOperator
        ? { onNoOperator: () => ctx.err(`${stamp()} warning: ${opts.warnNoOperator}`) }
        : {}),
    });
  }

  const [{ render }, React, { StatusView }] = await Promise.all([
    import("ink"),
    import("react"),
    import("./views/status-ink.ts"),
  ]);
  let arch: ArchView | undefined;
  const notes: string[] = [];
  // --no-color / NO_COLOR decide here: ink's own detection ignores NO_COLOR.
  const color = colorEnabled(ctx.globals.color, stdout, d.env);
  const props = () => ({
    name: opts.name,
    arch,
    elapsedMs: d.now() - start,
    notes: [...notes],
    color,
    ...(opts.goal ? { goal: opts.goal } : {}),
  });
  const app = render(React.createElement(StatusView, props()), {
    stdout,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const tick = setInterval(() => app.rerender(React.createElement(StatusView, props())), 100);
  let outcome: WaitOutcome;
  try {
    outcome = await waitFor(deps, {
      ...waitOpts,
      onRead: (a) => {
        if (a) arch = a;
      },
      onBlip: (message, recovered) => {
        if (recovered) {
          const i = notes.findIndex((n) => n.startsWith("lost contact"));
          if (i >= 0) notes.splice(i, 1);
        } else notes.push(message);
      },
      ...(opts.warnNoOperator
        ? { onNoOperator: () => notes.push(`warning: ${opts.warnNoOperator}`) }
        : {}),
    });
  } finally {
    clearInterval(tick);
  }
  app.rerender(
    React.createElement(StatusView, {
      ...props(),
      arch: outcome.arch ?? arch,
      outcome: outcome.kind,
    }),
  );
  app.unmount();
  await app.waitUntilExit().catch(() => undefined);
  return outcome;
}

// What every command gets: where to write, whether to colour, global options,
// and its dependencies (deps.ts). Commands throw UserError for mistakes the
// user can fix; run.ts turns it into one line on stderr and the error's exit
// code. A command that ends with another code than 0 returns it (exitsWith).
import type { Command } from "commander";
import type { CliDeps } from "./deps.ts";
import type { ExitCodeValue } from "./exit-codes.ts";
import { ExitCode } from "./exit-codes.ts";

export class UserError extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.INVALID) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

/** ARCHCTL_DEBUG set to anything but "", 0 or false: internal errors show their stack trace. */
export function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  const v = env.ARCHCTL_DEBUG;
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

/** Options every command accepts (declared once on the program). */
export interface GlobalOptions {
  color: boolean;
  quiet: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const wrap =
  (open: number, close: number, on: boolean) =>
  (s: string): string =>
    on ? `\u001b[${open}m${s}\u001b[${close}m` : s;

export function makeStyle(on: boolean): Style {
  return {
    bold: wrap(1, 22, on),
    dim: wrap(2, 22, on),
    red: wrap(31, 39, on),
    yellow: wrap(33, 39, on),
    green: wrap(32, 39, on),
    cyan: wrap(36, 39, on),
  };
}

/** Colour only on a terminal, and never with --no-color or NO_COLOR set. */
export function colorEnabled(
  flag: boolean,
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

export interface CliContext {
  globals: GlobalOptions;
  /** Styles for stdout and stderr (each decided by its own stream). */
  style: Style;
  errStyle: Style;
  out(text: string): void;
  err(text: string): void;
  /** Progress and summaries: silent with --quiet. */
  info(text: string): void;
  /** Text to stdout exactly as given (a YAML stream, a script). */
  write(text: string): void;
  deps: CliDeps;
}

const line = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

export function contextOf(cmd: Command, deps: CliDeps): CliContext {
  const globals = cmd.optsWithGlobals() as GlobalOptions;
  const { out, err } = deps.io;
  const style = makeStyle(colorEnabled(globals.color !== false, out, deps.env));
  const errStyle = makeStyle(colorEnabled(globals.color !== false, err, deps.env));
  return {
    globals: { ...globals, color: globals.color !== false, quiet: globals.quiet === true },
    style,
    errStyle,
    out: (text) => out.write(line(text)),
    err: (text) => err.write(line(text)),
    info: (text) => {
      if (globals.quiet !== true) err.write(line(text));
    },
    write: (text) => out.write(text),
    deps,
  };
}

/** The exit code each program's command returned (read by run.ts). */
const returned = new WeakMap<Command, number>();

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/**
 * A command action that returns its exit code (nothing: 0). process.exitCode
 * is set in one place, main.ts, from what run.ts reads with exitCodeOf().
 */
export function exitsWith<A extends unknown[]>(
  action: (...args: A) => number | undefined | Promise<number | undefined>,
): (this: Command, ...args: A) => Promise<void> {
  return async function (this: Command, ...args: A) {
    const code = await action(...args);
    if (code !== undefined) returned.set(rootOf(this), code);
  };
}

/** What the program's command returned through exitsWith, else 0. */
export function exitCodeOf(program: Command): number {
  return returned.get(program) ?? ExitCode.OK;
}

/** Parses `-o` values with a helpful error. */
export function outputFormat<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`unknown output format '${value}': use one of ${allowed.join(", ")}`);
}

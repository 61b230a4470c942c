// What every command gets: where to write, whether to colour, global options.
// Commands throw UserError for mistakes the user can fix; main.ts turns it into
// one line on stderr and the error's exit code.
import type { Command } from "commander";
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
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
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
}

export function contextOf(cmd: Command): CliContext {
  const globals = cmd.optsWithGlobals() as GlobalOptions;
  const style = makeStyle(colorEnabled(globals.color !== false, process.stdout, process.env));
  const errStyle = makeStyle(colorEnabled(globals.color !== false, process.stderr, process.env));
  return {
    globals: { ...globals, color: globals.color !== false, quiet: globals.quiet === true },
    style,
    errStyle,
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    info: (text) => {
      if (globals.quiet !== true) process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
    },
  };
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

// Runs the CLI as a user would: `node cli/main.ts ...` in a child process
// (the integration and end-to-end tests, and entry-point.test.ts). Unit tests
// of commands run it in-process instead: in-process.ts.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const MAIN = join(ROOT, "cli/main.ts");

export interface Run {
  code: number | null;
  /** The signal that ended it (a kill timeout), or null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Standard input; it is closed after this (an empty one by default). */
  input?: string;
  /** The whole environment of the child. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  killSignal?: NodeJS.Signals;
}

/** `node SCRIPT ARGS...` in a child process, its output collected. */
export function runNode(script: string, args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 60_000,
      ...(options.killSignal ? { killSignal: options.killSignal } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** archctl as a user runs it, without colour or debug traces (env adds to the caller's). */
export function archctl(
  args: string[],
  options: Omit<RunOptions, "env"> & { env?: Record<string, string> } = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: "1",
    ARCHCTL_DEBUG: "",
    ...options.env,
  };
  // Node warns when NO_COLOR and FORCE_COLOR are both set.
  if (!options.env?.FORCE_COLOR) delete env.FORCE_COLOR;
  return runNode(MAIN, args, { ...options, env });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "archctl-cli-"));
}

export function writeTemp(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

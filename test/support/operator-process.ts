// `archctl operator run` as a child process, for tests that kill it, restart it
// or read what it prints: the real entry point, flags and signal handling.
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../cluster/binaries.ts";

export interface OperatorProcess {
  child: ChildProcess;
  /** stderr, one JSON log line an entry. */
  lines: string[];
  /** Everything it printed, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  metricsPort?: number;
  /**
   * Resolves with the `count`-th stderr line (counted from the start) that
   * matches, as soon as it is printed; undefined on timeout or exit.
   */
  waitForLine(
    pattern: RegExp,
    opts?: { count?: number; timeoutMs?: number },
  ): Promise<string | undefined>;
}

export function runOperatorProcess(
  kubeconfig: string,
  namespace: string,
  opts: { extra?: string[]; metricsPort?: number } = {},
): OperatorProcess {
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, "cli/main.ts"),
      "--kubeconfig",
      kubeconfig,
      "operator",
      "run",
      "--watch-namespaces",
      namespace,
      "--metrics-address",
      opts.metricsPort ? `127.0.0.1:${opts.metricsPort}` : "",
      ...(opts.extra ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let all = "";
  let partial = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    all += d;
    const parts = (partial + d).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((l) => l !== ""));
    for (const w of [...waiters]) w();
  });
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    all += d;
  });
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      done = true;
      for (const w of [...waiters]) w();
      resolve(code);
    }),
  );
  const waitForLine: OperatorProcess["waitForLine"] = (pattern, o = {}) =>
    new Promise((resolve) => {
      const count = o.count ?? 1;
      const check = () => {
        const hit = lines.filter((l) => pattern.test(l))[count - 1];
        if (hit === undefined && !done) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve(undefined);
      }, o.timeoutMs ?? 60_000);
      waiters.add(check);
      check();
    });
  return {
    child,
    lines,
    output: () => all,
    exited,
    waitForLine,
    ...(opts.metricsPort ? { metricsPort: opts.metricsPort } : {}),
  };
}

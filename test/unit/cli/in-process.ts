// Runs archctl in this process (cli/run.ts with test dependencies): the same
// program, commands and error handling as the installed command, without
// starting a Node process per run. The output is collected; the environment is
// archctl()'s (helpers.ts): no colour, no debug traces. A few tests keep
// spawning the real entry point (entry-point.test.ts).
import { Readable } from "node:stream";
import type { CliDeps, OutputStream } from "../../../cli/deps.ts";
import { runCli } from "../../../cli/run.ts";
import { ROOT } from "./helpers.ts";

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  /** Where relative paths are read and written (default: the repository). */
  cwd?: string;
  /** Standard input (empty by default). */
  input?: string;
  /** Added to the caller's environment, as archctl() does. */
  env?: Record<string, string>;
  /** Replaces the real clock or cluster: a fake connection, a clock that jumps. */
  deps?: Partial<Pick<CliDeps, "now" | "sleep" | "connect">>;
}

/** A stream that keeps what is written to it. */
export class Captured implements OutputStream {
  text = "";
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** Dependencies for one in-process run: real clock and cluster, captured output. */
export function testDeps(
  options: InProcessOptions = {},
): CliDeps & { io: { out: Captured; err: Captured } } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: "1",
    ARCHCTL_DEBUG: "",
    ...options.env,
  };
  if (!options.env?.FORCE_COLOR) delete env.FORCE_COLOR;
  return {
    io: { in: Readable.from([options.input ?? ""]), out: new Captured(), err: new Captured() },
    env,
    cwd: options.cwd ?? ROOT,
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    connect: async (globals) => (await import("../../../cli/cluster.ts")).connect(globals),
    exitNow: (code) => {
      throw new Error(`a command asked to end the test process (exit ${code})`);
    },
    ...options.deps,
  };
}

/** `archctl ARGS...` in this process, its output collected. */
export async function inProcess(
  args: string[],
  options: InProcessOptions = {},
): Promise<InProcessRun> {
  const deps = testDeps(options);
  const code = await runCli(args, deps);
  return { code, stdout: deps.io.out.text, stderr: deps.io.err.text };
}

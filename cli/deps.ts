// What a command needs from the world, handed to it instead of reached for
// (like gh's cmdutil.Factory and IOStreams): the streams, the environment, the
// working directory, the clock and the cluster connection. main.ts passes
// processDeps(); tests pass their own (test/unit/cli/in-process.ts) and run
// commands in-process. Nothing under cli/commands/ touches process.* itself.
import type { Connection } from "./cluster.ts";
import type { GlobalOptions } from "./context.ts";

/** Where output goes: process.stdout / process.stderr, or a test's buffer. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** The terminal's width, when it is one (commander wraps help to it). */
  columns?: number;
}

/** Standard input: read whole (`-f -`) or line by line (a confirmation prompt). */
export type InputStream = NodeJS.ReadableStream & { isTTY?: boolean };

export interface IOStreams {
  in: InputStream;
  out: OutputStream;
  err: OutputStream;
}

export interface CliDeps {
  io: IOStreams;
  env: NodeJS.ProcessEnv;
  /** Relative paths (-f, init's file) are read and written from here. */
  cwd: string;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A client for the cluster the kubectl-style global options name. */
  connect(globals: GlobalOptions): Promise<Connection>;
  /**
   * Ends the process at once, without waiting for the command to return:
   * only for `operator run`'s second signal and lost leadership.
   */
  exitNow(code: number): never;
}

/** The real ones, for the installed command (main.ts). */
export function processDeps(): CliDeps {
  return {
    io: { in: process.stdin, out: process.stdout, err: process.stderr },
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    // The kube client loads only when a command talks to a cluster.
    connect: async (globals) => (await import("./cluster.ts")).connect(globals),
    exitNow: (code) => process.exit(code),
  };
}

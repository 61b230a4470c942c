// Ctrl-C ends an ordinary command at once (exit 130, as shells report it). A
// command with an orderly shutdown of its own (`operator run`) takes SIGINT and
// SIGTERM over for as long as it runs: the default must not pre-empt it.
import { ExitCode } from "./exit-codes.ts";

type Handler = (signal: NodeJS.Signals) => void;

let takenOver: Handler | undefined;

/** main.ts: what SIGINT does when no command has taken it over. */
export function installDefaultInterrupt(): void {
  process.on("SIGINT", (signal) => {
    if (takenOver) takenOver(signal);
    else process.exit(ExitCode.INTERRUPTED);
  });
}

/**
 * Routes SIGINT and SIGTERM to `handler` until the returned function is
 * called. One command at a time (a CLI process runs one).
 */
export function takeOverShutdownSignals(handler: Handler): () => void {
  takenOver = handler;
  process.on("SIGTERM", handler);
  return () => {
    if (takenOver === handler) takenOver = undefined;
    process.off("SIGTERM", handler);
  };
}

#!/usr/bin/env node
// archctl: the entry point, and the only place that sets process.exitCode. It
// runs the CLI (run.ts) with the real process's streams, environment, clock and
// cluster connection (deps.ts).
import { processDeps } from "./deps.ts";
import { ExitCode } from "./exit-codes.ts";
import { runCli } from "./run.ts";
import { installDefaultInterrupt } from "./signals.ts";

// Ctrl-C exits 130 at once, unless the running command shuts down in order
// by itself (operator run): see signals.ts.
installDefaultInterrupt();
// Writing to a closed pipe (archctl render | head) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(ExitCode.OK);
});

process.exitCode = await runCli(process.argv.slice(2), processDeps());

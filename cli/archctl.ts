#!/usr/bin/env node
// The installed `archctl` command: turns on Node's on-disk compile cache before
// any of the CLI is loaded, so every start after the first skips compiling its
// modules (measured in test/bench), then runs the CLI.
//
// `archctl --version` alone is answered here from package.json (the same
// packageVersion() commander prints), without loading commander, zod, yaml
// and the commands: 4 of our modules instead of about 225 (test/bench/ANALYSIS.md).
import { enableCompileCache } from "node:module";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  const { packageVersion } = await import("./input.ts");
  process.stdout.write(`${packageVersion()}\n`);
} else {
  enableCompileCache();
  await import("./main.ts");
}

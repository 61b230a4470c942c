#!/usr/bin/env node
// The installed `archctl` command: turns on Node's on-disk compile cache before
// any of the CLI is loaded, so every start after the first skips compiling its
// modules (measured in test/bench), then runs the CLI.
import { enableCompileCache } from "node:module";

enableCompileCache();
await import("./main.ts");

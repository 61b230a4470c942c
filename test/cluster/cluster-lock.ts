// A cross-process lock on a cluster's creation, held by a folder.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pidAlive } from "./cluster-processes.ts";

/** Cross-process lock (mkdir) so two test files don't create the same cluster at once. */
export async function withLock<T>(dir: string, deadline: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(join(dir, ".."), { recursive: true });
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder = 0;
      try {
        holder = Number(readFileSync(join(dir, "pid"), "utf8"));
      } catch {}
      const stale = holder > 0 ? !pidAlive(holder) : Date.now() - statSync(dir).mtimeMs > 10_000;
      if (stale) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${dir}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Whether the caches work: a run of list/watch failures per cache, ended by a
// successful list, a watch event, or a quiet spell longer than the longest
// backoff (the watch reconnected without a word). /healthz fails when one run
// lasts longer than `unhealthyAfterMs`.
import type { Check } from "./http-server.ts";

interface FailureRun {
  since: number;
  last: number;
  what: string;
  err: string;
}

export class CacheHealth {
  /** List path -> its cache's current run of failures. */
  private readonly failures = new Map<string, FailureRun>();
  readonly unhealthyAfterMs: number;
  private readonly now: () => number;

  constructor(unhealthyAfterMs: number, now: () => number = Date.now) {
    this.unhealthyAfterMs = unhealthyAfterMs;
    this.now = now;
  }

  /**
   * A failing cache retries at least four times within unhealthyAfterMs (and
   * at most 30 s apart), so "failing for that long" is told apart from one
   * failure followed by a quiet, working watch.
   */
  get maxBackoffMs(): number {
    return Math.min(30_000, this.unhealthyAfterMs / 4);
  }

  failed(path: string, what: string, err: string): void {
    const now = this.now();
    const run = this.failures.get(path);
    this.failures.set(path, { since: run?.since ?? now, last: now, what, err });
  }

  /** A list answered or an event seen: the cache at `path` works. */
  worked(path: string): void {
    this.failures.delete(path);
  }

  check(): Check {
    const now = this.now();
    // The informer's jitter is at most +20 %; one second for the reconnect itself.
    const quietMs = this.maxBackoffMs * 1.2 + 1000;
    for (const [path, f] of this.failures) {
      if (now - f.last > quietMs) {
        this.failures.delete(path);
        continue;
      }
      if (now - f.since > this.unhealthyAfterMs)
        return {
          ok: false,
          reason: `the cache of ${f.what} has failed to list or watch for ${Math.round((now - f.since) / 1000)} s (last error: ${f.err}); check that the API server is reachable and that the operator may list and watch it`,
        };
    }
    return { ok: true };
  }
}

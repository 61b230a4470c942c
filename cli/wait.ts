// Following an Architecture until it is Ready, Degraded, gone, or the time is up.
// Reads through an injected `get` (one GET per second in the CLI), retries
// transient API failures with backoff until the deadline, and reports each read
// to the caller's view. No kube imports: tests drive it with fakes.

import { flagDurationMs } from "../operator/api/duration.ts";
import type { ArchView } from "./views/status.ts";
import { condition, observed, phaseOf } from "./views/status.ts";

export type WaitOutcome =
  | { kind: "ready"; arch: ArchView }
  | { kind: "degraded"; arch: ArchView; message: string }
  | { kind: "timeout"; arch: ArchView | undefined }
  | { kind: "gone"; arch: ArchView | undefined };

export interface WaitDeps {
  /** The current object, or undefined when it no longer exists. Throws on API errors. */
  get(): Promise<ArchView | undefined>;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Transient: retry (unreachable, 5xx, 429). Anything else is rethrown. */
  isTransient(err: unknown): boolean;
  describeError(err: unknown): string;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** The generation written by our apply: older status does not count. */
  generation?: number;
  /** Wait until the object is gone instead (delete --wait). */
  untilGone?: boolean;
  onRead?(arch: ArchView | undefined): void;
  /** Called once when the API server stops answering, and once when it is back. */
  onBlip?(message: string, recovered: boolean): void;
  /** Called once if the operator does not seem to react (no status within `operatorGraceMs`). */
  onNoOperator?(): void;
  operatorGraceMs?: number;
}

/** Ready means phase Ready with status for the generation we wrote (or a later one). */
export function isReady(arch: ArchView, generation?: number): boolean {
  const seen = arch.status?.observedGeneration ?? -1;
  const gen = arch.metadata.generation ?? generation ?? 0;
  return phaseOf(arch) === "Ready" && observed(arch) && seen >= (generation ?? gen);
}

export function isDegraded(arch: ArchView, generation?: number): string | undefined {
  if (phaseOf(arch) !== "Degraded" || !observed(arch)) return undefined;
  if (generation !== undefined && (arch.status?.observedGeneration ?? -1) < generation)
    return undefined;
  const d = condition(arch, "Degraded");
  return d?.message ?? condition(arch, "Ready")?.message ?? "degraded";
}

export async function waitFor(deps: WaitDeps, opts: WaitOptions): Promise<WaitOutcome> {
  const start = deps.now();
  const deadline = start + opts.timeoutMs;
  const interval = opts.intervalMs ?? 1000;
  const grace = opts.operatorGraceMs ?? 10_000;
  let last: ArchView | undefined;
  let failures = 0;
  let blipped = false;
  let warnedOperator = false;
  for (;;) {
    let ok = true;
    try {
      const arch = await deps.get();
      if (blipped) {
        opts.onBlip?.("the API server answers again", true);
        blipped = false;
      }
      failures = 0;
      opts.onRead?.(arch);
      if (!arch) return { kind: "gone", arch: last };
      last = arch;
      if (!opts.untilGone) {
        if (isReady(arch, opts.generation)) return { kind: "ready", arch };
        const degraded = isDegraded(arch, opts.generation);
        if (degraded !== undefined) return { kind: "degraded", arch, message: degraded };
        if (
          !warnedOperator &&
          !observed(arch) &&
          deps.now() - start >= grace &&
          opts.onNoOperator !== undefined
        ) {
          warnedOperator = true;
          opts.onNoOperator();
        }
      }
    } catch (err) {
      if (!deps.isTransient(err)) throw err;
      ok = false;
      failures++;
      if (!blipped) {
        blipped = true;
        opts.onBlip?.(
          `lost contact with the API server (${deps.describeError(err)}); retrying until the timeout`,
          false,
        );
      }
    }
    const now = deps.now();
    if (now >= deadline) return { kind: "timeout", arch: last };
    const backoff = ok ? interval : Math.min(interval * 2 ** Math.min(failures - 1, 3), 8000);
    await deps.sleep(Math.min(backoff, Math.max(0, deadline - now)));
  }
}

/** "10m", "90s", "1h30m", "2h" -> milliseconds; plain numbers are seconds. */
export const parseDuration = flagDurationMs;

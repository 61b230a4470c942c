// The fuzz test's timing and counting: every call into the code under test
// goes through timed(), which marks its start and label in memory shared with
// the main thread's hang watchdog (test/unit/fuzz.test.ts), records the
// slowest call, and stats counts the calls.

export const stats = {
  cases: 0,
  loadCalls: 0,
  validateCalls: 0,
  renderCalls: 0,
  valid: 0,
  slowestMs: 0,
  slowestWhat: "",
};

/**
 * Shared with the main thread (the watchdog): [0] = Date.now() when the
 * current call started, 0 between calls; then the call's label (UTF-8).
 */
export type Watch = { startedAt: Float64Array; labelLength: Int32Array; label: Uint8Array };
export const LABEL_BYTES = 512;
export function watchOn(buffer: SharedArrayBuffer): Watch {
  return {
    startedAt: new Float64Array(buffer, 0, 1),
    labelLength: new Int32Array(buffer, 8, 1),
    label: new Uint8Array(buffer, 16, LABEL_BYTES),
  };
}
let watch: Watch | undefined;
/** In the fuzz worker: every timed call marks its start in this shared buffer. */
export function watchCallsIn(buffer: SharedArrayBuffer): void {
  watch = watchOn(buffer);
}
const encoder = new TextEncoder();

export function timed<T>(what: string, fn: () => T): T {
  if (watch) {
    watch.labelLength[0] = encoder.encodeInto(what.slice(0, LABEL_BYTES / 4), watch.label).written;
    watch.startedAt[0] = Date.now();
  }
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  if (watch) watch.startedAt[0] = 0;
  if (ms > stats.slowestMs) {
    stats.slowestMs = ms;
    stats.slowestWhat = what;
  }
  return out;
}

// Durations of the API (`90s`, `30m`, `2h`, `7d`, `1h30m`): one grammar, one
// bound, and arithmetic that cannot overflow a Date. A TTL of `100000000d`
// once passed every check and then made every reconcile throw in
// toISOString(); the bound and the total functions below close that door.
// Pure.

/** The grammar of a duration in a spec: whole numbers with units s, m, h, d. */
export const DURATION = /^([0-9]+(s|m|h|d))+$/;

/** The longest duration a spec may hold: one year, far beyond any TTL or interval in use. */
export const MAX_DURATION_SECONDS = 365 * 86_400;
export const MAX_DURATION_TEXT = "365d";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Seconds in a spec duration, or undefined when the text is not one. Never
 * throws and never returns more than Number.MAX_SAFE_INTEGER: huge inputs
 * come back as Infinity-free large numbers the caller compares with the bound.
 */
export function durationSeconds(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(s|m|h|d)/g))
    total += Number(m[1]) * (UNIT_SECONDS[m[2] as string] ?? 0);
  return Number.isFinite(total)
    ? Math.min(total, Number.MAX_SAFE_INTEGER)
    : Number.MAX_SAFE_INTEGER;
}

/** True when the text is a duration within MAX_DURATION_SECONDS. */
export function isBoundedDuration(text: string): boolean {
  const s = durationSeconds(text);
  return s !== undefined && s <= MAX_DURATION_SECONDS;
}

/**
 * The same bound as a CEL rule, so that `kubectl apply` of an Architecture
 * with a huge duration is refused by the API server itself. The regex in the
 * schema already limits the grammar; the rule sums the parts (Kubernetes' CEL
 * has findAll and the lists library's sum) and each part is at most 9 digits
 * (also enforced here), so int() cannot overflow.
 */
export const DURATION_BOUND_CEL = `self.findAll('[0-9]+[smhd]').map(p, int(p.substring(0, size(p) - 1)) * (p.endsWith('d') ? 86400 : p.endsWith('h') ? 3600 : p.endsWith('m') ? 60 : 1)).sum() <= ${MAX_DURATION_SECONDS}`;

/** The schema's grammar with each number at most 9 digits, so the CEL sum cannot overflow. */
export const BOUNDED_DURATION = /^([0-9]{1,9}(s|m|h|d))+$/;

/**
 * A time `seconds` after an ISO timestamp, as an RFC 3339 string without
 * milliseconds, or undefined if either is unusable (no Date arithmetic here
 * can throw).
 */
export function timestampAfter(iso: string, seconds: number): string | undefined {
  const start = Date.parse(iso);
  if (!Number.isFinite(start) || !Number.isFinite(seconds)) return undefined;
  const at = new Date(start + seconds * 1000);
  if (!Number.isFinite(at.getTime())) return undefined;
  return at.toISOString().replace(/\.[0-9]{3}Z$/, "Z");
}

/** "10m", "90s", "1h30m", "500ms", "2.5h"; a plain number is seconds. Milliseconds, for CLI flags. */
export function flagDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (/^[0-9]+$/.test(t)) return Number(t) * 1000;
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$/.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s"];
    total += Number(m[1]) * unit;
  }
  return Number.isFinite(total) ? total : undefined;
}

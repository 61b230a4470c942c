// MySQL GTID sets as data, so the failover decision compares members without
// asking a server (GTID_SUBSET / GTID_SUBTRACT would need one). The text form
// is MySQL's: `uuid:1-5:7,uuid2:1-3`, and from 8.4 tagged GTIDs
// `uuid:tag:1-5` (a tag applies to the intervals after it). Pure.

/** source (`uuid` or `uuid:tag`) -> sorted, disjoint, non-adjacent [first, last] intervals. */
export type GtidSet = ReadonlyMap<string, readonly (readonly [bigint, bigint])[]>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TAG = /^[a-z_][a-z0-9_]{0,31}$/;
const INTERVAL = /^([1-9][0-9]{0,18})(?:-([1-9][0-9]{0,18}))?$/;

function normalise(intervals: readonly (readonly [bigint, bigint])[]): [bigint, bigint][] {
  const sorted = [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [first, last] of sorted) {
    const prev = out[out.length - 1];
    if (!prev || first > prev[1] + 1n) out.push([first, last]);
    else if (last > prev[1]) prev[1] = last;
  }
  return out;
}

/** Parses a GTID set (whitespace and newlines, as @@gtid_executed prints them, ignored); undefined when malformed. */
export function parseGtidSet(text: string): GtidSet | undefined {
  const compact = text.replace(/\s+/g, "").toLowerCase();
  const raw = new Map<string, [bigint, bigint][]>();
  if (compact === "") return raw;
  for (const item of compact.split(",")) {
    const [uuid, ...parts] = item.split(":");
    if (!uuid || !UUID.test(uuid) || parts.length === 0) return undefined;
    let source = uuid;
    let sawInterval = false;
    for (const part of parts) {
      const m = INTERVAL.exec(part);
      if (m) {
        const first = BigInt(m[1] as string);
        const last = m[2] === undefined ? first : BigInt(m[2]);
        if (last < first) return undefined;
        const list = raw.get(source) ?? [];
        list.push([first, last]);
        raw.set(source, list);
        sawInterval = true;
      } else if (TAG.test(part)) {
        source = `${uuid}:${part}`;
        sawInterval = false;
      } else return undefined;
    }
    if (!sawInterval) return undefined;
  }
  const out = new Map<string, [bigint, bigint][]>();
  for (const [source, list] of raw) out.set(source, normalise(list));
  return out;
}

export function formatGtidSet(set: GtidSet): string {
  return [...set.keys()]
    .sort()
    .map((source) => {
      const intervals = (set.get(source) ?? []).map(([f, l]) => (f === l ? `${f}` : `${f}-${l}`));
      return `${source}:${intervals.join(":")}`;
    })
    .join(",");
}

export function gtidUnion(a: GtidSet, b: GtidSet): GtidSet {
  const all = new Map<string, (readonly [bigint, bigint])[]>();
  for (const set of [a, b])
    for (const [source, list] of set) all.set(source, [...(all.get(source) ?? []), ...list]);
  const out = new Map<string, [bigint, bigint][]>();
  for (const [source, list] of all) out.set(source, normalise(list));
  return out;
}

/** What `a` has and `b` has not (MySQL's GTID_SUBTRACT(a, b)). */
export function gtidSubtract(a: GtidSet, b: GtidSet): GtidSet {
  const out = new Map<string, [bigint, bigint][]>();
  for (const [source, list] of a) {
    let remaining: [bigint, bigint][] = list.map(([f, l]) => [f, l]);
    for (const [bf, bl] of b.get(source) ?? []) {
      const next: [bigint, bigint][] = [];
      for (const [f, l] of remaining) {
        if (bl < f || bf > l) {
          next.push([f, l]);
          continue;
        }
        if (f < bf) next.push([f, bf - 1n]);
        if (l > bl) next.push([bl + 1n, l]);
      }
      remaining = next;
    }
    if (remaining.length > 0) out.set(source, remaining);
  }
  return out;
}

/** Whether every transaction of `a` is in `b` (MySQL's GTID_SUBSET(a, b)). */
export function gtidSubset(a: GtidSet, b: GtidSet): boolean {
  return gtidSubtract(a, b).size === 0;
}

/** The number of transactions in the set. */
export function gtidCount(set: GtidSet): bigint {
  let n = 0n;
  for (const list of set.values()) for (const [f, l] of list) n += l - f + 1n;
  return n;
}

/** The set restricted to the sources whose UUID is not `uuid`. */
export function gtidWithoutServer(set: GtidSet, uuid: string): GtidSet {
  const out = new Map<string, readonly (readonly [bigint, bigint])[]>();
  for (const [source, list] of set) if (source.split(":")[0] !== uuid) out.set(source, list);
  return out;
}

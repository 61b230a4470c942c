// What `get`, `status`, `apply --wait` and `env list` print about Architectures:
// tables, durations, what is still not ready, and the lines a non-TTY wait
// prints when something changes. Pure: objects and a clock reading in, lines out.
import type { Style } from "../context.ts";

export interface ArchCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface ArchComponentStatus {
  name: string;
  type: string;
  ready: number;
  desired: number;
  message?: string;
}

/** An Architecture as the API server returns it (only what the views read). */
export interface ArchView {
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec?: { ttl?: string; deletionPolicy?: string; components?: { name: string; type: string }[] };
  status?: {
    observedGeneration?: number;
    phase?: string;
    ready?: string;
    conditions?: ArchCondition[];
    components?: ArchComponentStatus[];
    endpoints?: { name: string; url: string }[];
    expiresAt?: string;
  };
}

const PLAIN: Style = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  yellow: (s) => s,
  green: (s) => s,
  cyan: (s) => s,
};

export { PLAIN as PLAIN_STYLE };

/** kubectl's short durations: 45s, 3m12s, 5h3m, 2d4h, 400d. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ""}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ""}`;
  return `${d}d`;
}

export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return "<unknown>";
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? "<unknown>" : shortDuration(now.getTime() - t);
}

/** "in 1h59m", "expired", or "-" when there is no TTL. */
export function expires(arch: ArchView, now: Date): string {
  const at = arch.status?.expiresAt;
  if (!at) return arch.spec?.ttl ? `ttl ${arch.spec.ttl}` : "-";
  const left = Date.parse(at) - now.getTime();
  if (Number.isNaN(left)) return at;
  return left <= 0 ? "expired" : `in ${shortDuration(left)}`;
}

export function condition(arch: ArchView, type: string): ArchCondition | undefined {
  return arch.status?.conditions?.find((c) => c.type === type);
}

/** The phase to show: Deleting while a deletion is pending, Unknown before the operator wrote one. */
export function phaseOf(arch: ArchView): string {
  if (arch.metadata.deletionTimestamp) return "Deleting";
  return arch.status?.phase ?? "Unknown";
}

/** Whether the operator has seen the current generation. */
export function observed(arch: ArchView): boolean {
  const gen = arch.metadata.generation;
  return gen === undefined || arch.status?.observedGeneration === gen;
}

export function readyText(arch: ArchView): string {
  if (arch.status?.ready) return arch.status.ready;
  const n = arch.spec?.components?.length;
  return n === undefined ? "-" : `0/${n}`;
}

function paintPhase(phase: string, s: Style): string {
  if (phase === "Ready") return s.green(phase);
  if (phase === "Degraded") return s.red(phase);
  if (phase === "Unknown" || phase === "Deleting") return s.dim(phase);
  return s.yellow(phase);
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Columns padded to the widest cell (colour codes do not count), 3 spaces apart like kubectl. */
export function table(rows: string[][], gap = 3): string[] {
  const visible = (s: string) => s.replace(ANSI, "").length;
  const widths: number[] = [];
  for (const r of rows)
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, visible(c));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visible(c) + gap)))
      .join("")
      .trimEnd(),
  );
}

export interface GetTableOptions {
  wide?: boolean;
  allNamespaces?: boolean;
  style?: Style;
}

/** `archctl get`: NAME PHASE READY AGE EXPIRES [REASON MESSAGE], like kubectl's printer columns. */
export function getTable(items: ArchView[], now: Date, opts: GetTableOptions = {}): string[] {
  const s = opts.style ?? PLAIN;
  const header = [
    ...(opts.allNamespaces ? ["NAMESPACE"] : []),
    "NAME",
    "PHASE",
    "READY",
    "AGE",
    "EXPIRES",
    ...(opts.wide ? ["REASON", "MESSAGE"] : []),
  ];
  const rows = items.map((a) => {
    const ready = condition(a, "Ready");
    return [
      ...(opts.allNamespaces ? [a.metadata.namespace ?? ""] : []),
      a.metadata.name,
      paintPhase(phaseOf(a), s),
      readyText(a),
      age(a.metadata.creationTimestamp, now),
      expires(a, now),
      ...(opts.wide ? [ready?.reason ?? "-", oneLine(ready?.message ?? "-", 120)] : []),
    ];
  });
  return table([header, ...rows]);
}

/** What `get -w` compares to decide that a row changed (not the clock-driven AGE/EXPIRES text). */
function rowFingerprint(a: ArchView, wide: boolean): string {
  const ready = condition(a, "Ready");
  return JSON.stringify([
    phaseOf(a),
    readyText(a),
    a.status?.expiresAt ?? a.spec?.ttl ?? "",
    wide ? [ready?.reason, ready?.message] : [],
  ]);
}

export interface WatchState {
  /** namespace/name -> fingerprint of the last row printed. */
  seen: Map<string, string>;
  /** The last object seen per key (to print a row for one that went away). */
  last: Map<string, ArchView>;
}

/**
 * `get -w`: the lines to print for a new list of Architectures: the whole
 * table the first time, then (like kubectl get -w) only the rows of those that
 * changed or are new, and of those that are gone with phase Deleted. Pure.
 */
export function watchLines(
  state: WatchState | undefined,
  items: ArchView[],
  now: Date,
  opts: GetTableOptions = {},
): { lines: string[]; state: WatchState } {
  const key = (a: ArchView) => `${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const next: WatchState = { seen: new Map(), last: new Map() };
  for (const a of items) {
    next.seen.set(key(a), rowFingerprint(a, opts.wide === true));
    next.last.set(key(a), a);
  }
  if (!state) return { lines: getTable(items, now, opts), state: next };
  const gone = [...state.last]
    .filter(([k]) => !next.seen.has(k))
    .map(([, a]) => {
      const { deletionTimestamp: _d, ...metadata } = a.metadata;
      return { ...a, metadata };
    });
  const changed = items.filter((a) => state.seen.get(key(a)) !== next.seen.get(key(a)));
  if (!changed.length && !gone.length) return { lines: [], state: next };
  const shown = [
    ...changed,
    ...gone.map((a) => ({ ...a, status: { ...a.status, phase: "Deleted" } })),
  ];
  // Aligned with each other, without the header (printed once, at the start).
  return { lines: getTable(shown, now, opts).slice(1), state: next };
}

export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `archctl status NAME`: summary, components, conditions, endpoints. */
export function statusLines(arch: ArchView, now: Date, style: Style = PLAIN): string[] {
  const s = style;
  const phase = phaseOf(arch);
  const out: string[] = [];
  const gen = arch.metadata.generation;
  const seen = arch.status?.observedGeneration;
  out.push(
    `${s.bold("Architecture")} ${arch.metadata.name}  ${s.dim("namespace")} ${arch.metadata.namespace ?? "-"}`,
  );
  out.push(
    `${s.dim("Phase")}  ${paintPhase(phase, s)}   ${s.dim("Ready")}  ${readyText(arch)}   ${s.dim("Age")}  ${age(arch.metadata.creationTimestamp, now)}   ${s.dim("Expires")}  ${expires(arch, now)}`,
  );
  if (gen !== undefined && seen !== gen)
    out.push(
      s.yellow(
        `the operator has not yet reconciled generation ${gen} (observed: ${seen ?? "none"})`,
      ),
    );
  const ready = condition(arch, "Ready");
  if (ready && ready.status !== "True")
    out.push(`${s.dim("Reason")} ${ready.reason ?? "-"}: ${ready.message ?? ""}`);
  out.push("");
  out.push(...componentLines(arch, s));
  const conds = arch.status?.conditions ?? [];
  if (conds.length) {
    out.push("");
    out.push(
      ...table([
        ["CONDITION", "STATUS", "REASON", "SINCE", "MESSAGE"],
        ...conds.map((c) => [
          c.type,
          c.status === "True"
            ? c.type === "Degraded" || c.type === "Stalled"
              ? s.red(c.status)
              : s.green(c.status)
            : c.status,
          c.reason ?? "-",
          age(c.lastTransitionTime, now),
          oneLine(c.message ?? "", 160),
        ]),
      ]),
    );
  }
  const eps = arch.status?.endpoints ?? [];
  if (eps.length) {
    out.push("");
    out.push(...table([["ENDPOINT", "URL"], ...eps.map((e) => [e.name, s.cyan(e.url)])]));
  }
  return out;
}

export function componentLines(arch: ArchView, s: Style = PLAIN): string[] {
  const comps = arch.status?.components;
  const rows: string[][] = comps?.length
    ? comps.map((c) => [
        c.name,
        c.type,
        c.ready >= c.desired
          ? s.green(`${c.ready}/${c.desired}`)
          : s.yellow(`${c.ready}/${c.desired}`),
        oneLine(c.message ?? "", 100),
      ])
    : (arch.spec?.components ?? []).map((c) => [c.name, c.type, "-", "waiting for the operator"]);
  return table([["COMPONENT", "TYPE", "READY", "MESSAGE"], ...rows]);
}

/** Components not ready yet, one per line, for a timeout message. */
export function notReadyLines(arch: ArchView): string[] {
  const out: string[] = [];
  const gen = arch.metadata.generation;
  if (!observed(arch))
    out.push(
      `the operator has not reconciled generation ${gen} yet (observed: ${arch.status?.observedGeneration ?? "none"}); is it running? (archctl install, or archctl operator run)`,
    );
  for (const c of arch.status?.components ?? [])
    if (c.ready < c.desired) out.push(componentText(c));
  return out;
}

/** `api 1/2 ready - rolling out: 1/2 updated` (the message only when it says more). */
export function componentText(c: ArchComponentStatus): string {
  const redundant = !c.message || /^[0-9]+\/[0-9]+ replicas ready$/.test(c.message);
  return `${c.name} ${c.ready}/${c.desired} ready${redundant ? "" : ` - ${oneLine(c.message ?? "", 160)}`}`;
}

/** A short fingerprint of what a wait shows, to print only on change. */
function snapshot(arch: ArchView | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (!arch) return m;
  const ready = condition(arch, "Ready");
  m.set(
    "",
    `phase ${phaseOf(arch)}, ${readyText(arch)} ready${
      observed(arch) ? "" : ` (generation ${arch.metadata.generation} not yet observed)`
    }${ready && ready.status !== "True" ? ` - ${ready.reason}: ${oneLine(ready.message ?? "", 200)}` : ""}`,
  );
  for (const c of arch.status?.components ?? []) m.set(c.name, componentText(c));
  return m;
}

/** Plain timestamped lines for what changed between two reads (non-TTY waits). */
export function changeLines(prev: ArchView | undefined, next: ArchView, now: Date): string[] {
  const a = snapshot(prev);
  const b = snapshot(next);
  const stamp = now.toISOString().replace(/\.[0-9]{3}Z$/, "Z");
  const out: string[] = [];
  for (const [k, v] of b) {
    if (a.get(k) === v) continue;
    out.push(k === "" ? `${stamp} ${next.metadata.name}: ${v}` : `${stamp}   ${v}`);
  }
  return out;
}

/** The summary after a successful wait: ready components and the endpoints. */
export function readySummary(arch: ArchView, elapsedMs: number, style: Style = PLAIN): string[] {
  const out = [
    `${style.green("✓")} ${arch.metadata.name} is Ready (${readyText(arch)} components) after ${shortDuration(elapsedMs)}`,
  ];
  for (const e of arch.status?.endpoints ?? []) out.push(`  ${e.name}: ${style.cyan(e.url)}`);
  if (arch.status?.expiresAt) out.push(`  expires ${arch.status.expiresAt}`);
  return out;
}

// A unified diff of two texts (line based, LCS), with context and hunks, as
// `diff -u` and `kubectl diff` print it. Pure.
import type { Style } from "../context.ts";

export type DiffOp = { op: " " | "-" | "+"; line: string };

/** The edit script from `a` to `b` (longest common subsequence of lines). */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  // Trim the common prefix and suffix first: plans change a few lines of long texts.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  // lcs[i][j] = LCS length of a[start+i..endA) and b[start+j..endB)
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const below = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) {
      row[j] =
        a[start + i] === b[start + j]
          ? (below[j + 1] as number) + 1
          : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const out: DiffOp[] = [];
  for (let k = 0; k < start; k++) out.push({ op: " ", line: a[k] as string });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[start + i] === b[start + j]) {
      out.push({ op: " ", line: a[start + i] as string });
      i++;
      j++;
    } else if (
      j < m &&
      (i >= n ||
        ((lcs[i] as Uint32Array)[j + 1] as number) >= ((lcs[i + 1] as Uint32Array)[j] as number))
    ) {
      out.push({ op: "+", line: b[start + j] as string });
      j++;
    } else {
      out.push({ op: "-", line: a[start + i] as string });
      i++;
    }
  }
  // Removals before additions inside a run of changes reads better.
  for (let k = endA; k < a.length; k++) out.push({ op: " ", line: a[k] as string });
  return reorderRuns(out);
}

function reorderRuns(ops: DiffOp[]): DiffOp[] {
  const out: DiffOp[] = [];
  let k = 0;
  while (k < ops.length) {
    if ((ops[k] as DiffOp).op === " ") {
      out.push(ops[k] as DiffOp);
      k++;
      continue;
    }
    const run: DiffOp[] = [];
    while (k < ops.length && (ops[k] as DiffOp).op !== " ") run.push(ops[k++] as DiffOp);
    out.push(...run.filter((o) => o.op === "-"), ...run.filter((o) => o.op === "+"));
  }
  return out;
}

export interface UnifiedOptions {
  context?: number;
  fromLabel?: string;
  toLabel?: string;
  style?: Style;
  indent?: string;
}

/** `diff -u` output of two texts; empty when they are equal. */
export function unifiedDiff(a: string, b: string, opts: UnifiedOptions = {}): string[] {
  if (a === b) return [];
  const context = opts.context ?? 3;
  const la = a === "" ? [] : a.replace(/\n$/, "").split("\n");
  const lb = b === "" ? [] : b.replace(/\n$/, "").split("\n");
  const ops = diffLines(la, lb);
  if (ops.every((o) => o.op === " ")) return [];
  const s = opts.style;
  const ind = opts.indent ?? "";
  const out: string[] = [];
  if (opts.fromLabel !== undefined)
    out.push(`${ind}${s ? s.red(`--- ${opts.fromLabel}`) : `--- ${opts.fromLabel}`}`);
  if (opts.toLabel !== undefined)
    out.push(`${ind}${s ? s.green(`+++ ${opts.toLabel}`) : `+++ ${opts.toLabel}`}`);
  // Positions of changes, grouped into hunks with `context` lines around them.
  const changed = ops.map((o, idx) => (o.op === " " ? -1 : idx)).filter((x) => x >= 0);
  const hunks: [number, number][] = [];
  for (const idx of changed) {
    const from = Math.max(0, idx - context);
    const to = Math.min(ops.length - 1, idx + context);
    const last = hunks[hunks.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else hunks.push([from, to]);
  }
  // Line numbers for the hunk headers.
  const posA: number[] = [];
  const posB: number[] = [];
  let na = 1;
  let nb = 1;
  for (const o of ops) {
    posA.push(na);
    posB.push(nb);
    if (o.op !== "+") na++;
    if (o.op !== "-") nb++;
  }
  for (const [from, to] of hunks) {
    const slice = ops.slice(from, to + 1);
    const countA = slice.filter((o) => o.op !== "+").length;
    const countB = slice.filter((o) => o.op !== "-").length;
    const header = `@@ -${countA ? posA[from] : (posA[from] as number) - 1},${countA} +${countB ? posB[from] : (posB[from] as number) - 1},${countB} @@`;
    out.push(`${ind}${s ? s.cyan(header) : header}`);
    for (const o of slice) {
      const text = `${o.op}${o.line}`;
      out.push(ind + (s && o.op === "-" ? s.red(text) : s && o.op === "+" ? s.green(text) : text));
    }
  }
  return out;
}

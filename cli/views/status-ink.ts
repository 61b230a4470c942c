// The live view of `apply --wait`, `env create --wait` and `status -w` on a
// terminal: components with ready/desired, the current Ready reason, elapsed
// time, and a final summary with the endpoints. A pure function of its props;
// loaded only when a terminal view is shown (ink and react are heavy).
import { Box, Text } from "ink";
import React from "react";
import type { ArchView } from "./status.ts";
import { condition, observed, oneLine, phaseOf, readyText, shortDuration } from "./status.ts";

const h = React.createElement;

export type ViewOutcome = "ready" | "degraded" | "timeout" | "gone" | undefined;

export interface StatusViewProps {
  name: string;
  arch: ArchView | undefined;
  elapsedMs: number;
  /** Set when the wait is over: the frame becomes the final summary. */
  outcome?: ViewOutcome;
  /** One-line notices (API server blip, no operator). */
  notes?: string[];
  /** What we wait for, for the header ("Ready", "deletion"). */
  goal?: string;
  /**
   * false with --no-color or NO_COLOR: no colour, bold or dim attributes at all.
   * (ink's chalk only looks at FORCE_COLOR and a --no-color argument, not at
   * NO_COLOR, so the choice is made here.)
   */
  color?: boolean;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

function phaseColor(phase: string): string {
  if (phase === "Ready") return "green";
  if (phase === "Degraded") return "red";
  if (phase === "Unknown" || phase === "Deleting") return "gray";
  return "yellow";
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

type TextStyle = { color?: string | undefined; bold?: boolean; dimColor?: boolean };

export function StatusView(props: StatusViewProps): React.ReactElement {
  const { arch, outcome } = props;
  const plain = props.color === false;
  // Text props with the styling dropped when colour is off (wrap and the rest stay).
  const st = <T extends TextStyle>(p: T): T | Omit<T, keyof TextStyle> => {
    if (!plain) return p;
    const { color: _c, bold: _b, dimColor: _d, ...rest } = p;
    return rest;
  };
  const phase = arch ? phaseOf(arch) : "Unknown";
  const elapsed = shortDuration(props.elapsedMs);
  const spinner = SPINNER[Math.floor(props.elapsedMs / 100) % SPINNER.length] as string;
  const header = outcome
    ? h(
        Text,
        st({
          bold: true,
          color: outcome === "ready" ? "green" : outcome === "degraded" ? "red" : "yellow",
        }),
        outcome === "ready"
          ? `✓ ${props.name} is Ready (${arch ? readyText(arch) : "-"}) after ${elapsed}`
          : outcome === "degraded"
            ? `✗ ${props.name} is Degraded after ${elapsed}`
            : outcome === "gone"
              ? `${props.name} is gone (${elapsed})`
              : props.goal === "watch"
                ? `${props.name}: stopped watching after ${elapsed}`
                : `… ${props.name} is not ${props.goal ?? "Ready"} after ${elapsed} (timed out)`,
      )
    : h(
        Text,
        null,
        h(Text, st({ color: "cyan" }), spinner),
        props.goal === "watch"
          ? ` ${props.name}  `
          : ` waiting for ${props.name} to be ${props.goal ?? "Ready"}  `,
        h(Text, st({ color: phaseColor(phase) }), phase),
        `  ${arch ? readyText(arch) : "-"} ready  `,
        h(Text, st({ dimColor: true }), elapsed),
      );
  const comps = arch?.status?.components ?? [];
  const width = Math.max(9, ...comps.map((c) => c.name.length)) + 2;
  const rows = comps.map((c) =>
    h(
      Box,
      { key: c.name },
      h(Text, null, pad(c.name, width)),
      h(Text, st({ dimColor: true }), pad(c.type, 10)),
      h(
        Text,
        st({ color: c.ready >= c.desired ? "green" : "yellow" }),
        pad(`${c.ready}/${c.desired}`, 7),
      ),
      h(Text, st({ dimColor: true, wrap: "truncate-end" as const }), oneLine(c.message ?? "", 90)),
    ),
  );
  const ready = arch ? condition(arch, "Ready") : undefined;
  const reason =
    ready && ready.status !== "True"
      ? h(
          Text,
          st({ color: outcome === "degraded" ? "red" : undefined, wrap: "wrap" as const }),
          h(Text, st({ bold: true }), `${ready.reason ?? "NotReady"}: `),
          oneLine(
            (outcome === "degraded"
              ? condition(arch as ArchView, "Degraded")?.message
              : undefined) ??
              ready.message ??
              "",
            400,
          ),
        )
      : null;
  const generation =
    arch && !observed(arch) && !outcome
      ? h(
          Text,
          st({ dimColor: true }),
          `generation ${arch.metadata.generation} not yet observed by the operator`,
        )
      : null;
  const endpoints =
    outcome === "ready"
      ? (arch?.status?.endpoints ?? []).map((e) =>
          h(Text, { key: e.name }, `  ${e.name}: `, h(Text, st({ color: "cyan" }), e.url)),
        )
      : [];
  const notes = (props.notes ?? []).map((n, i) =>
    h(Text, st({ key: `n${i}`, color: "yellow" }), n),
  );
  return h(
    Box,
    { flexDirection: "column" },
    header,
    generation,
    rows.length
      ? h(
          Box,
          { flexDirection: "column", marginLeft: 2 },
          h(
            Text,
            st({ dimColor: true }),
            `${pad("COMPONENT", width)}${pad("TYPE", 10)}${pad("READY", 7)}MESSAGE`,
          ),
          ...rows,
        )
      : null,
    reason,
    ...endpoints,
    ...notes,
  );
}

// The bench's report as the sections write into it: rows of the figures table
// and detail lines (run.ts collects them and writes BENCHMARKS.md).

export type Status = "meets" | "misses" | "info";

export interface Row {
  section: string;
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  goal: string;
  status: Status;
}

export type RowInput = Partial<Row> & Pick<Row, "section" | "figure" | "value">;

export interface Report {
  row(r: RowInput): void;
  detail(s: string): void;
}

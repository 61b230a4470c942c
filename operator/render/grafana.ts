// The Grafana dashboard model archctl writes, for an Architecture's dashboard
// and for the operator's own: a two-column grid of time series, a data source
// variable, stable ids and key order (the JSON is compared byte for byte).

export const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const PANEL_W = 12;
const PANEL_H = 8;

export interface PanelSpec {
  title: string;
  description?: string;
  unit: string;
  type?: "timeseries" | "stat";
  targets: { expr: string; legendFormat: string }[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description?: string;
  tags: string[];
  /** Template variables after the data source one. */
  variables?: Record<string, unknown>[];
  panels: PanelSpec[];
}

function panel(p: PanelSpec, i: number): Record<string, unknown> {
  return {
    id: i + 1,
    type: p.type ?? "timeseries",
    title: p.title,
    ...(p.description !== undefined ? { description: p.description } : {}),
    datasource: DATASOURCE,
    gridPos: { h: PANEL_H, w: PANEL_W, x: (i % 2) * PANEL_W, y: Math.floor(i / 2) * PANEL_H },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: {
      legend: { displayMode: "list", placement: "bottom", showLegend: true },
      tooltip: { mode: "multi", sort: "none" },
    },
    targets: p.targets.map((t, j) => ({
      datasource: DATASOURCE,
      expr: t.expr,
      legendFormat: t.legendFormat,
      refId: String.fromCharCode(65 + j),
    })),
  };
}

export function grafanaDashboard(spec: DashboardSpec): Record<string, unknown> {
  return {
    uid: spec.uid,
    title: spec.title,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    tags: spec.tags,
    timezone: "browser",
    schemaVersion: 39,
    editable: true,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
        },
        ...(spec.variables ?? []),
      ],
    },
    annotations: { list: [] },
    panels: spec.panels.map(panel),
  };
}

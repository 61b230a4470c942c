// The shape of an Architecture as a graph: components, data flows (uses),
// ingress hosts with their rate limits, GPU pools, schedules, autoscaling and
// backups. Pure: ResolvedArchitecture in, text out (mermaid, dot or plain).
import type { ResolvedArchitecture, ResolvedComponent } from "../../operator/api/defaults.ts";
import { isDatastoreType } from "../../operator/api/schema.ts";

export type NodeKind = "host" | "app" | "datastore" | "gpuPool" | "backup";
export type EdgeKind = "route" | "uses" | "runsOn" | "backup" | "scalesOn";

export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
  /** Second line: type, scale, schedule, limits. */
  detail: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label: string;
}

export interface Graph {
  name: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const id = (kind: string, name: string): string => `${kind}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;

function rateLimitText(arch: ResolvedArchitecture): string {
  const rl = arch.ingress?.rateLimit;
  if (!rl) return "no rate limit";
  const parts: string[] = [];
  if (rl.rps !== undefined) parts.push(`${rl.rps} rps`);
  if (rl.rpm !== undefined) parts.push(`${rl.rpm} rpm`);
  if (rl.connections !== undefined) parts.push(`${rl.connections} conns`);
  if (rl.burstMultiplier !== undefined) parts.push(`burst x${rl.burstMultiplier}`);
  return `limit ${parts.join(", ")} per IP`;
}

function scaleText(c: ResolvedComponent, arch: ResolvedArchitecture): string {
  const a = arch.autoscaling.find((x) => x.component === c.name);
  if (a) {
    const on: string[] = [];
    if (a.targetCPUUtilization !== undefined) on.push(`cpu ${a.targetCPUUtilization}%`);
    if (a.targetMemoryUtilization !== undefined) on.push(`mem ${a.targetMemoryUtilization}%`);
    if (a.queue) on.push(`queue ${a.queue.name} / ${a.queue.targetLength}`);
    return `${a.minReplicas}-${a.maxReplicas} replicas (${on.join(", ")})`;
  }
  if (c.type === "cron") return `cron '${c.schedule}'${c.timeZone ? ` ${c.timeZone}` : ""}`;
  if (c.type === "job") return `job x${c.completions ?? 1} (parallel ${c.parallelism ?? 1})`;
  if (c.singleton) return "singleton";
  return `${c.replicas} replica${c.replicas === 1 ? "" : "s"}`;
}

export function buildGraph(arch: ResolvedArchitecture): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const h of arch.ingress?.hosts ?? []) {
    nodes.push({
      id: id("host", h.host),
      kind: "host",
      label: `${arch.ingress?.tls ? "https" : "http"}://${h.host}`,
      detail: rateLimitText(arch),
    });
    for (const r of h.routes)
      edges.push({
        from: id("host", h.host),
        to: id("c", r.component),
        kind: "route",
        label: r.path,
      });
  }
  for (const c of arch.components) {
    const datastore = isDatastoreType(c.type);
    const detail = datastore
      ? `${c.type} ${c.version ?? ""}`.trim() + (c.storage ? `, ${String(c.storage.size)}` : "")
      : `${c.type}, ${scaleText(c, arch)}`;
    nodes.push({
      id: id("c", c.name),
      kind: datastore ? "datastore" : "app",
      label: c.name,
      detail,
    });
    for (const u of c.uses)
      edges.push({ from: id("c", c.name), to: id("c", u), kind: "uses", label: "uses" });
    if (c.gpu)
      edges.push({
        from: id("c", c.name),
        to: id("pool", c.gpu.pool),
        kind: "runsOn",
        label: `${c.gpu.count} GPU`,
      });
  }
  for (const a of arch.autoscaling) {
    if (a.queue)
      edges.push({
        from: id("c", a.queue.component),
        to: id("c", a.component),
        kind: "scalesOn",
        label: `scales on ${a.queue.name}`,
      });
  }
  for (const p of arch.gpuPools) {
    const selector = Object.entries(p.nodeSelector)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    nodes.push({
      id: id("pool", p.name),
      kind: "gpuPool",
      label: `GPU pool ${p.name}`,
      detail: `${p.resourceName}; ${selector}`,
    });
  }
  for (const b of arch.backups) {
    const target = b.s3 ? `s3://${b.s3.bucket}` : `pvc ${String(b.pvc?.size ?? "")}`;
    nodes.push({
      id: id("backup", b.component),
      kind: "backup",
      label: `backup ${b.component}`,
      detail: `'${b.schedule}', keep ${b.retention}, ${target}`,
    });
    edges.push({
      from: id("c", b.component),
      to: id("backup", b.component),
      kind: "backup",
      label: "backup",
    });
  }
  return { name: arch.name, nodes, edges };
}

const mermaidText = (s: string): string => s.replace(/"/g, "#quot;");

export function toMermaid(g: Graph): string {
  const lines = ["flowchart LR"];
  const shape: Record<NodeKind, [string, string]> = {
    host: ["([", "])"],
    app: ["[", "]"],
    datastore: ["[(", ")]"],
    gpuPool: ["{{", "}}"],
    backup: ["[/", "/]"],
  };
  for (const n of g.nodes) {
    const [open, close] = shape[n.kind];
    lines.push(
      `  ${n.id}${open}"${mermaidText(n.label)}<br/><small>${mermaidText(n.detail)}</small>"${close}`,
    );
  }
  const arrow: Record<EdgeKind, string> = {
    route: "-->",
    uses: "-->",
    runsOn: "-.->",
    backup: "-.->",
    scalesOn: "-.->",
  };
  for (const e of g.edges)
    lines.push(`  ${e.from} ${arrow[e.kind]}|"${mermaidText(e.label)}"| ${e.to}`);
  return `${lines.join("\n")}\n`;
}

const dotText = (s: string): string => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

export function toDot(g: Graph): string {
  const shape: Record<NodeKind, string> = {
    host: "oval",
    app: "box",
    datastore: "cylinder",
    gpuPool: "hexagon",
    backup: "note",
  };
  const lines = [
    `digraph "${dotText(g.name)}" {`,
    "  rankdir=LR;",
    '  node [fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const n of g.nodes)
    lines.push(
      `  ${n.id} [shape=${shape[n.kind]}, label="${dotText(n.label)}\\n${dotText(n.detail)}"];`,
    );
  for (const e of g.edges) {
    const style = e.kind === "uses" || e.kind === "route" ? "" : ", style=dashed";
    lines.push(`  ${e.from} -> ${e.to} [label="${dotText(e.label)}"${style}];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

export function toText(g: Graph): string {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const name = (nid: string): string => byId.get(nid)?.label ?? nid.replace(/^[a-z]+_/, "");
  const out: string[] = [`Architecture ${g.name}`];
  const section = (title: string, kind: NodeKind, extra: (n: GraphNode) => string[]) => {
    const ns = g.nodes.filter((n) => n.kind === kind);
    if (ns.length === 0) return;
    out.push("", `${title}:`);
    for (const n of ns) {
      out.push(`  ${n.label}  ${n.detail}`);
      for (const line of extra(n)) out.push(`    ${line}`);
    }
  };
  const from = (n: GraphNode, kind: EdgeKind) =>
    g.edges.filter((e) => e.from === n.id && e.kind === kind);
  section("Ingress", "host", (n) => from(n, "route").map((e) => `${e.label} -> ${name(e.to)}`));
  section("Applications", "app", (n) => [
    ...from(n, "uses").map((e) => `uses ${name(e.to)}`),
    ...from(n, "runsOn").map((e) => `runs on ${name(e.to)} (${e.label})`),
    ...g.edges
      .filter((e) => e.to === n.id && e.kind === "scalesOn")
      .map((e) => `${e.label} in ${name(e.from)}`),
  ]);
  section("Datastores", "datastore", (n) => {
    const users = g.edges
      .filter((e) => e.to === n.id && e.kind === "uses")
      .map((e) => name(e.from));
    return users.length ? [`used by ${users.join(", ")}`] : [];
  });
  section("GPU pools", "gpuPool", () => []);
  section("Backups", "backup", () => []);
  return `${out.join("\n")}\n`;
}

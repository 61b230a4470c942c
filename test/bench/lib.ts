// Helpers of the benchmark (test/bench/run.ts): a lean API client with one
// pooled connection set (the "practical API-server limit" baseline), the API
// server's own request counters, fixtures from the five blueprints, statistics.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { Agent } from "undici";
import { loadBlueprint } from "../../operator/api/blueprint.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { resourceFor, resourcePath } from "../../operator/kube/resources.ts";
import { withHash } from "../../operator/reconcile/drift.ts";
import { randomAlphanumeric } from "../../operator/reconcile/reconciler.ts";
import { materializeSecret } from "../../operator/render/connection.ts";
import { render } from "../../operator/render/index.ts";
import type { Capabilities, KubeObject } from "../../operator/render/types.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";

// ---------------------------------------------------------------------------
// A small API client: one undici Agent for the whole run (keep-alive, pooled
// TLS connections), no per-request set-up.

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export class BenchApi {
  readonly server: URL;
  private readonly agent: Agent;

  constructor(kubeconfig: string, connections = 32) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    if (!cluster || !user) throw new Error(`${kubeconfig}: no current cluster/user`);
    const pem = (file?: string, data?: string) =>
      file ? readFileSync(file) : data ? Buffer.from(data, "base64") : undefined;
    this.server = new URL(cluster.server);
    const connect: Record<string, unknown> = { keepAlive: true };
    const ca = pem(cluster.caFile, cluster.caData);
    const cert = pem(user.certFile, user.certData);
    const key = pem(user.keyFile, user.keyData);
    if (ca) connect.ca = ca;
    if (cert) connect.cert = cert;
    if (key) connect.key = key;
    this.agent = new Agent({ connect, connections, pipelining: 1 });
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
    accept = "application/json",
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] = contentType;
    }
    const res = await this.agent.request({
      origin: this.server.origin,
      path,
      method: method as "GET",
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    const parsed = accept === "application/json" && text ? JSON.parse(text) : text;
    return { status: res.statusCode, body: parsed as T };
  }

  async ok<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<T> {
    const r = await this.request<T>(method, path, body, contentType);
    if (r.status >= 300)
      throw new Error(
        `${method} ${path}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`,
      );
    return r.body;
  }

  /** Server-side apply (the body is JSON, which is YAML). */
  apply(obj: KubeObject, fieldManager: string): Promise<unknown> {
    const r = resourceFor(obj.apiVersion, obj.kind);
    const path = `${resourcePath(r, obj.metadata.namespace, obj.metadata.name)}?fieldManager=${fieldManager}&force=true`;
    return this.ok("PATCH", path, obj, "application/apply-patch+yaml");
  }

  async metricsText(): Promise<string> {
    const r = await this.request<string>("GET", "/metrics", undefined, undefined, "text/plain");
    if (r.status !== 200) throw new Error(`GET /metrics: HTTP ${r.status}`);
    return r.body;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool<T>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---------------------------------------------------------------------------
// Prometheus text format.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

export function metricValue(samples: Sample[], name: string): number | undefined {
  const s = samples.filter((x) => x.name === name);
  return s.length ? s.reduce((a, b) => a + b.value, 0) : undefined;
}

/** apiserver_request_total summed over codes, keyed "VERB resource[/subresource]" (resource requests only). */
export type RequestCounts = Map<string, number>;

export function apiserverRequests(text: string): RequestCounts {
  const counts: RequestCounts = new Map();
  for (const s of parseMetrics(text)) {
    if (s.name !== "apiserver_request_total") continue;
    const { verb, resource, subresource } = s.labels;
    if (!resource) continue; // /metrics, /healthz, discovery
    const k = `${verb} ${resource}${subresource ? `/${subresource}` : ""}`;
    counts.set(k, (counts.get(k) ?? 0) + s.value);
  }
  return counts;
}

export function diffCounts(after: RequestCounts, before: RequestCounts): RequestCounts {
  const d: RequestCounts = new Map();
  for (const [k, v] of after) {
    const x = v - (before.get(k) ?? 0);
    if (x > 0) d.set(k, x);
  }
  return d;
}

/** Operator-side counters (archctl_api_requests_total) keyed "VERB resource". */
export function operatorRequests(samples: Sample[]): RequestCounts {
  const counts: RequestCounts = new Map();
  for (const s of samples) {
    if (s.name !== "archctl_api_requests_total") continue;
    const k = `${s.labels.verb} ${s.labels.resource}`;
    counts.set(k, (counts.get(k) ?? 0) + s.value);
  }
  return counts;
}

export const WRITE_VERBS = new Set(["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"]);

export function sumCounts(c: RequestCounts, pred: (verb: string, resource: string) => boolean) {
  let n = 0;
  for (const [k, v] of c) {
    const [verb = "", resource = ""] = k.split(" ");
    if (pred(verb, resource)) n += v;
  }
  return n;
}

export function formatCounts(c: RequestCounts, per = 1): string {
  return (
    [...c]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${+(v / per).toFixed(2)}`)
      .join(", ") || "none"
  );
}

// ---------------------------------------------------------------------------
// Fixtures: the five reference blueprints, renamed.

export interface BlueprintFixture {
  name: string;
  arch: Architecture;
}

export function loadBlueprints(): BlueprintFixture[] {
  const dir = join(REPO_ROOT, "blueprints");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const loaded = loadBlueprint(readFileSync(file, "utf8"), { file });
      if (!loaded.architecture)
        throw new Error(`${f}: ${loaded.problems.map((p) => p.message).join("; ")}`);
      return { name: f.replace(/\.yaml$/, ""), arch: loaded.architecture };
    });
}

/** The i-th of a mixed set: blueprints in turn, named `<prefix>-<blueprint>-<i>`. */
export function mixedArchitecture(
  blueprints: BlueprintFixture[],
  i: number,
  prefix: string,
  namespace: string,
): Architecture {
  const bp = blueprints[i % blueprints.length] as BlueprintFixture;
  const arch = structuredClone(bp.arch);
  arch.metadata = {
    ...arch.metadata,
    name: `${prefix}-${bp.name}-${String(i).padStart(4, "0")}`,
    namespace,
  };
  return arch;
}

/**
 * Exactly what the operator writes for an Architecture: its rendered objects
 * with the hash annotation, and its credential Secrets as plain Secrets.
 */
export function childObjects(
  arch: Architecture,
  uid: string,
  capabilities: Capabilities,
): KubeObject[] {
  const stored = { ...arch, metadata: { ...arch.metadata, uid } } as Architecture;
  const rendered = render(stored, capabilities);
  const ownerReferences = [
    {
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      name: arch.metadata.name,
      uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  const secrets: KubeObject[] = rendered.secrets.map((spec) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: spec.name,
      namespace: arch.metadata.namespace as string,
      labels: spec.labels,
      ownerReferences,
    },
    type: "Opaque",
    stringData: materializeSecret(spec, randomAlphanumeric),
  }));
  return [...secrets, ...rendered.objects.map(withHash)];
}

/** A JSON patch that changes one field (an env var of the first application component). */
export function oneFieldPatch(arch: Architecture, value: string): unknown[] {
  const APP = new Set(["service", "gateway", "worker"]);
  const idx = arch.spec.components.findIndex((c) => APP.has(c.type));
  if (idx < 0) throw new Error(`${arch.metadata.name}: no application component`);
  const c = arch.spec.components[idx] as { env?: Record<string, string> };
  return c.env
    ? [{ op: "add", path: `/spec/components/${idx}/env/BENCH_REV`, value }]
    : [{ op: "add", path: `/spec/components/${idx}/env`, value: { BENCH_REV: value } }];
}

/** The same change applied locally (to count the children it should touch). */
export function withOneField(arch: Architecture, value: string): Architecture {
  const copy = structuredClone(arch);
  const APP = new Set(["service", "gateway", "worker"]);
  const c = copy.spec.components.find((x) => APP.has(x.type)) as { env?: Record<string, string> };
  c.env = { ...(c.env ?? {}), BENCH_REV: value };
  return copy;
}

// ---------------------------------------------------------------------------
// Statistics.

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))] as number;
}

export const median = (v: number[]) => percentile(v, 50);

export const ms = (x: number) =>
  Number.isFinite(x) ? `${x < 10 ? x.toFixed(1) : Math.round(x)} ms` : "n/a";
export const secs = (x: number) => `${(x / 1000).toFixed(1)} s`;
export const mib = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

/** Polls until fn() is truthy; throws after timeoutMs. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

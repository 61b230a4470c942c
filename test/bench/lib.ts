// Helpers of the benchmark (test/bench/run.ts): a lean API client with one
// pooled connection set (the "practical API-server limit" baseline), the API
// server's own request counters, fixtures from the five blueprints, statistics.
// Over 400 lines on purpose: the benchmark's helpers, used only by run.ts and
// memory.ts; each is a small independent function.

import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { Agent } from "undici";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { buildCrd } from "../../operator/api/crd.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { OPERATOR_NODE_OPTIONS } from "../../operator/install/manifests.ts";
import { resourceFor, resourcePath } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { withHash } from "../../operator/reconcile/drift.ts";
import { generateSecretValue } from "../../operator/reconcile/generate-secret.ts";
import { randomAlphanumeric } from "../../operator/reconcile/reconciler.ts";
import { materializeSecret } from "../../operator/render/connection.ts";
import { render } from "../../operator/render/index.ts";
import type { Capabilities } from "../../operator/render/types.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import { waitEstablished } from "../cluster/kubectl.ts";
import { kubectl } from "../cluster/kwok-cluster.ts";

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

  /**
   * Opens a watch (path with ?watch=true) and calls onEvent for each event,
   * parsed; resolves once the API server answered 200. Returns a stop function.
   */
  async watch(
    path: string,
    onEvent: (ev: { type: string; object: { metadata?: { resourceVersion?: string } } }) => void,
  ): Promise<() => void> {
    const ac = new AbortController();
    const res = await this.agent.request({
      origin: this.server.origin,
      path,
      method: "GET",
      headers: { accept: "application/json" },
      signal: ac.signal,
      headersTimeout: 60_000,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) throw new Error(`watch ${path}: HTTP ${res.statusCode}`);
    let buf = "";
    res.body.setEncoding("utf8");
    res.body.on("data", (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line) onEvent(JSON.parse(line));
      }
    });
    res.body.on("error", () => {}); // the abort below
    return () => ac.abort();
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

/**
 * The Architecture CRD, and a second Service range: the apiserver tier's is a
 * /24 (about 250 ClusterIPs) and the bench creates thousands of Services
 * (MultiCIDRServiceAllocator). Safe to run again on a kept cluster.
 */
export async function prepareCluster(kubeconfig: string, api: BenchApi): Promise<void> {
  await kubectl(kubeconfig, ["apply", "--server-side", "-f", "-"], {
    input: JSON.stringify(buildCrd()),
  });
  await waitEstablished((a, o) => kubectl(kubeconfig, a, o), ["architectures.archctl.io"]);
  const r = await api.request("POST", "/apis/networking.k8s.io/v1/servicecidrs", {
    apiVersion: "networking.k8s.io/v1",
    kind: "ServiceCIDR",
    metadata: { name: "archctl-bench" },
    spec: { cidrs: ["10.128.0.0/16"] },
  });
  if (r.status >= 300 && r.status !== 409)
    throw new Error(`POST servicecidrs: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
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
    stringData: materializeSecret(spec, randomAlphanumeric, generateSecretValue),
  }));
  return [...secrets, ...rendered.objects.map(withHash)];
}

/**
 * Creates Architectures and applies their children exactly as the operator
 * would (same content, hash, owner uid, field manager `archctl-operator`;
 * credential Secrets POSTed), without an operator running. Returns the number
 * of children written.
 */
export async function seedArchitectures(
  api: BenchApi,
  archs: Architecture[],
  capabilities: Capabilities,
  concurrency: number,
): Promise<number> {
  const seeded: KubeObject[] = [];
  await pool(archs, concurrency, async (a) => {
    const created = await api.ok<{ metadata: { uid: string } }>(
      "POST",
      `/apis/archctl.io/v1alpha1/namespaces/${a.metadata.namespace}/architectures`,
      a,
    );
    seeded.push(...childObjects(a, created.metadata.uid, capabilities));
  });
  await pool(seeded, concurrency, async (o) => {
    if (o.kind === "Secret")
      await api.ok(
        "POST",
        `/api/v1/namespaces/${o.metadata.namespace}/secrets?fieldManager=archctl-operator`,
        o,
      );
    else await api.apply(o, "archctl-operator");
  });
  return seeded.length;
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

// ---------------------------------------------------------------------------
// A Node process measured like the operator: `archctl operator run` (or the
// memory floor, floor.mjs) with --inspect so a GC can be forced from outside,
// and prom-client's process gauges on its /metrics.

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface MeasuredProcess {
  pid: number;
  port: number;
  logFile: string;
  wsUrl?: string;
  metrics(): Promise<Sample[]>;
  forceGc(): Promise<boolean>;
  stop(): Promise<void>;
}

const running = new Set<MeasuredProcess>();

/** Stops every process started by startMeasured (for a `finally`). */
export async function stopAllMeasured(): Promise<void> {
  for (const p of [...running]) await p.stop();
}

/**
 * The compiled CLI entry (what the image runs: `node dist/cli/archctl.js`,
 * with the compile cache) or the source entry (type stripping).
 */
export function cliEntry(how: "compiled" | "source"): string {
  return how === "compiled"
    ? join(REPO_ROOT, "dist", "cli", "archctl.js")
    : join(REPO_ROOT, "cli", "archctl.ts");
}

/**
 * Starts `node --inspect=127.0.0.1:0 <script> <args> --metrics-address 127.0.0.1:<port>`
 * and waits for its /readyz. The log (stdout and stderr) goes to
 * $TMPDIR/archctl-bench/<logName>.log.
 */
/**
 * The runtime settings operators are deployed with: the chart's NODE_OPTIONS
 * and the image's glibc malloc variables (operator/Dockerfile). Every measured
 * process (operators, shards, the floor) runs with them, unless
 * BENCH_RUNTIME=node-defaults asks for Node's own defaults.
 */
export const DEPLOYED_RUNTIME_ENV: Record<string, string> = {
  NODE_OPTIONS: OPERATOR_NODE_OPTIONS,
  MALLOC_ARENA_MAX: "2",
  MALLOC_TRIM_THRESHOLD_: "131072",
  MALLOC_MMAP_THRESHOLD_: "131072",
};

export const measuredEnv = (): NodeJS.ProcessEnv =>
  process.env.BENCH_RUNTIME === "node-defaults"
    ? process.env
    : { ...process.env, ...DEPLOYED_RUNTIME_ENV };

export async function startMeasured(
  script: string,
  args: string[],
  logName: string,
  env: NodeJS.ProcessEnv = measuredEnv(),
): Promise<MeasuredProcess> {
  const port = await freePort();
  const dir = join(tmpdir(), "archctl-bench");
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `${logName}.log`);
  const fd = openSync(logFile, "w");
  const child = spawn(
    process.execPath,
    ["--inspect=127.0.0.1:0", script, ...args, "--metrics-address", `127.0.0.1:${port}`],
    { stdio: ["ignore", fd, fd], cwd: REPO_ROOT, env },
  );
  closeSync(fd);
  let exited = false;
  const exitedP = new Promise<void>((r) =>
    child.once("exit", () => {
      exited = true;
      r();
    }),
  );
  const p: MeasuredProcess = {
    pid: child.pid ?? -1,
    port,
    logFile,
    async metrics() {
      // A kept-alive connection the server closes as it is reused fails with
      // ECONNRESET: one retry on a fresh connection.
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/metrics`);
          return parseMetrics(await r.text());
        } catch (err) {
          if (attempt >= 2 || exited) throw err;
          await sleep(200);
        }
      }
    },
    async forceGc() {
      if (!p.wsUrl) return false;
      const ws = new WebSocket(p.wsUrl);
      await new Promise<void>((res, rej) => {
        ws.onopen = () => res();
        ws.onerror = () => rej(new Error("inspector connection failed"));
      });
      const done = new Promise<void>((res) => {
        ws.onmessage = (m) => {
          if (JSON.parse(String(m.data)).id === 1) res();
        };
      });
      ws.send(JSON.stringify({ id: 1, method: "HeapProfiler.collectGarbage" }));
      await Promise.race([done, sleep(10_000)]);
      ws.close();
      return true;
    },
    async stop() {
      running.delete(p);
      if (exited) return;
      child.kill("SIGTERM");
      await Promise.race([exitedP, sleep(10_000)]);
      if (!exited) {
        child.kill("SIGKILL");
        await exitedP;
      }
    },
  };
  running.add(p);
  await until(
    `${logName} ready`,
    async () => {
      if (exited) throw new Error(`${script} exited; see ${logFile}`);
      p.wsUrl ??= /ws:\/\/127\.0\.0\.1:[0-9]+\/[0-9a-f-]+/.exec(readFileSync(logFile, "utf8"))?.[0];
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
    60_000,
    100,
  );
  return p;
}

/** `archctl operator run` watching one namespace, as its own process. */
export function startOperatorProcess(
  kubeconfig: string,
  namespace: string,
  logName: string,
  opts: { entry?: string; workers?: number } = {},
): Promise<MeasuredProcess> {
  return startMeasured(
    opts.entry ?? cliEntry("compiled"),
    [
      "--kubeconfig",
      kubeconfig,
      "operator",
      "run",
      "--watch-namespaces",
      namespace,
      "--workers",
      String(opts.workers ?? 4),
      "--resync",
      "3600",
      "--log-level",
      "info",
    ],
    logName,
  );
}

/** The memory floor: a bare Node process importing the operator's libraries (floor.mjs). */
export function startFloorProcess(): Promise<MeasuredProcess> {
  return startMeasured(join(REPO_ROOT, "test", "bench", "floor.mjs"), [], "floor");
}

/** The process's write counter has not moved, and its queue was empty, for quietMs. */
export async function settleProcess(p: MeasuredProcess, quietMs = 3000): Promise<void> {
  let last = -1;
  let since = Date.now();
  await until(
    "operator process to stop writing",
    async () => {
      const s = await p.metrics();
      const w = metricValue(s, "archctl_api_writes_total") ?? 0;
      const depth = metricValue(s, "archctl_workqueue_depth") ?? 0;
      if (w !== last || depth > 0) {
        last = w;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    300_000,
    500,
  );
}

export interface Memory {
  gc: boolean;
  rssBefore: number | undefined;
  heapBefore: number | undefined;
  rss: number | undefined;
  heap: number | undefined;
  heapTotal: number | undefined;
  external: number | undefined;
}

/** RSS and V8 heap from the process's /metrics, before and after a forced full GC. */
export async function memoryOf(p: MeasuredProcess): Promise<Memory> {
  const before = await p.metrics();
  const gc = await p.forceGc();
  await sleep(1000);
  const after = await p.metrics();
  return {
    gc,
    rssBefore: metricValue(before, "process_resident_memory_bytes"),
    heapBefore: metricValue(before, "nodejs_heap_size_used_bytes"),
    rss: metricValue(after, "process_resident_memory_bytes"),
    heap: metricValue(after, "nodejs_heap_size_used_bytes"),
    heapTotal: metricValue(after, "nodejs_heap_size_total_bytes"),
    external: metricValue(after, "nodejs_external_memory_bytes"),
  };
}

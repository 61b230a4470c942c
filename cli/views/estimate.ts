// Resource estimate of an Architecture from its rendered objects: CPU, memory
// and GPU requests of every pod template times its replicas, at the smallest
// and largest scale autoscaling allows, plus the storage its volumes claim.
// Pure: objects in, numbers out. Exporter sidecars and Milvus' etcd/MinIO are
// counted because they are in the rendered pod templates.
import { quantityValue } from "../../operator/api/quantity.ts";

export interface Amounts {
  /** CPU cores. */
  cpu: number;
  /** Bytes. */
  memory: number;
  gpu: number;
}

export interface ComponentEstimate {
  component: string;
  type: string;
  replicas: { min: number; max: number };
  min: Amounts;
  max: Amounts;
  /** Bytes claimed by volumes (the same at min and max: datastores do not autoscale). */
  storage: number;
}

export interface Estimate {
  components: ComponentEstimate[];
  total: { min: Amounts; max: Amounts; storage: number };
}

interface Obj {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** A Kubernetes quantity as a number (cpu in cores, memory in bytes); 0 when absent or malformed. */
export function parseQuantity(q: unknown): number {
  return quantityValue(q) ?? 0;
}

const zero = (): Amounts => ({ cpu: 0, memory: 0, gpu: 0 });
const add = (a: Amounts, b: Amounts, times = 1): Amounts => ({
  cpu: a.cpu + b.cpu * times,
  memory: a.memory + b.memory * times,
  gpu: a.gpu + b.gpu * times,
});

interface Container {
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  restartPolicy?: string;
}

function containerAmounts(c: Container, gpuResources: Set<string>): Amounts {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  // Kubernetes defaults a missing request to the limit.
  const get = (k: string) => parseQuantity(req[k] ?? lim[k]);
  let gpu = 0;
  for (const k of new Set([...Object.keys(req), ...Object.keys(lim)])) {
    if (gpuResources.has(k) || /gpu/i.test(k)) gpu += get(k);
  }
  return { cpu: get("cpu"), memory: get("memory"), gpu };
}

/** Effective requests of one pod: max(sum of containers and sidecars, largest init container). */
export function podAmounts(
  podSpec: Record<string, unknown> | undefined,
  gpuResources: Set<string> = new Set(),
): Amounts {
  const containers = (podSpec?.containers ?? []) as Container[];
  const inits = (podSpec?.initContainers ?? []) as Container[];
  let sum = zero();
  for (const c of containers) sum = add(sum, containerAmounts(c, gpuResources));
  for (const c of inits)
    if (c.restartPolicy === "Always") sum = add(sum, containerAmounts(c, gpuResources));
  for (const c of inits) {
    if (c.restartPolicy === "Always") continue;
    const a = containerAmounts(c, gpuResources);
    sum = {
      cpu: Math.max(sum.cpu, a.cpu),
      memory: Math.max(sum.memory, a.memory),
      gpu: Math.max(sum.gpu, a.gpu),
    };
  }
  return sum;
}

const get = (o: unknown, ...path: string[]): unknown => {
  let n = o;
  for (const p of path)
    n = n !== null && typeof n === "object" ? (n as Record<string, unknown>)[p] : undefined;
  return n;
};

const componentOf = (o: Obj): string =>
  o.metadata.labels?.["app.kubernetes.io/component"] ?? "(shared)";

export interface EstimateInput {
  objects: readonly Obj[];
  /** component name -> type (from the Architecture), for display. */
  types: Record<string, string>;
  /** Autoscaling from the Architecture: used when no HPA/ScaledObject targets a workload. */
  autoscaling: readonly { component: string; minReplicas: number; maxReplicas: number }[];
  gpuResources?: readonly string[];
}

export function estimate(input: EstimateInput): Estimate {
  const gpuResources = new Set(input.gpuResources ?? ["nvidia.com/gpu"]);
  // Scalers by the workload they target.
  const scalers = new Map<string, { min: number; max: number }>();
  for (const o of input.objects) {
    if (o.kind === "HorizontalPodAutoscaler") {
      const target = get(o, "spec", "scaleTargetRef", "name");
      if (typeof target === "string")
        scalers.set(target, {
          min: Number(get(o, "spec", "minReplicas") ?? 1),
          max: Number(get(o, "spec", "maxReplicas") ?? 1),
        });
    } else if (o.kind === "ScaledObject") {
      const target = get(o, "spec", "scaleTargetRef", "name");
      if (typeof target === "string")
        scalers.set(target, {
          min: Number(get(o, "spec", "minReplicaCount") ?? 0),
          max: Number(get(o, "spec", "maxReplicaCount") ?? 100),
        });
    }
  }
  const rows = new Map<string, ComponentEstimate>();
  const row = (component: string): ComponentEstimate => {
    let r = rows.get(component);
    if (!r) {
      r = {
        component,
        type: input.types[component] ?? "",
        replicas: { min: 0, max: 0 },
        min: zero(),
        max: zero(),
        storage: 0,
      };
      rows.set(component, r);
    }
    return r;
  };
  for (const o of input.objects) {
    const component = componentOf(o);
    let podSpec: Record<string, unknown> | undefined;
    let min = 0;
    let max = 0;
    let main = false;
    if (o.kind === "Deployment" || o.kind === "StatefulSet") {
      podSpec = get(o, "spec", "template", "spec") as Record<string, unknown> | undefined;
      const scaler =
        scalers.get(o.metadata.name) ??
        (() => {
          const a = input.autoscaling.find((x) => x.component === component);
          return a && o.kind === "Deployment"
            ? { min: a.minReplicas, max: a.maxReplicas }
            : undefined;
        })();
      const replicas = Number(get(o, "spec", "replicas") ?? 1);
      min = scaler?.min ?? replicas;
      max = scaler?.max ?? replicas;
      main = true;
      if (o.kind === "StatefulSet") {
        for (const t of (get(o, "spec", "volumeClaimTemplates") ?? []) as unknown[]) {
          row(component).storage +=
            parseQuantity(get(t, "spec", "resources", "requests", "storage")) * max;
        }
      }
    } else if (o.kind === "Job") {
      podSpec = get(o, "spec", "template", "spec") as Record<string, unknown> | undefined;
      max = Number(get(o, "spec", "parallelism") ?? 1);
    } else if (o.kind === "CronJob") {
      podSpec = get(o, "spec", "jobTemplate", "spec", "template", "spec") as
        | Record<string, unknown>
        | undefined;
      max = Number(get(o, "spec", "jobTemplate", "spec", "parallelism") ?? 1);
    } else if (o.kind === "PersistentVolumeClaim") {
      row(component).storage += parseQuantity(get(o, "spec", "resources", "requests", "storage"));
      continue;
    } else continue;
    const pod = podAmounts(podSpec, gpuResources);
    const r = row(component);
    r.min = add(r.min, pod, min);
    r.max = add(r.max, pod, max);
    if (main && r.replicas.max === 0) r.replicas = { min, max };
    else if (!main && r.replicas.max === 0 && r.replicas.min === 0) r.replicas = { min: 0, max };
  }
  // Components in the order the Architecture lists them; anything else after.
  const order = Object.keys(input.types);
  const rank = (c: string): number => (order.indexOf(c) < 0 ? order.length : order.indexOf(c));
  const components = [...rows.values()].sort(
    (a, b) =>
      rank(a.component) - rank(b.component) ||
      (a.component < b.component ? -1 : a.component > b.component ? 1 : 0),
  );
  let tmin = zero();
  let tmax = zero();
  let storage = 0;
  for (const r of components) {
    tmin = add(tmin, r.min);
    tmax = add(tmax, r.max);
    storage += r.storage;
  }
  return { components, total: { min: tmin, max: tmax, storage } };
}

// ---------------------------------------------------------------------------
// Formatting

const trim = (n: number, digits: number): string => String(Number(n.toFixed(digits)));

export function formatCpu(cores: number): string {
  return trim(cores, 3);
}

export function formatBytes(bytes: number): string {
  if (bytes === 0) return "0";
  for (const [unit, f] of [
    ["Ti", 2 ** 40],
    ["Gi", 2 ** 30],
    ["Mi", 2 ** 20],
    ["Ki", 2 ** 10],
  ] as const) {
    if (bytes >= f) return `${trim(bytes / f, 1)}${unit}`;
  }
  return `${bytes}`;
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) =>
          i === 0 || i === 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const range = (a: string, b: string): string => (a === b ? a : `${a}-${b}`);

export function formatEstimate(e: Estimate): string {
  const rows: string[][] = [["COMPONENT", "TYPE", "REPLICAS", "CPU", "MEMORY", "GPU", "STORAGE"]];
  for (const c of e.components) {
    rows.push([
      c.component,
      c.type,
      range(String(c.replicas.min), String(c.replicas.max)),
      range(formatCpu(c.min.cpu), formatCpu(c.max.cpu)),
      range(formatBytes(c.min.memory), formatBytes(c.max.memory)),
      range(String(c.min.gpu), String(c.max.gpu)),
      formatBytes(c.storage),
    ]);
  }
  rows.push([
    "TOTAL",
    "",
    "",
    range(formatCpu(e.total.min.cpu), formatCpu(e.total.max.cpu)),
    range(formatBytes(e.total.min.memory), formatBytes(e.total.max.memory)),
    range(String(e.total.min.gpu), String(e.total.max.gpu)),
    formatBytes(e.total.storage),
  ]);
  return `${table(rows)}\n\nRequests at min-max scale (CPU in cores). Jobs and CronJobs count 0 at min, their parallelism at max.\nIncludes exporter sidecars and datastore dependencies; excludes the operator and ingress controller.\n`;
}

/** JSON-friendly form with quantities as Kubernetes strings as well as numbers. */
export function estimateJson(e: Estimate): unknown {
  const q = (a: Amounts) => ({
    cpu: formatCpu(a.cpu),
    memory: formatBytes(a.memory),
    gpu: a.gpu,
    cpuCores: a.cpu,
    memoryBytes: a.memory,
  });
  return {
    components: e.components.map((c) => ({
      component: c.component,
      type: c.type,
      replicas: c.replicas,
      min: q(c.min),
      max: q(c.max),
      storage: formatBytes(c.storage),
      storageBytes: c.storage,
    })),
    total: {
      min: q(e.total.min),
      max: q(e.total.max),
      storage: formatBytes(e.total.storage),
      storageBytes: e.total.storage,
    },
  };
}

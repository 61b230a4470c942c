// Generated Architectures for property and generative tests.
//
// `architectureArb` builds only valid Architectures (schema.ts + semantics.ts),
// far beyond the five blueprints: every component type, `uses` between them,
// CPU/memory and queue autoscaling, GPU pools (some matching no node), backups,
// ingress, monitoring, network policy, TTLs at both ends, deletionPolicy, and
// names up to the length limits of names.ts. Validity is built in, not
// filtered for: a generator that drifts from the rules fails the unit test that
// validates its output (test/unit/arbitrary-architecture.test.ts). The fuzz
// test's grammar of often-invalid ones is colliding-architecture.ts.
import fc from "fast-check";
import { namesWithLimits } from "../../operator/api/names.ts";
import type { Architecture, Component, ComponentType } from "../../operator/api/schema.ts";
import { API_VERSION, APP_TYPES, COMPONENT_TYPES, KIND } from "../../operator/api/schema.ts";
import { validateArchitecture } from "../../operator/api/validate.ts";

type Gen = fc.GeneratorValue;
type Spec = Architecture["spec"];

const SCALABLE = new Set<ComponentType>(["service", "gateway", "worker"]);
const QUEUES = new Set<ComponentType>(["redis", "rabbitmq", "kafka"]);
const BACKED_UP = new Set<ComponentType>(["mysql", "postgres", "mongodb", "redis"]);
const SINGLE_INSTANCE = new Set<ComponentType>(["mysql", "mongodb", "milvus"]);
// Consensus engines take an odd member count (membership.ts).
const CONSENSUS = new Set<ComponentType>(["rabbitmq", "kafka"]);
const GPU_TYPES = new Set<ComponentType>(["service", "worker", "job", "cron"]);
const MAX_NAME = 40;
/** Few enough for the local cluster, enough to mix every kind of dependency. */
const MAX_COMPONENTS = 6;

const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const ALNUM = `${LETTERS}0123456789`;
const IMAGES = [
  "ghcr.io/example/app:1",
  "nginx",
  "registry.example.com:5000/team/api:2.3.4",
  `ghcr.io/example/pinned@sha256:${"0123456789abcdef".repeat(4)}`,
  `registry.example.com/${"deep/".repeat(40)}image:${"t".repeat(100)}`,
];
const SCHEDULES = ["*/5 * * * *", "0 3 * * *", "@hourly", "0 0 1 1 *", "15 2 * * mon-fri"];
const TIME_ZONES = ["Etc/UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"];
const CIDRS = ["10.0.0.0/8", "192.168.1.1", "2001:db8::/32", "0.0.0.0/0"];
const QUANTITIES = {
  cpu: ["1m", "50m", "250m", "1", "2", "16"],
  memory: ["1Mi", "64Mi", "256Mi", "1Gi", "4Gi", "64Gi"],
};
const LONG_TTLS = [
  "99999999999999999999999999999d",
  "100000000d",
  "36500d",
  "3650d",
  "365d",
  "364d23h59m60s",
  "30d",
];
const SHORT_TTLS = ["1s", "5s", "30s"];
const MID_TTLS = ["1h", "2h30m", "90m", "1d12h"];

/** A DNS label of exactly `length` characters ending in `tail` (which may be ""). */
function label(g: Gen, length: number, tail = ""): string {
  const free = Math.max(1, length - tail.length);
  let s = LETTERS[g(fc.nat, { max: 25 })] as string;
  for (let i = 1; i < free; i++) {
    const end = i === free - 1 && tail === "";
    const hyphen = !end && g(fc.nat, { max: 7 }) === 0;
    s += hyphen ? "-" : ALNUM[g(fc.nat, { max: 35 })];
  }
  return s + tail;
}

/** Short, middling, just under or exactly at `max`. */
function lengthUpTo(g: Gen, min: number, max: number): number {
  const mode = g(fc.nat, { max: 3 });
  if (mode === 0) return Math.min(max, min + g(fc.nat, { max: 3 }));
  if (mode === 1) return g(fc.integer, { min, max });
  if (mode === 2) return Math.max(min, max - g(fc.nat, { max: 2 }));
  return max;
}

/** The longest component name every derived object name of this type still fits. */
function nameBudget(arch: string, type: ComponentType, backedUp: boolean): number {
  for (let n = MAX_NAME; n > 1; n--) {
    const names = namesWithLimits(arch, "x".repeat(n), type, backedUp);
    if (names.every((b) => b.name.length <= b.max)) return n;
  }
  return 1;
}

function pick<T>(g: Gen, items: readonly T[]): T {
  return items[g(fc.nat, { max: items.length - 1 })] as T;
}

function subset<T>(g: Gen, items: readonly T[], max = items.length): T[] {
  return items.filter(() => g(fc.boolean)).slice(0, max);
}

function maybe(g: Gen): boolean {
  return g(fc.boolean);
}

function resources(g: Gen): Component["resources"] {
  // Limits are never below requests: the API server refuses such a pod template.
  const i = g(fc.nat, { max: QUANTITIES.cpu.length - 1 });
  const j = g(fc.nat, { max: QUANTITIES.memory.length - 1 });
  const out: NonNullable<Component["resources"]> = {
    requests: { cpu: QUANTITIES.cpu[i] as string, memory: QUANTITIES.memory[j] as string },
  };
  if (maybe(g))
    out.limits = {
      cpu: pick(g, QUANTITIES.cpu.slice(i)),
      memory: pick(g, QUANTITIES.memory.slice(j)),
    };
  return out;
}

function env(g: Gen): Record<string, string> {
  const out: Record<string, string> = {};
  const n = g(fc.nat, { max: 4 });
  for (let i = 0; i < n; i++)
    out[`${pick(g, ["LOG_LEVEL", "_X", "feature_flag", "A1"])}_${i}`] = pick(g, [
      "",
      "yes",
      "on",
      "0755",
      "1e3",
      "a: b",
      "x".repeat(4096),
    ]);
  return out;
}

function appComponent(g: Gen, name: string, type: ComponentType, others: string[]): Component {
  const c: Component = { name, type, image: pick(g, IMAGES) };
  if (type === "cron") {
    c.schedule = pick(g, SCHEDULES);
    if (maybe(g)) c.timeZone = pick(g, TIME_ZONES);
  }
  if (type === "service" || type === "gateway") {
    if (maybe(g)) c.port = pick(g, [1, 80, 8080, 65535]);
    if (maybe(g)) c.healthPath = pick(g, ["/", "/healthz", "/ready?full=1"]);
  }
  if (type === "job" || type === "cron") {
    if (maybe(g)) c.completions = g(fc.integer, { min: 1, max: 5 });
    if (maybe(g)) c.parallelism = g(fc.integer, { min: 1, max: 3 });
    if (maybe(g)) c.backoffLimit = g(fc.integer, { min: 0, max: 100 });
  }
  if (g(fc.nat, { max: 5 }) === 0) c.singleton = true;
  else if (maybe(g)) c.replicas = g(fc.integer, { min: 0, max: 3 });
  if (maybe(g)) c.command = ["/bin/app"];
  if (maybe(g)) c.args = pick(g, [["--yes"], ["on", "off", "~", "null", "0o17"], []]);
  if (maybe(g)) c.resources = resources(g);
  if (maybe(g)) c.env = env(g);
  const uses = subset(g, others, 5);
  if (uses.length) c.uses = uses;
  if (maybe(g)) c.description = pick(g, ["", "the api", "d".repeat(1024)]);
  return c;
}

function datastoreComponent(g: Gen, name: string, type: ComponentType): Component {
  const c: Component = { name, type };
  if (SINGLE_INSTANCE.has(type)) {
    if (maybe(g)) c.replicas = type === "milvus" ? 1 : g(fc.integer, { min: 0, max: 1 });
  } else if (CONSENSUS.has(type)) {
    if (maybe(g)) c.replicas = pick(g, [1, 3, 5]);
  } else if (maybe(g)) c.replicas = g(fc.integer, { min: 1, max: 3 });
  if (maybe(g))
    c.storage = {
      size: pick(g, ["1Mi", "1Gi", "20Gi", "1Ti"]),
      ...(maybe(g) ? { storageClassName: pick(g, ["standard", "no-such-class"]) } : {}),
    };
  if (maybe(g)) c.resources = resources(g);
  if (maybe(g)) c.env = env(g);
  if (type === "redis" && maybe(g)) c.settings = { maxmemory: "100mb", appendonly: "yes" };
  if (type === "postgres" && maybe(g)) c.settings = { max_connections: "200" };
  if (type === "rabbitmq" && maybe(g)) {
    const n = g(fc.integer, { min: 1, max: 4 });
    c.exchanges = Array.from({ length: n }, (_, i) => ({
      name: `ex.${i}`,
      type: pick(g, ["fanout", "topic", "direct", "headers"] as const),
    }));
  }
  if (type === "kafka" && maybe(g)) {
    const brokers = c.replicas ?? 1;
    const n = g(fc.integer, { min: 1, max: 4 });
    c.topics = Array.from({ length: n }, (_, i) => ({
      name: `topic_${i}.events`,
      ...(maybe(g) ? { partitions: g(fc.integer, { min: 1, max: 64 }) } : {}),
      ...(maybe(g) ? { replicationFactor: g(fc.integer, { min: 1, max: brokers }) } : {}),
    }));
  }
  return c;
}

/** The long TTLs validate accepts, so the upper end follows the schema's bound. */
function validLongTtls(): string[] {
  const valid = LONG_TTLS.filter((ttl) => {
    const probe = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: "probe" },
      spec: { components: [{ name: "api", type: "service", image: "x" }], ttl },
    };
    return validateArchitecture(probe).architecture !== undefined;
  });
  return valid.length ? valid : ["1d"];
}
const LONG_VALID_TTLS = validLongTtls();

function build(g: Gen): Architecture {
  const archName = label(g, lengthUpTo(g, 1, MAX_NAME));
  const count = g(fc.integer, { min: 1, max: MAX_COMPONENTS });
  const types = Array.from({ length: count }, () => pick(g, COMPONENT_TYPES));
  const backedUp = types.map((t) => BACKED_UP.has(t) && g(fc.nat, { max: 2 }) === 0);
  // Every name ends in its index: no name can equal another's derived name
  // (`<name>-headless`, `-backup`, ...), whose suffixes hold no digit.
  const names = types.map((t, i) => {
    const tail = String(i);
    const budget = nameBudget(archName, t, backedUp[i] as boolean);
    return label(g, lengthUpTo(g, tail.length + 1, budget), tail);
  });
  const components = types.map((t, i) => {
    const name = names[i] as string;
    const others = names.filter((n) => n !== name);
    return (APP_TYPES as readonly string[]).includes(t)
      ? appComponent(g, name, t, others)
      : datastoreComponent(g, name, t);
  });
  const spec: Spec = { components };

  // GPU pools: the default selector (the cluster's GPU nodes), one that matches
  // no node, and sometimes one no component uses (a warning, still valid).
  const pools = [
    { name: "gpu" },
    {
      name: label(g, lengthUpTo(g, 1, MAX_NAME)),
      nodeSelector: { "archctl.io/pool": "nowhere" },
      tolerations: [
        { key: "dedicated", operator: "Exists" as const, effect: "NoSchedule" as const },
      ],
      resourceName: "example.com/accelerator",
    },
  ];
  const usedPools = new Set<string>();
  for (const c of components) {
    if (!GPU_TYPES.has(c.type) || g(fc.nat, { max: 3 }) !== 0) continue;
    const pool = pick(g, pools);
    c.gpu = { pool: pool.name, count: g(fc.integer, { min: 1, max: 16 }) };
    usedPools.add(pool.name);
  }
  const declared = pools.filter((p) => usedPools.has(p.name) || g(fc.nat, { max: 5 }) === 0);
  if (declared.length) spec.gpuPools = uniqueBy(declared, (p) => p.name);

  // Autoscaling: at most one entry per scalable, non-singleton component.
  const queueStores = components.filter((c) => QUEUES.has(c.type));
  const autoscaling: NonNullable<Spec["autoscaling"]> = [];
  for (const c of components) {
    // Mostly: several queue-scaled workers in one Architecture is a case of its own.
    if (!SCALABLE.has(c.type) || c.singleton || g(fc.nat, { max: 3 }) === 0) continue;
    const queue =
      queueStores.length && g(fc.nat, { max: 3 }) !== 0 ? pick(g, queueStores) : undefined;
    const max = g(fc.integer, { min: 1, max: 1000 });
    const min = g(fc.integer, { min: queue ? 0 : 1, max: Math.min(max, 5) });
    const a: NonNullable<Spec["autoscaling"]>[number] = {
      component: c.name,
      minReplicas: min,
      maxReplicas: max,
    };
    if (!queue || maybe(g)) a.targetCPUUtilization = g(fc.integer, { min: 1, max: 100 });
    if (maybe(g)) a.targetMemoryUtilization = g(fc.integer, { min: 1, max: 100 });
    if (queue) {
      a.queue = {
        component: queue.name,
        name: pick(g, ["jobs", "q.work", "x".repeat(255)]),
        targetLength: g(fc.integer, { min: 1, max: 1_000_000 }),
        ...(queue.type === "kafka" ? { consumerGroup: "workers" } : {}),
      };
      // Scaling on a queue one does not use is only a warning; mostly use it.
      if (maybe(g) || maybe(g)) c.uses = [...new Set([...(c.uses ?? []), queue.name])];
    }
    autoscaling.push(a);
  }
  if (autoscaling.length) spec.autoscaling = autoscaling;

  const backups = components
    .filter((_, i) => backedUp[i])
    .map((c) => {
      const target = g(fc.nat, { max: 2 });
      return {
        component: c.name,
        schedule: pick(g, SCHEDULES),
        ...(maybe(g) ? { retention: g(fc.integer, { min: 1, max: 3650 }) } : {}),
        ...(target === 1 ? { pvc: { size: pick(g, ["1Gi", "100Gi"]) } } : {}),
        ...(target === 2
          ? {
              s3: {
                bucket: "backups",
                credentialsSecret: "s3-credentials",
                ...(maybe(g) ? { endpoint: "https://minio.example.com", prefix: "arch/" } : {}),
              },
            }
          : {}),
      };
    });
  if (backups.length) spec.backups = backups;

  const served = components.filter((c) => c.type === "service" || c.type === "gateway");
  if (served.length && maybe(g)) spec.ingress = ingress(g, served);

  if (maybe(g))
    spec.monitoring = {
      ...(maybe(g) ? { serviceMonitors: g(fc.boolean) } : {}),
      ...(maybe(g) ? { release: "prometheus" } : {}),
      ...(maybe(g) ? { interval: pick(g, ["1s", "15s", "5m"]) } : {}),
      ...(maybe(g) ? { dashboard: g(fc.boolean) } : {}),
    };
  if (maybe(g))
    spec.networkPolicy = {
      enabled: g(fc.boolean),
      ...(maybe(g) ? { ingressNamespace: "ingress" } : {}),
    };
  const ttl = g(fc.nat, { max: 5 });
  if (ttl === 1) spec.ttl = pick(g, SHORT_TTLS);
  if (ttl === 2) spec.ttl = pick(g, MID_TTLS);
  if (ttl === 3) spec.ttl = pick(g, LONG_VALID_TTLS);
  if (maybe(g)) spec.deletionPolicy = pick(g, ["Retain", "Delete"] as const);
  if (maybe(g)) spec.description = "generated";
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name: archName }, spec };
}

function ingress(g: Gen, served: Component[]): NonNullable<Spec["ingress"]> {
  const hostCount = g(fc.integer, { min: 1, max: 3 });
  const hosts = Array.from({ length: hostCount }, (_, h) => ({
    host: pick(g, [`h${h}.example.com`, `*.h${h}.example.org`, `h${h}`]),
    routes: uniqueBy(
      Array.from({ length: g(fc.integer, { min: 1, max: 3 }) }, () => ({
        path: pick(g, ["/", "/api", "/ws", "/v1/items"]),
        component: pick(g, served).name,
      })),
      (r) => r.path,
    ),
  }));
  const out: NonNullable<Spec["ingress"]> = { hosts };
  if (maybe(g)) out.className = pick(g, ["nginx", "internal"]);
  if (maybe(g))
    out.tls = {
      ...(maybe(g) ? { secretName: "custom-tls" } : {}),
      ...(maybe(g) ? { clusterIssuer: "letsencrypt" } : {}),
    };
  if (maybe(g)) {
    const limit = g(fc.nat, { max: 2 });
    out.rateLimit = {
      ...(limit === 0 ? { rps: g(fc.integer, { min: 1, max: 1_000_000 }) } : {}),
      ...(limit === 1 ? { rpm: g(fc.integer, { min: 1, max: 60_000_000 }) } : {}),
      ...(limit === 2 || maybe(g)
        ? { connections: g(fc.integer, { min: 1, max: 1_000_000 }) }
        : {}),
      ...(maybe(g) ? { burstMultiplier: g(fc.integer, { min: 1, max: 100 }) } : {}),
      ...(maybe(g) ? { whitelist: subset(g, CIDRS) } : {}),
    };
  }
  if (maybe(g)) out.annotations = { "example.com/owner": "team-a" };
  return out;
}

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A valid Architecture (no namespace). */
export const architectureArb: fc.Arbitrary<Architecture> = fc.gen().map(build);

/**
 * `count` valid Architectures with distinct names, the same for the same seed.
 * Draws more than needed and keeps the first of each name (short names repeat).
 */
export function sampleArchitectures(count: number, seed: number): Architecture[] {
  for (let draw = count * 2; ; draw *= 2) {
    const unique = uniqueBy(
      fc.sample(architectureArb, { seed, numRuns: draw }),
      (a) => a.metadata.name,
    );
    if (unique.length >= count) return unique.slice(0, count);
  }
}

// The fuzz test's grammar of Architectures: plausible, often invalid. Names are
// chosen to collide with the suffixes archctl derives (-headless, -credentials,
// -backup, -minio, ...), so both outcomes of validate are exercised. For only
// valid Architectures, see arbitrary-architecture.ts.
import fc from "fast-check";
import { COMPONENT_TYPES } from "../../operator/api/schema.ts";

const NAMES = [
  "api",
  "db",
  "db-headless",
  "db-backup",
  "db-backups",
  "db-minio",
  "db-etcd",
  "db-etcd-headless",
  "db-config",
  "db-topics",
  "db-credentials",
  "db-queue",
  "cache",
  "cache-headless",
  "worker",
  "worker-queue",
  "web",
  "ws",
  "tls",
  "x",
  "a-b",
  "b",
];
const TYPES = COMPONENT_TYPES;
const componentArb = fc.record({
  name: fc.constantFrom(...NAMES),
  type: fc.constantFrom(...TYPES),
  uses: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 3 }),
  replicas: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
});
export const collidingArchitectureArb = fc
  .record({
    name: fc.constantFrom("a", "shop", "a-db", "b", "x".repeat(30)),
    components: fc.uniqueArray(componentArb, {
      minLength: 1,
      maxLength: 6,
      selector: (c) => c.name,
    }),
    scale: fc.option(fc.tuple(fc.nat(), fc.option(fc.nat(), { nil: undefined })), {
      nil: undefined,
    }),
    backup: fc.option(fc.nat(), { nil: undefined }),
    route: fc.option(fc.nat(), { nil: undefined }),
    gpu: fc.option(fc.nat(), { nil: undefined }),
    ttl: fc.constantFrom(undefined, "1h", "none", "30m"),
    networkPolicy: fc.boolean(),
  })
  .map((g) => {
    const pick = (i: number, types?: string[]) => {
      const fit = types ? g.components.filter((c) => types.includes(c.type)) : g.components;
      return fit.length ? fit[i % fit.length] : undefined;
    };
    const components = g.components.map((c) => {
      const app = ["service", "gateway", "worker", "job", "cron"].includes(c.type);
      const uses = c.uses.filter((u) => u !== c.name && g.components.some((d) => d.name === u));
      return {
        name: c.name,
        type: c.type,
        ...(app ? { image: "ghcr.io/example/app:1" } : {}),
        ...(c.type === "cron" ? { schedule: "*/5 * * * *" } : {}),
        ...(app && uses.length ? { uses } : {}),
        ...(c.replicas !== undefined && ["service", "gateway", "worker"].includes(c.type)
          ? { replicas: c.replicas }
          : {}),
        ...(g.gpu !== undefined && pick(g.gpu, ["worker"])?.name === c.name
          ? { gpu: { pool: "gpu", count: 1 } }
          : {}),
      };
    });
    const spec: Record<string, unknown> = { components };
    const target = g.scale ? pick(g.scale[0], ["service", "gateway", "worker"]) : undefined;
    if (g.scale && target) {
      const queue =
        g.scale[1] !== undefined ? pick(g.scale[1], ["redis", "rabbitmq", "kafka"]) : undefined;
      spec.autoscaling = [
        {
          component: target.name,
          minReplicas: 1,
          maxReplicas: 5,
          targetCPUUtilization: 70,
          ...(queue
            ? {
                queue: {
                  component: queue.name,
                  name: "jobs",
                  targetLength: 10,
                  ...(queue.type === "kafka" ? { consumerGroup: "g" } : {}),
                },
              }
            : {}),
        },
      ];
    }
    const backedUp =
      g.backup !== undefined
        ? pick(g.backup, ["mysql", "postgres", "mongodb", "redis"])
        : undefined;
    if (backedUp)
      spec.backups = [{ component: backedUp.name, schedule: "0 3 * * *", pvc: { size: "1Gi" } }];
    const routed = g.route !== undefined ? pick(g.route, ["service", "gateway"]) : undefined;
    if (routed)
      spec.ingress = {
        hosts: [{ host: "a.example.com", routes: [{ path: "/", component: routed.name }] }],
      };
    if (components.some((c) => "gpu" in c)) spec.gpuPools = [{ name: "gpu" }];
    if (g.ttl && g.ttl !== "none") spec.ttl = g.ttl;
    if (!g.networkPolicy) spec.networkPolicy = { enabled: false };
    return {
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      metadata: { name: g.name },
      spec,
    };
  });

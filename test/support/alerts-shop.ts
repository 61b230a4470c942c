// The Architecture the alert tests render (unit: what each expression selects;
// dataplane: promtool evaluates them): a backed-up, drilled PostgreSQL, a Redis
// queue that scales a worker to 8 replicas at 20 jobs each, and an ingress
// host. `spec` fields given replace the defaults.
import type { Architecture } from "../../operator/api/schema.ts";

export const alertsShop = (spec: Record<string, unknown> = {}): Architecture =>
  ({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "ns" },
    spec: {
      components: [
        { name: "api", type: "service", image: "ex/api:1" },
        { name: "worker", type: "worker", image: "ex/w:1", uses: ["queue"] },
        { name: "db", type: "postgres" },
        { name: "queue", type: "redis" },
      ],
      backups: [{ component: "db", schedule: "0 */6 * * *", verify: { schedule: "0 5 * * 0" } }],
      autoscaling: [
        {
          component: "worker",
          minReplicas: 1,
          maxReplicas: 8,
          queue: { component: "queue", name: "jobs", targetLength: 20 },
        },
      ],
      ingress: { hosts: [{ host: "shop.example.com", routes: [{ path: "/", component: "api" }] }] },
      ...spec,
    },
  }) as unknown as Architecture;

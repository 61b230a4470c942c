// The shop Architecture the operator's integration tests reconcile: an api
// and a worker using a redis cache.
import type { Architecture } from "../../operator/api/schema.ts";
import { architecture } from "./operator.ts";

export function shop(
  ns: string,
  extra: Partial<Architecture["spec"]> = {},
  apiReplicas = 2,
): Architecture {
  return architecture("shop", ns, {
    components: [
      {
        name: "api",
        type: "service",
        image: "ghcr.io/example/shop-api:1.0",
        replicas: apiReplicas,
        uses: ["cache"],
      },
      { name: "cache", type: "redis" },
      { name: "worker", type: "worker", image: "ghcr.io/example/shop-worker:1.0", uses: ["cache"] },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
    ...extra,
  });
}

/** The shop under another name, with the default replicas (the runtime tests run several). */
export function namedShop(
  name: string,
  ns: string,
  extra: Partial<Architecture["spec"]> = {},
): Architecture {
  return architecture(name, ns, {
    components: [
      { name: "api", type: "service", image: "ghcr.io/example/shop-api:1.0", uses: ["cache"] },
      { name: "cache", type: "redis" },
      { name: "worker", type: "worker", image: "ghcr.io/example/shop-worker:1.0", uses: ["cache"] },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
    ...extra,
  });
}

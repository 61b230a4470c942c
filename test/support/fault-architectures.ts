// The Architectures the fault tests (test/e2e/faults-*.test.ts) drive, and
// when one counts as Ready.
import type { Architecture } from "../../operator/api/schema.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import { architecture } from "./operator.ts";

/** A small Architecture: an api service using a redis; `version` changes the api. */
export function small(name: string, ns: string, version: number, ttl: boolean): Architecture {
  return architecture(name, ns, {
    components: [
      {
        name: "api",
        type: "service",
        image: "ghcr.io/example/api:1",
        replicas: 1 + (version % 2),
        env: { VERSION: String(version) },
        uses: ["cache"],
      },
      { name: "cache", type: "redis", storage: { size: "1Gi" } },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
    ...(ttl ? { ttl: "4h" } : {}),
  });
}

export const isReady = (a: StoredArchitecture) =>
  a.status?.phase === "Ready" && a.status.observedGeneration === a.metadata.generation;

// The Architectures the fault tests (test/e2e/faults-*.test.ts) drive, how
// they write them, when one counts as Ready, and the shape of the live objects
// they read back.
import type { Architecture } from "../../operator/api/schema.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import type { KubeObject } from "../../operator/render/types.ts";
import type { TestCluster } from "./cluster.ts";
import { architecture, clientFor } from "./operator.ts";

/** A live object with the metadata the fault tests read. */
export type LiveObject = KubeObject & {
  metadata: KubeObject["metadata"] & {
    uid?: string;
    deletionTimestamp?: string;
    ownerReferences?: { uid: string; kind: string; name: string }[];
    managedFields?: { manager: string; operation: string; time?: string; fieldsV1?: unknown }[];
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};

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

export async function applyArch(cluster: TestCluster, arch: Architecture): Promise<void> {
  await clientFor(cluster).apply(arch as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
}

export const isReady = (a: StoredArchitecture) =>
  a.status?.phase === "Ready" && a.status.observedGeneration === a.metadata.generation;

// Applies an Architecture as the test's own field manager, forcing conflicts.
import type { Architecture } from "../../operator/api/schema.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "./cluster.ts";
import { clientFor } from "./operator.ts";

export async function applyArch(cluster: TestCluster, arch: Architecture): Promise<void> {
  await clientFor(cluster).apply(arch as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
}

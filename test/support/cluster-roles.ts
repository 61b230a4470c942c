// Cluster-scoped RBAC objects a test created from the chart: deleted when it ends.
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "./cluster.ts";

export async function deleteClusterScoped(c: TestCluster, objects: KubeObject[]) {
  for (const o of objects)
    if (o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding")
      await c.kubectl(["delete", o.kind.toLowerCase(), o.metadata.name, "--ignore-not-found"], {
        reject: false,
      });
}

// A ResourceQuota that admits no Service in a namespace: admission then
// refuses every Service with a 403, a real refusal that is not RBAC.
import type { TestCluster } from "./cluster.ts";

export async function quotaOfNoServices(cluster: TestCluster, ns: string): Promise<void> {
  await cluster.apply(ns, [
    {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "no-services", namespace: ns },
      spec: { hard: { services: "0" } },
    },
  ]);
  // Without a quota controller (the apiserver tier) nobody computes the usage
  // that admission reads: write what the controller would have.
  await cluster.kubectl([
    "patch",
    "resourcequota/no-services",
    "-n",
    ns,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: { hard: { services: "0" }, used: { services: "0" } } }),
  ]);
}

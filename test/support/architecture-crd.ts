// Whether the Architecture CRD is installed, and installing it once per test
// process (for tests that start without it).
import { buildCrd } from "../../operator/api/crd.ts";
import { waitEstablished } from "../cluster/kubectl.ts";
import type { TestCluster } from "./cluster.ts";

export const CRD = "architectures.archctl.io";

export async function crdPresent(cluster: TestCluster): Promise<boolean> {
  return (await cluster.kubectl(["get", "crd", CRD], { reject: false })).exitCode === 0;
}

let crdReady = false;
export async function ensureCrd(cluster: TestCluster): Promise<void> {
  if (crdReady) return;
  await cluster.apply(undefined, [buildCrd()]);
  await waitEstablished(cluster.kubectl, [CRD]);
  crdReady = true;
}

// Losing a simulated node the way a real one is lost, for end-to-end tests.
//
// A node whose kubelet dies stops renewing its Lease in kube-node-lease; the
// node lifecycle controller of kube-controller-manager then sets its Ready
// condition to Unknown after --node-monitor-grace-period (50 s), marks its
// pods not ready and taints it unreachable. Its pods stay, Terminating at
// most, until the Node object is deleted (a cloud provider's node controller
// does it once the machine is gone, or an administrator); then PodGC
// force-deletes them after a 40 s quarantine and their controllers recreate
// them elsewhere.
//
// kwok-controller plays the kubelet of every simulated node and renews its
// Lease as the holder. A Lease held by another holder and not expired makes
// kwok leave that node alone: no heartbeats, no pod updates (kwok's
// "read-only" node). So taking the Lease over, without renewing it, is the
// dead kubelet; the control plane's real controllers do the rest.
import { simulatedNodes } from "../cluster/nodes.ts";
import type { TestCluster } from "./cluster.ts";

/** The holder written into a lost node's Lease, so kwok-controller stops renewing it. */
export const LOST_NODE_HOLDER = "archctl-test-lost-node";

/** Stops the node's heartbeat: its Lease is taken from kwok-controller and never renewed. */
export async function stopHeartbeat(cluster: TestCluster, node: string): Promise<void> {
  // renewTime stays kwok's last renewal; an hour's leaseDuration keeps kwok
  // from taking the Lease back as expired while the test runs.
  const patch = { spec: { holderIdentity: LOST_NODE_HOLDER, leaseDurationSeconds: 3600 } };
  await cluster.kubectl([
    "patch",
    "lease",
    "-n",
    "kube-node-lease",
    node,
    "--type",
    "merge",
    "-p",
    JSON.stringify(patch),
  ]);
}

/** The status of the node's Ready condition (True, False, Unknown), undefined once it is gone. */
export async function nodeReady(cluster: TestCluster, node: string): Promise<string | undefined> {
  const r = await cluster.kubectl(
    ["get", "node", node, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'],
    { reject: false },
  );
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/**
 * Brings a lost simulated node back as a new machine of the same name: its
 * Node and Lease deleted if still there, the Node created again from the
 * local cluster's manifest (test/cluster/nodes.ts), and waited for Ready.
 */
export async function replaceNode(cluster: TestCluster, node: string): Promise<void> {
  const manifest = simulatedNodes().find((n) => n.metadata.name === node);
  if (!manifest) throw new Error(`${node} is not one of the local cluster's simulated nodes`);
  await cluster.kubectl(["delete", "node", node, "--ignore-not-found", "--wait=true"]);
  await cluster.kubectl([
    "delete",
    "lease",
    "-n",
    "kube-node-lease",
    node,
    "--ignore-not-found",
    "--wait=true",
  ]);
  await cluster.kubectl(["create", "-f", "-"], { input: JSON.stringify(manifest) });
  await cluster.eventually(
    `${node} Ready again`,
    async () => (await nodeReady(cluster, node)) === "True",
    60_000,
  );
}

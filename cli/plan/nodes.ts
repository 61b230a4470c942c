// How many nodes could run a datastore member: not cordoned, and without a
// NoSchedule/NoExecute taint (GPU pools, control planes). Pure.
interface NodeLike {
  spec?: { unschedulable?: boolean; taints?: { effect?: string }[] };
}

export function schedulableNodes(nodes: NodeLike[]): number {
  return nodes.filter(
    (n) =>
      !n.spec?.unschedulable &&
      !(n.spec?.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute"),
  ).length;
}

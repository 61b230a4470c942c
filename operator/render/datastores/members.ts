// Where the members of a replicated datastore run and how many may be down at
// once: spread over nodes (required) and zones (preferred), and a disruption
// budget that lets a drain take one member at a time, so a quorum or a primary
// with a replica always stays.

import type { KubeObject } from "../../kube/types.ts";
import type { RenderContext } from "../context.ts";
import { childMeta } from "../meta.ts";

export const HOSTNAME_KEY = "kubernetes.io/hostname";
export const ZONE_KEY = "topology.kubernetes.io/zone";

/**
 * One member per node while there are nodes enough (maxSkew 1 over hostnames,
 * required); zones are preferred only, since many clusters have none. Tainted
 * nodes the pods do not tolerate are no domain (nodeTaintsPolicy Honor), or a
 * GPU node holding no member would block the third one.
 */
export function memberSpread(selector: Record<string, string>): Record<string, unknown>[] {
  const labelSelector = { matchLabels: selector };
  return [
    {
      maxSkew: 1,
      topologyKey: HOSTNAME_KEY,
      whenUnsatisfiable: "DoNotSchedule",
      nodeTaintsPolicy: "Honor",
      labelSelector,
    },
    {
      maxSkew: 1,
      topologyKey: ZONE_KEY,
      whenUnsatisfiable: "ScheduleAnyway",
      nodeTaintsPolicy: "Honor",
      labelSelector,
    },
  ];
}

/** The largest number of members that may be down with a majority left. */
export function toleratedDown(members: number): number {
  return members - (Math.floor(members / 2) + 1);
}

/**
 * At most one member down for voluntary disruptions (drains, evictions). One
 * is within a majority for three members or more, and leaves the primary or a
 * caught-up replica of a two-member pair.
 */
export function quorumBudget(
  ctx: RenderContext,
  component: string,
  selector: Record<string, string>,
  part?: string,
  labels?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: childMeta(ctx, component, part, labels),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}

// The part of a failover decision every engine shares: the primary must be a
// member, and the candidates are the reachable replicas (only the one named
// by --to, when it is one). Pure.

export interface Refusal {
  ok: false;
  reason: string;
  hint: string;
}

interface Member {
  pod: string;
}

/** The primary, the reachable replicas and those of them that may be promoted, or why none may. */
export function promotable<M extends Member>(
  members: readonly M[],
  primaryPod: string,
  to: string | undefined,
  isReachableReplica: (m: M) => boolean,
): { primary: M; replicas: M[]; pool: M[] } | Refusal {
  const primary = members.find((m) => m.pod === primaryPod);
  if (!primary)
    return {
      ok: false,
      reason: `${primaryPod} is not a member`,
      hint: "check the component's replicas",
    };
  const replicas = members.filter((m) => m.pod !== primaryPod && isReachableReplica(m));
  if (to !== undefined) {
    if (to === primaryPod)
      return { ok: false, reason: `${to} is the primary already`, hint: "name a replica" };
    if (!members.some((m) => m.pod === to))
      return {
        ok: false,
        reason: `${to} is not a member`,
        hint: `members are: ${members.map((m) => m.pod).join(", ")}`,
      };
    if (!replicas.some((m) => m.pod === to))
      return {
        ok: false,
        reason: `${to} cannot be promoted: it is not a reachable replica`,
        hint: "choose another replica, or leave out --to",
      };
  }
  return {
    primary,
    replicas,
    pool: to !== undefined ? replicas.filter((m) => m.pod === to) : replicas,
  };
}

// Status of a replicated datastore beyond ready/desired: which member is the
// primary (PostgreSQL, MySQL: the one the read-write Service selects), and whether the
// Redis Sentinels that fail it over are up. Pure.
import type { ResolvedArchitecture, ResolvedComponent } from "../api/defaults.ts";
import { childName } from "../api/names.ts";
import { primaryOrdinal } from "../api/primary.ts";
import type { ComponentStatus } from "../api/schema.ts";

/** The primary member's pod, for engines where archctl chooses it (PostgreSQL, MySQL with replicas). */
export function primaryMember(
  c: ResolvedComponent,
  arch: ResolvedArchitecture,
): string | undefined {
  if ((c.type !== "postgres" && c.type !== "mysql") || c.replicas < 2) return undefined;
  return `${childName(arch.name, c.name)}-${primaryOrdinal(arch.primaries, c.name, c.replicas)}`;
}

/**
 * Adds the primary to a replicated datastore's status, and holds a Redis with
 * replicas not ready while fewer Sentinels than their quorum are ready.
 */
export function withMembers(
  status: ComponentStatus,
  c: ResolvedComponent,
  arch: ResolvedArchitecture,
  sentinels?: { ready: number; desired: number },
): ComponentStatus {
  const primary = primaryMember(c, arch);
  if (primary)
    return { ...status, primary, message: `${status.message ?? ""}, primary ${primary}` };
  if (c.type === "redis" && c.replicas > 1 && sentinels) {
    const quorum = Math.floor(sentinels.desired / 2) + 1;
    const note = `${sentinels.ready}/${sentinels.desired} Sentinels ready`;
    if (sentinels.ready < quorum)
      return {
        ...status,
        ready: 0,
        message: `${status.message ?? ""}; ${note}, below their quorum: no failover`,
      };
    return { ...status, message: `${status.message ?? ""}, ${note}` };
  }
  return status;
}

// Status of a replicated datastore beyond ready/desired: which member is the
// primary (PostgreSQL, MySQL: the one the read-write Service selects), and whether the
// Redis Sentinels that fail it over are up. Pure.
//
// MongoDB and Redis with Sentinel elect their primary themselves, and the
// operator never connects to a datastore: no Kubernetes object says which
// member won (see the README's "Datastores in production" for the mechanisms
// weighed and why none is built). Their status says so, and how to ask.
import {
  DATASTORE_DEFAULTS,
  type ResolvedArchitecture,
  type ResolvedComponent,
} from "../api/defaults.ts";
import { childName } from "../api/names.ts";
import { primaryOrdinal } from "../api/primary.ts";
import type { ComponentStatus } from "../api/schema.ts";
import {
  SENTINEL_PART,
  SENTINEL_PORT,
  sentinelMasterName,
} from "../render/datastores/redis-sentinel-names.ts";

/** The primary member's pod, for engines where archctl chooses it (PostgreSQL, MySQL with replicas). */
export function primaryMember(
  c: ResolvedComponent,
  arch: ResolvedArchitecture,
): string | undefined {
  if ((c.type !== "postgres" && c.type !== "mysql") || c.replicas < 2) return undefined;
  return `${childName(arch.name, c.name)}-${primaryOrdinal(arch.primaries, c.name, c.replicas)}`;
}

/**
 * For an engine that elects its primary: who elects it and the command that
 * asks (no authentication needed: MongoDB's hello, Sentinel's own port).
 */
export function electedPrimaryNote(
  c: ResolvedComponent,
  arch: ResolvedArchitecture,
): string | undefined {
  if (c.replicas < 2) return undefined;
  const sts = childName(arch.name, c.name);
  if (c.type === "mongodb")
    return `primary elected by the replica set, not tracked here: kubectl exec ${sts}-0 -c mongodb -- mongosh --quiet --port ${c.port ?? DATASTORE_DEFAULTS.mongodb.port} --eval 'db.hello().primary'`;
  if (c.type === "redis")
    return `master elected by Sentinel, not tracked here: kubectl exec ${childName(arch.name, c.name, SENTINEL_PART)}-0 -c sentinel -- redis-cli -p ${SENTINEL_PORT} sentinel get-master-addr-by-name ${sentinelMasterName(c.name)}`;
  return undefined;
}

/**
 * Adds the primary to a replicated datastore's status (or, where the engine
 * elects it, how to see it), and holds a Redis with
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
  const elected = electedPrimaryNote(c, arch);
  if (c.type === "redis" && c.replicas > 1 && sentinels) {
    const quorum = Math.floor(sentinels.desired / 2) + 1;
    const note = `${sentinels.ready}/${sentinels.desired} Sentinels ready`;
    if (sentinels.ready < quorum)
      return {
        ...status,
        ready: 0,
        message: `${status.message ?? ""}; ${note}, below their quorum: no failover`,
      };
    return { ...status, message: `${status.message ?? ""}, ${note}; ${elected}` };
  }
  if (elected) return { ...status, message: `${status.message ?? ""}; ${elected}` };
  return status;
}

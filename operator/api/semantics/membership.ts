// How many members a replicated datastore may have, and how its member count
// may change. Pure: validate, plan and the operator all decide from here.
//   - Consensus engines (MongoDB, RabbitMQ, Kafka's KRaft controllers) need an
//     odd count: an even one tolerates no more failures than one member fewer,
//     and splits evenly on a partition.
//   - Shrinking a consensus engine below a majority of its current size in one
//     step leaves the remaining members without a quorum to agree on it.
//   - Shrinking Kafka removes brokers that may hold the only copies of some
//     partitions: refused unless forced (after reassigning them).
//   - More members than schedulable nodes puts two on one node: a warning.
import type { Architecture, Component } from "../schema.ts";
import { error, type Issue, warning } from "./issue.ts";

export const CONSENSUS_ENGINES = new Set(["mongodb", "rabbitmq", "kafka"]);

/**
 * The Architecture annotation that lets the operator remove Kafka brokers:
 * a comma-separated list of component names.
 */
export const ALLOW_SHRINK_ANNOTATION = "archctl.io/allow-shrink";

export function shrinkAllowed(
  annotations: Record<string, string> | undefined,
  component: string,
): boolean {
  return (annotations?.[ALLOW_SHRINK_ANNOTATION] ?? "")
    .split(",")
    .map((s) => s.trim())
    .includes(component);
}

function members(c: Component): number {
  return c.replicas ?? 1;
}

/** Even member counts of consensus engines (validate). */
export function checkMembership(arch: Architecture): Issue[] {
  const issues: Issue[] = [];
  for (const [i, c] of arch.spec.components.entries()) {
    const n = members(c);
    if (CONSENSUS_ENGINES.has(c.type) && n > 1 && n % 2 === 0)
      issues.push(
        error(
          ["spec", "components", i, "replicas"],
          `${c.type} '${c.name}' decides by majority: ${n} members tolerate no more failures than ${n - 1}, and a network split into two halves stops both`,
          `use an odd number of replicas: ${n - 1} or ${n + 1}`,
        ),
      );
  }
  return issues;
}

/** Why a change of member count may not be made in one step, or undefined when it may. */
export function memberChangeRefusal(
  engine: string,
  name: string,
  from: number,
  to: number,
  forced: boolean,
): { message: string; hint: string } | undefined {
  if (to >= from || !CONSENSUS_ENGINES.has(engine)) return undefined;
  const majority = Math.floor(from / 2) + 1;
  if (to < majority && to > 0)
    return {
      message: `${engine} '${name}' would shrink from ${from} to ${to} members in one step, below a majority (${majority}) of its current members, which then cannot agree on the change`,
      hint: `shrink in steps that keep a majority: first to ${majority}`,
    };
  if (engine === "kafka" && !forced)
    return {
      message: `kafka '${name}' would shrink from ${from} to ${to} brokers: the removed brokers may hold the only in-sync copies of some partitions`,
      hint: `reassign their partitions first (kafka-reassign-partitions.sh), then annotate the Architecture ${ALLOW_SHRINK_ANNOTATION}=${name}`,
    };
  return undefined;
}

/** The member-count changes from `before` to `after` that are refused (plan). */
export function checkMemberChanges(before: Architecture | undefined, after: Architecture): Issue[] {
  if (!before) return [];
  const old = new Map(before.spec.components.map((c) => [c.name, c]));
  const issues: Issue[] = [];
  for (const [i, c] of after.spec.components.entries()) {
    const prev = old.get(c.name);
    if (!prev || prev.type !== c.type) continue;
    const refusal = memberChangeRefusal(
      c.type,
      c.name,
      members(prev),
      members(c),
      shrinkAllowed(after.metadata.annotations, c.name),
    );
    if (refusal)
      issues.push(error(["spec", "components", i, "replicas"], refusal.message, refusal.hint));
  }
  return issues;
}

/** Datastores with more members than the cluster has schedulable nodes (plan, apply). */
export function checkMembersFitNodes(arch: Architecture, schedulableNodes: number): Issue[] {
  const issues: Issue[] = [];
  for (const [i, c] of arch.spec.components.entries()) {
    const n = members(c);
    if (c.type === "service" || c.type === "gateway" || c.type === "worker") continue;
    if (c.type === "job" || c.type === "cron") continue;
    if (n > 1 && n > schedulableNodes)
      issues.push(
        warning(
          ["spec", "components", i, "replicas"],
          `${c.type} '${c.name}' has ${n} members but the cluster has ${schedulableNodes} schedulable node${schedulableNodes === 1 ? "" : "s"}: members share a node, and that node's loss takes more than one of them`,
          `add nodes, or lower replicas to ${schedulableNodes}`,
        ),
      );
  }
  return issues;
}

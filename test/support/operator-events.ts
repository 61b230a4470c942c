// The operator's Events about an Architecture, as the tests read them.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { EVENTS } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "./cluster.ts";
import { clientFor } from "./operator.ts";

export type Event = KubeObject & { reason: string; note: string; regarding: { name: string } };

/** The operator's Events about Architecture `name`, with `reason`. */
export async function eventsOf(
  cluster: TestCluster,
  ns: string,
  name: string,
  reason: string,
): Promise<Event[]> {
  const list = await clientFor(cluster).list<Event>(EVENTS, ns);
  return list.items.filter((e) => e.regarding.name === name && e.reason === reason);
}

/** Waits for exactly one Event with `reason` (Events are written after the reconcile's other writes). */
export async function oneEvent(
  cluster: TestCluster,
  ns: string,
  name: string,
  reason: string,
): Promise<Event> {
  await cluster.eventually(
    `${reason} Event`,
    async () => (await eventsOf(cluster, ns, name, reason)).length,
  );
  await sleep(500);
  const events = await eventsOf(cluster, ns, name, reason);
  assert.equal(events.length, 1, `${reason} Events: ${events.map((e) => e.note).join(" | ")}`);
  return events[0] as Event;
}

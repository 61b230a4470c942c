// Kubernetes Events on an Architecture (events.k8s.io/v1), so `kubectl describe`
// tells what the operator did. A failed event write is logged and dropped.
import { randomBytes } from "node:crypto";
import type { ObjectClient } from "../kube/objects.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Logger } from "./logger.ts";

export interface EventRecorder {
  record(
    regarding: KubeObject & { metadata: { uid?: string } },
    type: "Normal" | "Warning",
    reason: string,
    action: string,
    note: string,
  ): void;
}

export function createEventRecorder(
  objects: ObjectClient,
  instance: string,
  log: Logger,
): EventRecorder {
  return {
    record(regarding, type, reason, action, note) {
      const now = new Date().toISOString().replace("Z", "000Z");
      const event: KubeObject = {
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: {
          name: `${regarding.metadata.name}.${randomBytes(8).toString("hex")}`,
          namespace: regarding.metadata.namespace ?? "default",
        },
        eventTime: now,
        reportingController: "archctl.io/operator",
        reportingInstance: instance,
        action,
        reason,
        type,
        note: note.slice(0, 1024),
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.metadata.name,
          namespace: regarding.metadata.namespace,
          uid: regarding.metadata.uid,
        },
      };
      objects
        .create(event, "archctl-operator")
        .catch((err) => log.debug("event not recorded", { err, reason }));
    },
  };
}

/**
 * At most one Event per key (an Architecture) per window. A failing reconcile
 * is retried with backoff from milliseconds up, and Events are writes: without
 * this, one broken Architecture would write an Event per retry. Pure: the
 * clock is passed in.
 */
export class EventRateLimiter {
  private readonly windowMs: number;
  private readonly last = new Map<string, number>();

  constructor(windowMs = 60_000) {
    this.windowMs = windowMs;
  }

  /** True (and the window starts) when `key` has had no Event in the last window. */
  allow(key: string, now: number): boolean {
    const at = this.last.get(key);
    if (at !== undefined && now - at < this.windowMs) return false;
    this.last.set(key, now);
    // Forget keys whose window is over, so deleted Architectures do not pile up.
    if (this.last.size > 1024)
      for (const [k, t] of this.last) if (now - t >= this.windowMs) this.last.delete(k);
    return true;
  }
}

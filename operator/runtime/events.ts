// Kubernetes Events on an Architecture (events.k8s.io/v1), so `kubectl describe`
// tells what the operator did. A failed event write is logged and dropped.
import { randomBytes } from "node:crypto";
import type { ObjectClient } from "../kube/objects.ts";
import type { KubeObject } from "../render/types.ts";
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

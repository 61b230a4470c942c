// The Architecture views the status, wait and ink-view tests read: one
// Progressing (api 0/2, mysql 1/1), one Ready, and the clock they are read at.
import type { ArchView } from "../../../cli/views/status.ts";

export const NOW = new Date("2026-01-01T12:00:00Z");
export const ESC = String.fromCharCode(27);

export function arch(
  over: Partial<ArchView["status"]> = {},
  meta: Partial<ArchView["metadata"]> = {},
): ArchView {
  return {
    metadata: {
      name: "post",
      namespace: "shop",
      generation: 2,
      creationTimestamp: "2026-01-01T11:55:00Z",
      ...meta,
    },
    spec: {
      components: [
        { name: "api", type: "service" },
        { name: "mysql", type: "mysql" },
      ],
    },
    status: {
      observedGeneration: 2,
      phase: "Progressing",
      ready: "1/2",
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: "ComponentsNotReady",
          message: "waiting for api (0/2 replicas ready)",
          lastTransitionTime: "2026-01-01T11:59:00Z",
        },
        { type: "Degraded", status: "False", reason: "AsExpected", message: "no failures" },
      ],
      components: [
        { name: "api", type: "service", ready: 0, desired: 2, message: "0/2 replicas ready" },
        { name: "mysql", type: "mysql", ready: 1, desired: 1, message: "1/1 replicas ready" },
      ],
      endpoints: [{ name: "api", url: "https://posts.example.com/" }],
      ...over,
    },
  };
}

export const READY = arch({
  phase: "Ready",
  ready: "2/2",
  conditions: [
    {
      type: "Ready",
      status: "True",
      reason: "AllComponentsReady",
      message: "all 2 components are ready",
    },
  ],
  components: [
    { name: "api", type: "service", ready: 2, desired: 2, message: "2/2 replicas ready" },
    { name: "mysql", type: "mysql", ready: 1, desired: 1, message: "1/1 replicas ready" },
  ],
});

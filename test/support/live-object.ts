// A live object as the integration and e2e tests read it back: the metadata
// fields they check (uid, owners, finalizers, managed fields) typed.
import type { KubeObject } from "../../operator/kube/types.ts";

export type LiveObject = KubeObject & {
  metadata: KubeObject["metadata"] & {
    uid?: string;
    deletionTimestamp?: string;
    ownerReferences?: { uid: string; kind: string; name?: string }[];
    finalizers?: string[];
    managedFields?: { manager: string; operation: string; time?: string; fieldsV1?: unknown }[];
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};

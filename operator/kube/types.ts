// The shape of any Kubernetes object, as archctl reads and writes it: plain
// JSON with the metadata it uses. Types only (no code), so the pure layers
// (render, status, the reconcile plan) may import it; the exact shape of each
// rendered kind is pinned by the golden files, not by a copy of the Kubernetes types.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

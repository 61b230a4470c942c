// The types a reconcile works with: the stored Architecture, its children as
// the caches hold them, what a pass reports, and what the Reconciler is given.
import type { Architecture } from "../api/schema.ts";
import type { ObjectClient } from "../kube/objects.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Capabilities } from "../render/types.ts";
import type { CacheView } from "../runtime/cache-view.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { Logger } from "../runtime/logger.ts";
import type { PodView } from "../status/causes.ts";

export const FIELD_MANAGER = "archctl-operator";

/** An Architecture as the API server stores it: the spec plus server-set metadata. */
export type StoredArchitecture = Architecture & {
  metadata: Architecture["metadata"] & {
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
};

/**
 * A child object as the caches hold it (runtime/child-entry.ts): identity,
 * the labels and annotations read, the spec and status fields the plan and
 * roll-up read, and `ownedDigest` standing for the fields archctl-operator owns.
 */
export type Child = KubeObject & {
  ownedDigest?: string;
  metadata: KubeObject["metadata"] & {
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    ownerReferences?: { uid: string }[];
  };
};

/** A child that could not be written, and why; rolled up into Degraded. */
export interface ChildFailure {
  kind: string;
  name: string;
  /** NameTaken, CredentialsMismatch; ApplyFailed when absent. */
  reason?: string;
  message: string;
}

export interface ReconcileResult {
  /** Reconcile again after this many ms (TTL expiry, waiting for children). */
  requeueAfterMs?: number;
  writes: number;
}

export interface ReconcilerDeps {
  objects: ObjectClient;
  architectures: CacheView<StoredArchitecture>;
  /**
   * Caches of owned kinds, by "apiVersion/kind"; a function when the set
   * changes at run time (each pass reads it once).
   */
  children: ReadonlyMap<string, CacheView<Child>> | (() => ReadonlyMap<string, CacheView<Child>>);
  /** The pods of one component of an Architecture, for the status to say why it is not ready. */
  pods?: (namespace: string, architecture: string, component: string) => PodView[];
  /** The optional integrations found now; read once per pass. */
  capabilities: Capabilities | (() => Capabilities);
  events: EventRecorder;
  log: Logger;
  now?: () => Date;
  random?: (length: number) => string;
  onWrite?: (kind: string, verb: string) => void;
  /** Children one reconcile applies at once (default CHILD_CONCURRENCY in children.ts). */
  childConcurrency?: number;
}

// The reconcile plan: from the objects an Architecture wants and what the
// cluster holds, what to do with each child (create, apply, recreate, leave,
// refuse, prune) and why. Pure: the operator carries the plan out and
// `archctl plan` prints it, so a plan never promises what the operator refuses.
import { ARCHITECTURE_LABEL, MANAGED_BY } from "../api/names.ts";
import type { KubeObject } from "../kube/types.ts";
import type { SecretSpec } from "../render/types.ts";
import { decideApply } from "./drift.ts";
import type { BlockedChange } from "./immutable.ts";
import { destructiveChange, needsRecreate } from "./immutable.ts";

/**
 * Put on an existing object (by Helm, kubectl or a person) to let the
 * Architecture named in its value take it over: the only way archctl ever
 * applies over an object that does not carry its labels.
 */
export const ADOPT_ANNOTATION = "archctl.io/adopt";

/** On a credentials Secret: the component type it was generated for. */
export const ENGINE_ANNOTATION = "archctl.io/engine";

export interface Owner {
  /** The Architecture's name. */
  name: string;
  /** Its uid, when it exists: children of an older namesake are not pruned. */
  uid?: string;
}

export type LiveObject = KubeObject & {
  metadata: KubeObject["metadata"] & {
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    ownerReferences?: { uid: string }[];
    managedFields?: { manager?: string }[];
  };
  data?: Record<string, unknown>;
};

export type ChildAction =
  | { action: "create" }
  | { action: "apply"; reason: "changed" | "drifted" | "adopted" }
  | { action: "recreate"; reason: string }
  | { action: "unchanged" }
  | { action: "refuse"; reason: "NameTaken"; message: string }
  | { action: "refuse"; reason: "DestructiveChange"; blocked: BlockedChange };

/** Why an object may not be written; the message follows "<Kind> <name>: ". */
export interface Taken {
  reason: "NameTaken";
  message: string;
}

function managers(live: LiveObject): string {
  const names = [...new Set((live.metadata.managedFields ?? []).map((f) => f.manager ?? ""))]
    .filter((m) => m !== "")
    .sort();
  return names.length ? `field manager ${names.join(", ")}` : "no field manager recorded";
}

/**
 * Whether an existing object may be written by this Architecture: it carries
 * the Architecture's label, or an explicit adoption annotation naming it.
 * Anything else belongs to someone else (another Architecture, Helm, kubectl).
 */
export function takenBy(live: LiveObject, owner: Owner): Taken | undefined {
  const holder = live.metadata.labels?.[ARCHITECTURE_LABEL];
  if (holder === owner.name) return undefined;
  if (holder !== undefined)
    return {
      reason: "NameTaken",
      // Names are <architecture>-<component>: `a` with component `b-c` and
      // `a-b` with component `c` both want `a-b-c`.
      message: `belongs to Architecture '${holder}' in this namespace: rename this Architecture or the component`,
    };
  if (live.metadata.annotations?.[ADOPT_ANNOTATION] === owner.name) return undefined;
  return {
    reason: "NameTaken",
    message: `already exists and is not part of Architecture '${owner.name}' (${managers(live)}): rename the component, delete the ${live.kind}, or annotate it ${ADOPT_ANNOTATION}=${owner.name} to hand it over to archctl`,
  };
}

/** What to do with one desired child. `desired` carries its hash annotation (withHash). */
export function decideChild(
  desired: KubeObject,
  live: LiveObject | undefined,
  owner: Owner,
): ChildAction {
  if (!live) return { action: "create" };
  const taken = takenBy(live, owner);
  if (taken) return { action: "refuse", ...taken };
  const blocked = destructiveChange(desired, live);
  if (blocked) return { action: "refuse", reason: "DestructiveChange", blocked };
  if (live.metadata.labels?.[ARCHITECTURE_LABEL] !== owner.name)
    return { action: "apply", reason: "adopted" };
  const decision = decideApply(desired, live);
  if (!decision.apply || decision.reason === "unchanged") return { action: "unchanged" };
  if (needsRecreate(desired, live)) return { action: "recreate", reason: "pod template changed" };
  return { action: "apply", reason: decision.reason === "missing" ? "changed" : decision.reason };
}

/** Kinds never pruned: data (claims) and credentials outlive their component. */
const KEPT_KINDS = new Set(["PersistentVolumeClaim", "Secret"]);

/**
 * Whether a live object of this Architecture is no longer wanted. Only what
 * archctl made for this very Architecture (labels, manager, owner reference)
 * goes; `kinds` names the kinds the desired set was rendered for, so a kind
 * the renderer was not asked about (an integration appearing or going while
 * caches start or stop) is never read as "no longer wanted".
 */
export function prunable(
  live: LiveObject,
  owner: Owner,
  desiredKeys: ReadonlySet<string>,
  kinds: ReadonlySet<string>,
): boolean {
  if (KEPT_KINDS.has(live.kind) || !kinds.has(`${live.apiVersion}/${live.kind}`)) return false;
  if (live.metadata.labels?.[ARCHITECTURE_LABEL] !== owner.name) return false;
  if (live.metadata.labels?.["app.kubernetes.io/managed-by"] !== MANAGED_BY) return false;
  if (owner.uid !== undefined && !live.metadata.ownerReferences?.some((o) => o.uid === owner.uid))
    return false;
  if (live.metadata.deletionTimestamp) return false;
  return !desiredKeys.has(`${live.kind}/${live.metadata.name}`);
}

export type SecretAction =
  | { action: "create" }
  | { action: "keep"; adopt: boolean }
  | { action: "refuse"; reason: "NameTaken" | "CredentialsMismatch"; message: string };

/**
 * A credential Secret: created once, then kept as it is. A kept one (left by
 * an earlier Architecture of this name with deletionPolicy Retain) is adopted
 * only if it holds every key this component's type needs: `db` re-created as
 * another engine must not start on the old engine's Secret.
 */
export function decideSecret(
  spec: SecretSpec,
  live: LiveObject | undefined,
  owner: Owner,
): SecretAction {
  if (!live) return { action: "create" };
  const taken = takenBy(live, owner);
  if (taken) return { action: "refuse", ...taken };
  const engine = live.metadata.annotations?.[ENGINE_ANNOTATION];
  const have = new Set(Object.keys(live.data ?? {}));
  const missing = Object.keys(spec.keys).filter((k) => !have.has(k));
  // Secrets made before the engine was recorded are judged by their keys alone.
  if ((engine !== undefined && engine !== spec.engine) || missing.length)
    return {
      action: "refuse",
      reason: "CredentialsMismatch",
      message: `was kept from an earlier component ${spec.component} of ${engine ? `type ${engine}` : "another type"}${missing.length ? ` and lacks ${missing.join(", ")}` : ""}, so ${spec.engine} cannot use it: if its data is no longer needed, delete the Secret (and the old volumes), or give this component another name`,
    };
  const ownedNow =
    owner.uid !== undefined && live.metadata.ownerReferences?.some((o) => o.uid === owner.uid);
  return { action: "keep", adopt: !ownedNow };
}

export interface ChildStep {
  desired: KubeObject;
  live: LiveObject | undefined;
  action: ChildAction;
}

export interface PlanInput {
  owner: Owner;
  /** Desired children, each with its hash annotation (withHash). */
  desired: KubeObject[];
  /** The live object of that kind and name in the Architecture's namespace, whoever owns it. */
  live: (kind: string, name: string) => LiveObject | undefined;
  /** Live objects carrying the Architecture's label, for pruning. */
  labelled: LiveObject[];
  /** "apiVersion/kind" of every kind the desired set was rendered for. */
  kinds: ReadonlySet<string>;
  /** "Kind/name" of children held back this pass (a referenced Secret missing): never pruned. */
  held?: ReadonlySet<string>;
}

export interface ReconcilePlan {
  steps: ChildStep[];
  prune: LiveObject[];
}

export function planReconcile(input: PlanInput): ReconcilePlan {
  const desiredKeys = new Set([
    ...input.desired.map((o) => `${o.kind}/${o.metadata.name}`),
    ...(input.held ?? []),
  ]);
  const steps = input.desired.map((desired) => {
    const live = input.live(desired.kind, desired.metadata.name);
    return { desired, live, action: decideChild(desired, live, input.owner) };
  });
  const prune = input.labelled.filter((o) => prunable(o, input.owner, desiredKeys, input.kinds));
  return { steps, prune };
}

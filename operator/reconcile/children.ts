// Carrying out the reconcile plan for the children: apply (or recreate) what
// changed, refuse what is not ours or would destroy data, prune what is no
// longer wanted, and say what was done in at most one Event per kind of change.
import { ARCHITECTURE_LABEL } from "../api/names.ts";
import { describeKubeError, isInvalid, KubeApiError } from "../kube/errors.ts";
import { OWNED, resourceFor } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { BlockedChange } from "../status/rollup.ts";
import { withHash } from "./drift.ts";
import type { Pass } from "./pass.ts";
import type { LiveObject, Owner } from "./plan.ts";
import { decideChild, planReconcile } from "./plan.ts";
import type { Child, ChildFailure } from "./types.ts";
import { FIELD_MANAGER } from "./types.ts";

export interface ChildrenOutcome {
  blocked: BlockedChange[];
  failures: ChildFailure[];
  /**
   * The API server's answers to this pass's applies, with the version the
   * cache held before: newer than the cache until its watch event arrives.
   */
  fresh: Map<string, { applied: Child; before: string | undefined }>;
  /** The first refusal that may heal by itself: the pass fails with it, after its status, to be retried. */
  retry?: KubeApiError;
}

const versionOf = (o: { metadata: { resourceVersion?: string } } | undefined) =>
  o?.metadata.resourceVersion;

/** A cached child of this namespace by kind and name (caches hold only what archctl labelled). */
export function cachedChild(pass: Pass, kind: string, name: string): Child | undefined {
  const r = OWNED.find((o) => o.kind === kind);
  return r ? pass.cache(r.apiVersion, r.kind)?.get(name, pass.namespace) : undefined;
}

/** Cached objects labelled as this Architecture's, of the kinds given, with their kind set. */
function labelledChildren(pass: Pass, kinds: ReadonlySet<string>): Child[] {
  const out: Child[] = [];
  for (const r of OWNED) {
    if (!kinds.has(`${r.apiVersion}/${r.kind}`)) continue;
    for (const obj of pass.cache(r.apiVersion, r.kind)?.list(pass.namespace) ?? [])
      if (obj.metadata.labels?.[ARCHITECTURE_LABEL] === pass.name)
        out.push({ ...obj, apiVersion: r.apiVersion, kind: r.kind });
  }
  return out;
}

/** At most one Event per kind of change and reconcile: Events are writes too. */
function summarize(pass: Pass, reason: string, action: string, verb: string, objects: string[]) {
  if (objects.length === 0) return;
  const what = objects.length === 1 ? "1 object" : `${objects.length} objects`;
  pass.event("Normal", reason, action, `${verb} ${what}: ${objects.join(", ")}`);
}

/**
 * Applies the desired children, pruning what is no longer wanted. `kinds`
 * are the kinds the objects were rendered for (see prunable).
 */
export async function reconcileChildren(
  pass: Pass,
  owner: Owner,
  objects: KubeObject[],
  kinds: ReadonlySet<string>,
  held: ReadonlySet<string> = new Set(),
): Promise<ChildrenOutcome> {
  const plan = planReconcile({
    owner,
    held,
    desired: objects.filter((o) => !held.has(`${o.kind}/${o.metadata.name}`)).map(withHash),
    live: (kind, childName) => cachedChild(pass, kind, childName),
    labelled: labelledChildren(pass, kinds),
    kinds,
  });
  const outcome: ChildrenOutcome = { blocked: [], failures: [], fresh: new Map() };
  const created: string[] = [];
  const restored: string[] = [];
  const updated: string[] = [];
  // Independent children go out together, a few at a time; Jobs go after the
  // rest, since a Job runs once against what the others provide (a migration
  // against its datastore). Results are taken in plan order, so the status and
  // Events do not depend on which answer came first.
  const waves = [
    plan.steps.filter((s) => s.desired.kind !== "Job"),
    plan.steps.filter((s) => s.desired.kind === "Job"),
  ];
  const results: StepResult[] = [];
  for (const wave of waves)
    results.push(
      ...(await inPool(wave, pass.deps.childConcurrency ?? CHILD_CONCURRENCY, (step) =>
        carryOut(pass, owner, step),
      )),
    );
  for (const r of results) {
    switch (r.kind) {
      case "unchanged":
        break;
      case "blocked":
        outcome.blocked.push(r.blocked);
        break;
      case "failed":
        outcome.failures.push(r.failure);
        if (r.retry) outcome.retry ??= r.retry;
        break;
      case "applied":
        outcome.fresh.set(r.id, r.fresh);
        if (r.why === "drifted") restored.push(r.id);
        else if (r.why === "create") created.push(r.id);
        else updated.push(r.id);
        break;
    }
  }
  const pruned = await prune(pass, plan.prune);
  summarize(pass, "Created", "Apply", "created", created);
  summarize(pass, "Updated", "Apply", "updated", updated);
  summarize(pass, "Restored", "Apply", "restored what was changed outside archctl:", restored);
  summarize(pass, "Pruned", "Delete", "pruned what is no longer part of the Architecture:", pruned);
  return outcome;
}

/**
 * Children applied at once by one reconcile. With 8 workers, up to 32 writes
 * are in flight; API Priority and Fairness answers 429 when that is too many
 * (kube/rest.ts waits and sends again).
 */
export const CHILD_CONCURRENCY = 4;

type Step = ReturnType<typeof planReconcile>["steps"][number];
type StepResult =
  | { kind: "unchanged" }
  | { kind: "blocked"; blocked: BlockedChange }
  | { kind: "failed"; failure: ChildFailure; retry?: KubeApiError }
  | {
      kind: "applied";
      id: string;
      why: string;
      fresh: { applied: Child; before: string | undefined };
    };

/** `fn` over `items`, at most `limit` at a time; results in the items' order. Rejects once all settled. */
async function inPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.err;
  return results;
}

/** One step of the plan: look up, decide, write. */
async function carryOut(pass: Pass, owner: Owner, step: Step): Promise<StepResult> {
  const { namespace, log } = pass;
  const { desired } = step;
  const id = `${desired.kind}/${desired.metadata.name}`;
  let { action, live } = step;
  if (action.action === "create") {
    // The caches hold only what archctl labelled: ask the server whether
    // someone else already has this name before writing to it.
    live = await pass.deps.objects.find<Child>(
      resourceFor(desired.apiVersion, desired.kind),
      namespace,
      desired.metadata.name,
    );
    action = decideChild(desired, live, owner);
  }
  if (action.action === "unchanged") return { kind: "unchanged" };
  if (action.action === "refuse") {
    if (action.reason === "DestructiveChange") {
      log.warn("destructive change refused", {
        kind: desired.kind,
        name: desired.metadata.name,
        field: action.blocked.field,
      });
      return { kind: "blocked", blocked: action.blocked };
    }
    log.warn("name taken: not applied", {
      kind: desired.kind,
      name: desired.metadata.name,
      why: action.message,
    });
    return {
      kind: "failed",
      failure: {
        kind: desired.kind,
        name: desired.metadata.name,
        reason: action.reason,
        message: action.message,
      },
    };
  }
  try {
    if (action.action === "recreate" && live) {
      await pass.deps.objects.delete(
        resourceFor(desired.apiVersion, desired.kind),
        namespace,
        desired.metadata.name,
        {
          ...(live.metadata.uid ? { uid: live.metadata.uid } : {}),
          propagationPolicy: "Background",
        },
      );
      pass.wrote(desired.kind, "delete");
      log.info("recreating", {
        kind: desired.kind,
        name: desired.metadata.name,
        why: action.reason,
      });
    }
    const applied = await pass.deps.objects.apply<Child>(desired, {
      fieldManager: FIELD_MANAGER,
      force: true,
    });
    pass.wrote(desired.kind, "apply");
    const why = action.action === "apply" ? action.reason : action.action;
    log.info("applied", { kind: desired.kind, name: desired.metadata.name, why });
    return { kind: "applied", id, why, fresh: { applied, before: versionOf(live) } };
  } catch (err) {
    // Refused for good (invalid), or for now (a quota, a full Service range,
    // an admission webhook): either way the status says which child and why.
    // Only a refusal for now is retried, after the status is written.
    if (!(err instanceof KubeApiError)) throw err;
    const message = describeKubeError(err);
    log.error("object refused by the API server", {
      kind: desired.kind,
      name: desired.metadata.name,
      err: message,
    });
    return {
      kind: "failed",
      failure: { kind: desired.kind, name: desired.metadata.name, message },
      ...(isInvalid(err) ? {} : { retry: err }),
    };
  }
}

async function prune(pass: Pass, unwanted: LiveObject[]): Promise<string[]> {
  const pruned: string[] = [];
  for (const obj of unwanted) {
    await pass.deps.objects.delete(
      resourceFor(obj.apiVersion, obj.kind),
      pass.namespace,
      obj.metadata.name,
      {
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
        propagationPolicy: "Background",
      },
    );
    pass.wrote(obj.kind, "delete");
    pass.log.info("pruned", { kind: obj.kind, name: obj.metadata.name });
    pruned.push(`${obj.kind}/${obj.metadata.name}`);
  }
  return pruned;
}

/**
 * The apply response, unless the cache has moved on from the version it held
 * before the apply (resourceVersions are compared for equality only: their
 * order is the API server's business).
 */
export function newest(
  fresh: { applied: Child; before: string | undefined } | undefined,
  cached: Child | undefined,
): Child | undefined {
  if (!fresh) return cached;
  if (!cached || versionOf(cached) === fresh.before) return fresh.applied;
  return cached;
}

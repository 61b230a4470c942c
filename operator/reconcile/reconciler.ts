// One reconcile of one Architecture: read it from the cache -> (delete or
// expire it) -> validate -> render -> credentials -> carry out the reconcile
// plan for the children (plan.ts) -> roll their state up into status -> write
// status if it changed. Reads come from informer caches; a reconcile of an
// unchanged, healthy Architecture sends no request at all. The steps live in
// lifecycle.ts, credentials.ts, children.ts and status-writer.ts.
import { applyDefaults } from "../api/defaults.ts";
import { ARCHITECTURE_LABEL, COMPONENT_LABEL, FINALIZER } from "../api/names.ts";
import { formatPath, validateArchitecture } from "../api/validate.ts";
import { isNotFound, KubeApiError } from "../kube/errors.ts";
import { ARCHITECTURES, ownedKinds, resourcePath } from "../kube/resources.ts";
import { render } from "../render/index.ts";
import type { ClaimView } from "../status/causes.ts";
import { invalidStatus } from "../status/fallback.ts";
import { restoreHolds } from "../status/restore-state.ts";
import { rollup } from "../status/rollup.ts";
import { cachedChild, newest, reconcileChildren } from "./children.ts";
import { ensureCredentials, randomAlphanumeric } from "./credentials.ts";
import { addFinalizer, expire, expiryMs, finalize } from "./lifecycle.ts";
import { Pass } from "./pass.ts";
import type { Owner } from "./plan.ts";
import { checkReferencedSecrets, heldWorkloads } from "./referenced-secrets.ts";
import { StatusWriter } from "./status-writer.ts";
import type { ReconcileResult, ReconcilerDeps, StoredArchitecture } from "./types.ts";

export { randomAlphanumeric } from "./credentials.ts";
export type {
  Child,
  ChildFailure,
  ReconcileResult,
  ReconcilerDeps,
  StoredArchitecture,
} from "./types.ts";
export { FIELD_MANAGER } from "./types.ts";

/** How soon an Architecture whose names are taken looks again (objects it does not watch). */
export const NAME_TAKEN_RECHECK_MS = 30_000;

export class Reconciler {
  private readonly deps: ReconcilerDeps;
  private readonly now: () => Date;
  private readonly random: (length: number) => string;
  private readonly status = new StatusWriter();

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? randomAlphanumeric;
  }

  async reconcile(namespace: string, name: string, reconcileId: string): Promise<ReconcileResult> {
    try {
      return await this.pass(namespace, name, reconcileId);
    } catch (err) {
      // Deleted while this pass ran (a TTL, a delete): nothing left to do.
      if (isNotFound(err) && err instanceof KubeApiError && isPathOf(err.path, namespace, name)) {
        this.status.forget(`${namespace}/${name}`);
        return { writes: 0 };
      }
      throw err;
    }
  }

  private async pass(
    namespace: string,
    name: string,
    reconcileId: string,
  ): Promise<ReconcileResult> {
    const key = `${namespace}/${name}`;
    const cached = this.deps.architectures.get(name, namespace);
    if (!cached) {
      this.status.forget(key);
      return { writes: 0 }; // deleted: garbage collection removes the children
    }
    const stored = this.status.current(cached, key);
    const log = this.deps.log.child({
      architecture: key,
      reconcileId,
      generation: stored.metadata.generation,
    });
    const pass = new Pass(this.deps, stored, log, this.now());
    const done = (requeueAfterMs?: number): ReconcileResult =>
      requeueAfterMs === undefined
        ? { writes: pass.writes }
        : { writes: pass.writes, requeueAfterMs };
    const writeStatus = (s: Parameters<StatusWriter["write"]>[1]) => this.status.write(pass, s);

    if (stored.metadata.deletionTimestamp) return done(await finalize(pass, writeStatus));
    if (!stored.metadata.finalizers?.includes(FINALIZER)) await addFinalizer(pass);

    // Expiry first: an ephemeral environment edited into an invalid spec still goes.
    const expiry = expiryMs(stored, pass.now);
    if (expiry !== undefined && expiry <= 0) {
      await expire(pass);
      return done();
    }

    const validation = validateArchitecture(stripStatus(stored));
    if (!validation.architecture) {
      // Will not heal by retrying: say so in status and wait for a new generation.
      const problems = validation.issues
        .filter((i) => i.severity === "error")
        .map((i) => `${formatPath(i.path)}: ${i.message}`)
        .join("; ");
      await writeStatus(
        invalidStatus(stored.status, stored.metadata.generation ?? 0, problems, pass.now),
      );
      log.warn("invalid spec", { problems });
      return done(expiry);
    }

    // One reading of the integrations for the whole pass: discovery may change
    // them while this pass runs, and render and prune must agree.
    const capabilities =
      typeof this.deps.capabilities === "function"
        ? this.deps.capabilities()
        : { ...this.deps.capabilities };
    const architecture = { ...validation.architecture, metadata: stored.metadata };
    const rendered = render(architecture, capabilities);
    const owner: Owner = { name, ...(stored.metadata.uid ? { uid: stored.metadata.uid } : {}) };
    const credentials = await ensureCredentials(pass, owner, rendered.secrets, this.random);
    const references = await checkReferencedSecrets(pass, architecture, rendered.objects);
    const resolved = applyDefaults(architecture);
    // Users of a datastore still restoring wait, as those of a missing Secret do.
    const restores = restoreHolds(resolved.components, name, (k, n) => cachedChild(pass, k, n));
    const held = new Set([
      ...references.held,
      ...heldWorkloads(rendered.objects, new Set(restores.held.keys())),
    ]);
    const children = await reconcileChildren(
      pass,
      owner,
      rendered.objects,
      ownedKinds(capabilities),
      held,
    );
    const failures = [...credentials.failures, ...references.failures, ...children.failures];

    const { status, recheckAfterMs: stallCheck } = rollup({
      arch: resolved,
      generation: stored.metadata.generation ?? 0,
      previous: stored.status,
      child: (kind, childName) =>
        newest(children.fresh.get(`${kind}/${childName}`), cachedChild(pass, kind, childName)),
      pods: (component) => this.deps.pods?.(namespace, name, component) ?? [],
      claims: (component) =>
        (pass.cache("v1", "PersistentVolumeClaim")?.list(namespace) ?? []).filter(
          (c) =>
            c.metadata.labels?.[ARCHITECTURE_LABEL] === name &&
            c.metadata.labels?.[COMPONENT_LABEL] === component,
        ) as ClaimView[],
      notices: rendered.notices,
      blocked: children.blocked,
      failures,
      now: pass.now,
      ...(stored.metadata.creationTimestamp
        ? { creationTimestamp: stored.metadata.creationTimestamp }
        : {}),
    });
    const previousPhase = stored.status?.phase;
    await writeStatus(status);
    if (previousPhase !== status.phase) {
      log.info("phase changed", { from: previousPhase ?? "none", to: status.phase });
      if (status.phase === "Degraded")
        pass.event(
          "Warning",
          "Degraded",
          "Reconcile",
          status.conditions?.find((c) => c.type === "Degraded")?.message ?? "degraded",
        );
      if (status.phase === "Ready")
        pass.event("Normal", "Ready", "Reconcile", "all components are ready");
    }
    // The status says why; the controller retries with backoff.
    const retry = credentials.retry ?? children.retry;
    if (retry) throw retry;
    // A name held by someone else heals outside the caches' sight (the object
    // deleted, or annotated for adoption): look again in a while.
    const recheck = failures.some((f) => f.reason === "NameTaken")
      ? NAME_TAKEN_RECHECK_MS
      : undefined;
    const waits = [expiry, recheck, stallCheck, references.recheckAfterMs].filter(
      (w): w is number => w !== undefined,
    );
    return done(waits.length ? Math.min(...waits) : undefined);
  }
}

/** Whether a request path is the Architecture's own (its object or status). */
function isPathOf(path: string, namespace: string, name: string): boolean {
  const own = resourcePath(ARCHITECTURES, namespace, name);
  return path === own || path.startsWith(`${own}/`) || path.startsWith(`${own}?`);
}

function stripStatus(stored: StoredArchitecture): unknown {
  const { status: _status, ...rest } = stored;
  const { name, namespace, labels, annotations } = stored.metadata;
  const metadata: Record<string, unknown> = { name };
  if (namespace) metadata.namespace = namespace;
  if (labels) metadata.labels = labels;
  if (annotations) metadata.annotations = annotations;
  return { ...rest, metadata };
}

// One reconcile of one Architecture: read it from the cache -> render -> apply
// what changed -> prune what is no longer wanted -> roll children's state up
// into status -> write status if it changed. Reads come from informer caches;
// a reconcile of an unchanged, healthy Architecture sends no request at all.
import { randomBytes } from "node:crypto";
import type { ResolvedArchitecture } from "../api/defaults.ts";
import { applyDefaults } from "../api/defaults.ts";
import { durationSeconds } from "../api/duration.ts";
import {
  ARCHITECTURE_LABEL,
  COMPONENT_LABEL,
  EPHEMERAL_NAMESPACE_LABEL,
  FINALIZER,
} from "../api/names.ts";
import type { Architecture, ArchitectureStatus } from "../api/schema.ts";
import { API_VERSION, KIND } from "../api/schema.ts";
import { formatPath, validateArchitecture } from "../api/validate.ts";
import { explainKubeError, isAlreadyExists, isInvalid, isNotFound } from "../kube/errors.ts";
import type { ObjectClient } from "../kube/objects.ts";
import { ARCHITECTURES, NAMESPACES, OWNED, ownedKinds, resourceFor } from "../kube/resources.ts";
import { materializeSecret } from "../render/connection.ts";
import { render } from "../render/index.ts";
import type { Capabilities, KubeObject, SecretSpec } from "../render/types.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { Informer } from "../runtime/informer.ts";
import type { Logger } from "../runtime/logger.ts";
import type { ClaimView, PodView } from "../status/causes.ts";
import { deletingStatus, rollupStatus } from "../status/rollup.ts";
import { canonicalJson, withHash } from "./drift.ts";
import type { BlockedChange } from "./immutable.ts";
import type { LiveObject, Owner } from "./plan.ts";
import { decideChild, decideSecret, ENGINE_ANNOTATION, planReconcile } from "./plan.ts";

export const FIELD_MANAGER = "archctl-operator";
/** How soon an Architecture whose names are taken looks again (objects it does not watch). */
export const NAME_TAKEN_RECHECK_MS = 30_000;

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

type Child = KubeObject & {
  metadata: KubeObject["metadata"] & {
    uid?: string;
    resourceVersion?: string;
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
  architectures: Informer<StoredArchitecture>;
  /** Caches of owned kinds, by "apiVersion/kind". */
  children: Map<string, Informer<Child>>;
  /** The pods of one component of an Architecture, for the status to say why it is not ready. */
  pods?: (namespace: string, architecture: string, component: string) => PodView[];
  capabilities: Capabilities;
  events: EventRecorder;
  log: Logger;
  now?: () => Date;
  random?: (length: number) => string;
  onWrite?: (kind: string, verb: string) => void;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Uniform random alphanumerics from the OS's CSPRNG (rejection sampling, no modulo bias). */
export function randomAlphanumeric(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}

const key = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;

const versionOf = (o: { metadata: { resourceVersion?: string } } | undefined) =>
  o?.metadata.resourceVersion;

/**
 * The status this operator last wrote to an Architecture. A reconcile that
 * starts before the watch event of that write has reached the cache would
 * otherwise compare with the older status and write again. resourceVersions
 * are opaque (only equality means anything), so the memo lists the versions
 * known to predate the write: while the cache shows one of them, the memo is
 * the newer truth.
 */
interface WrittenStatus {
  uid: string | undefined;
  status: ArchitectureStatus;
  /** The version the write produced: once the cache shows it, the memo is spent. */
  version: string | undefined;
  olderVersions: Set<string>;
}

/** Per reconcile: writes made, and versions of the Architecture this pass produced before its status write. */
interface Pass {
  writes: number;
  archVersions: string[];
}

export class Reconciler {
  private readonly d: ReconcilerDeps;
  private readonly now: () => Date;
  private readonly random: (length: number) => string;
  /** By namespace/name; an entry lives only while the cache lags behind a status write. */
  private readonly written = new Map<string, WrittenStatus>();

  constructor(deps: ReconcilerDeps) {
    this.d = deps;
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? randomAlphanumeric;
  }

  private cacheOf(apiVersion: string, kind: string): Informer<Child> | undefined {
    return this.d.children.get(key(apiVersion, kind));
  }

  /**
   * The Architecture as the cache shows it, with the status this operator wrote
   * last if the cache has not seen that write yet.
   */
  private withWrittenStatus(stored: StoredArchitecture, archKey: string): StoredArchitecture {
    const memo = this.written.get(archKey);
    if (!memo) return stored;
    const rv = stored.metadata.resourceVersion;
    if (memo.uid === stored.metadata.uid && rv !== undefined && memo.olderVersions.has(rv))
      return { ...stored, status: memo.status };
    // The cache shows the write itself or something after it (or a namesake).
    this.written.delete(archKey);
    return stored;
  }

  private wrote(kind: string, verb: string, counter: Pass): void {
    counter.writes++;
    this.d.onWrite?.(kind, verb);
  }

  async reconcile(namespace: string, name: string, reconcileId: string): Promise<ReconcileResult> {
    const counter: Pass = { writes: 0, archVersions: [] };
    const archKey = `${namespace}/${name}`;
    const cached = this.d.architectures.get(name, namespace);
    if (!cached) {
      this.written.delete(archKey);
      return { writes: 0 }; // deleted: garbage collection removes the children
    }
    const stored = this.withWrittenStatus(cached, archKey);
    const log = this.d.log.child({
      architecture: `${namespace}/${name}`,
      reconcileId,
      generation: stored.metadata.generation,
    });

    if (stored.metadata.deletionTimestamp) {
      const waitMs = await this.finalize(stored, log, counter);
      return waitMs === undefined
        ? { writes: counter.writes }
        : { writes: counter.writes, requeueAfterMs: waitMs };
    }
    if (!stored.metadata.finalizers?.includes(FINALIZER)) {
      await this.addFinalizer(stored, counter);
    }

    // Expiry first: an ephemeral environment edited into an invalid spec still goes.
    const expiry = this.expiryMs(stored);
    if (expiry !== undefined && expiry <= 0) {
      await this.expire(stored, log, counter);
      return { writes: counter.writes };
    }

    const validation = validateArchitecture(stripStatus(stored));
    if (!validation.architecture) {
      // Will not heal by retrying: say so in status and wait for a new generation.
      const problems = validation.issues
        .filter((i) => i.severity === "error")
        .map((i) => `${formatPath(i.path)}: ${i.message}`)
        .join("; ");
      await this.writeStatus(stored, invalidStatus(stored, problems, this.now()), counter);
      log.warn("invalid spec", { problems });
      return expiry === undefined
        ? { writes: counter.writes }
        : { writes: counter.writes, requeueAfterMs: expiry };
    }

    const resolved: ResolvedArchitecture = applyDefaults({
      ...validation.architecture,
      metadata: stored.metadata,
    });
    // One reading of the integrations for the whole pass: discovery may change
    // them while this pass runs, and render and prune must agree.
    const capabilities = { ...this.d.capabilities };
    const rendered = render(
      { ...validation.architecture, metadata: stored.metadata },
      capabilities,
    );
    const owner: Owner = {
      name,
      ...(stored.metadata.uid ? { uid: stored.metadata.uid } : {}),
    };
    const failures: ChildFailure[] = await this.ensureSecrets(
      stored,
      owner,
      rendered.secrets,
      log,
      counter,
    );

    const kinds = ownedKinds(capabilities);
    const plan = planReconcile({
      owner,
      desired: rendered.objects.map(withHash),
      live: (kind, childName) => this.cachedChild(kind, childName, namespace),
      labelled: this.labelledChildren(namespace, name, kinds),
      kinds,
    });
    const blocked: BlockedChange[] = [];
    const created: string[] = [];
    // The API server's answer to an apply is newer than the cache, whose watch
    // event may still be on its way: the roll-up reads it first, so the status
    // written now is the one the next reconcile computes too.
    const fresh = new Map<string, { applied: Child; before: string | undefined }>();
    const restored: string[] = [];
    const updated: string[] = [];
    for (const step of plan.steps) {
      const { desired } = step;
      const id = `${desired.kind}/${desired.metadata.name}`;
      let { action, live } = step;
      if (action.action === "create") {
        // The caches hold only what archctl labelled: ask the server whether
        // someone else already has this name before writing to it.
        live = await this.d.objects.find<Child>(
          resourceFor(desired.apiVersion, desired.kind),
          namespace,
          desired.metadata.name,
        );
        action = decideChild(desired, live, owner);
      }
      if (action.action === "unchanged") continue;
      if (action.action === "refuse") {
        if (action.reason === "DestructiveChange") blocked.push(action.blocked);
        else {
          failures.push({
            kind: desired.kind,
            name: desired.metadata.name,
            reason: action.reason,
            message: action.message,
          });
          log.warn("name taken: not applied", {
            kind: desired.kind,
            name: desired.metadata.name,
            why: action.message,
          });
        }
        continue;
      }
      try {
        if (action.action === "recreate" && live) {
          await this.d.objects.delete(
            resourceFor(desired.apiVersion, desired.kind),
            namespace,
            desired.metadata.name,
            {
              ...(live.metadata.uid ? { uid: live.metadata.uid } : {}),
              propagationPolicy: "Background",
            },
          );
          this.wrote(desired.kind, "delete", counter);
          log.info("recreating", {
            kind: desired.kind,
            name: desired.metadata.name,
            why: action.reason,
          });
        }
        const applied = await this.d.objects.apply<Child>(desired, {
          fieldManager: FIELD_MANAGER,
          force: true,
        });
        fresh.set(id, { applied, before: versionOf(live) });
        this.wrote(desired.kind, "apply", counter);
        const why = action.action === "apply" ? action.reason : action.action;
        log.info("applied", { kind: desired.kind, name: desired.metadata.name, why });
        if (why === "drifted") restored.push(id);
        else if (why === "create") created.push(id);
        else updated.push(id);
      } catch (err) {
        if (!isInvalid(err)) throw err;
        failures.push({
          kind: desired.kind,
          name: desired.metadata.name,
          message: explainKubeError(err),
        });
        log.error("object refused by the API server", {
          kind: desired.kind,
          name: desired.metadata.name,
          err: explainKubeError(err),
        });
      }
    }
    for (const b of blocked)
      log.warn("destructive change refused", { kind: b.kind, name: b.name, field: b.field });

    const pruned = await this.prune(stored, plan.prune, log, counter);
    this.summarize(stored, "Created", "Apply", "created", created);
    this.summarize(stored, "Updated", "Apply", "updated", updated);
    this.summarize(
      stored,
      "Restored",
      "Apply",
      "restored what was changed outside archctl:",
      restored,
    );
    this.summarize(
      stored,
      "Pruned",
      "Delete",
      "pruned what is no longer part of the Architecture:",
      pruned,
    );

    const status = rollupStatus({
      arch: resolved,
      generation: stored.metadata.generation ?? 0,
      previous: stored.status,
      child: (kind, childName) => {
        const r = OWNED.find((o) => o.kind === kind);
        const cached = r
          ? this.cacheOf(r.apiVersion, r.kind)?.get(childName, namespace)
          : undefined;
        return newest(fresh.get(`${kind}/${childName}`), cached);
      },
      pods: (component) => this.d.pods?.(namespace, name, component) ?? [],
      claims: (component) =>
        (this.cacheOf("v1", "PersistentVolumeClaim")?.list(namespace) ?? []).filter(
          (c) =>
            c.metadata.labels?.[ARCHITECTURE_LABEL] === name &&
            c.metadata.labels?.[COMPONENT_LABEL] === component,
        ) as ClaimView[],
      notices: rendered.notices,
      blocked,
      failures,
      now: this.now(),
      ...(stored.metadata.creationTimestamp
        ? { creationTimestamp: stored.metadata.creationTimestamp }
        : {}),
    });
    const previousPhase = stored.status?.phase;
    await this.writeStatus(stored, status, counter);
    if (previousPhase !== status.phase) {
      log.info("phase changed", { from: previousPhase ?? "none", to: status.phase });
      if (status.phase === "Degraded")
        this.d.events.record(
          stored,
          "Warning",
          "Degraded",
          "Reconcile",
          status.conditions?.find((c) => c.type === "Degraded")?.message ?? "degraded",
        );
      if (status.phase === "Ready")
        this.d.events.record(stored, "Normal", "Ready", "Reconcile", "all components are ready");
    }
    const result: ReconcileResult = { writes: counter.writes };
    if (expiry !== undefined) result.requeueAfterMs = expiry;
    // A name held by someone else heals outside the caches' sight (the object
    // deleted, or annotated for adoption): look again in a while.
    if (failures.some((f) => f.reason === "NameTaken"))
      result.requeueAfterMs = Math.min(
        result.requeueAfterMs ?? NAME_TAKEN_RECHECK_MS,
        NAME_TAKEN_RECHECK_MS,
      );
    return result;
  }

  /** Milliseconds until the TTL runs out, read from the spec as stored (valid or not). */
  private expiryMs(stored: StoredArchitecture): number | undefined {
    const ttl = (stored.spec as { ttl?: unknown } | undefined)?.ttl;
    if (typeof ttl !== "string" || !stored.metadata.creationTimestamp) return undefined;
    const seconds = durationSeconds(ttl);
    const created = Date.parse(stored.metadata.creationTimestamp);
    if (seconds === undefined || !Number.isFinite(created)) return undefined;
    return created + seconds * 1000 - this.now().getTime();
  }

  private async expire(stored: StoredArchitecture, log: Logger, counter: Pass): Promise<void> {
    const ns = stored.metadata.namespace ?? "default";
    log.info("ttl expired: deleting", { ttl: stored.spec.ttl });
    this.d.events.record(
      stored,
      "Normal",
      "Expired",
      "Delete",
      `ttl ${stored.spec.ttl} has passed`,
    );
    if (stored.metadata.labels?.[EPHEMERAL_NAMESPACE_LABEL]) {
      // An ephemeral environment: its namespace goes with everything in it.
      const nsObj = await this.d.objects.find<KubeObject>(NAMESPACES, undefined, ns);
      if (
        nsObj?.metadata.labels?.[EPHEMERAL_NAMESPACE_LABEL] ===
        stored.metadata.labels[EPHEMERAL_NAMESPACE_LABEL]
      ) {
        await this.d.objects.delete(NAMESPACES, undefined, ns);
        this.wrote("Namespace", "delete", counter);
      }
    }
    await this.d.objects.delete(
      ARCHITECTURES,
      ns,
      stored.metadata.name,
      stored.metadata.uid ? { uid: stored.metadata.uid } : {},
    );
    this.wrote(KIND, "delete", counter);
  }

  private async addFinalizer(stored: StoredArchitecture, counter: Pass): Promise<void> {
    const current = stored.metadata.finalizers;
    const ops = current
      ? [
          { op: "test", path: "/metadata/finalizers", value: current },
          { op: "add", path: "/metadata/finalizers/-", value: FINALIZER },
        ]
      : [
          { op: "test", path: "/metadata/resourceVersion", value: stored.metadata.resourceVersion },
          { op: "add", path: "/metadata/finalizers", value: [FINALIZER] },
        ];
    const patched = await this.d.objects.jsonPatch<StoredArchitecture>(
      ARCHITECTURES,
      stored.metadata.namespace,
      stored.metadata.name,
      ops,
    );
    this.wrote(KIND, "patch", counter);
    // Older than the status write that follows in this pass.
    const rv = versionOf(patched);
    if (rv) counter.archVersions.push(rv);
  }

  /** Returns how long to wait before finishing, when datastores must stop first. */
  private async finalize(
    stored: StoredArchitecture,
    log: Logger,
    counter: Pass,
  ): Promise<number | undefined> {
    const finalizers = stored.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return undefined;
    const ns = stored.metadata.namespace ?? "default";
    const policy = stored.spec.deletionPolicy === "Delete" ? "Delete" : "Retain";
    const selector = `${ARCHITECTURE_LABEL}=${stored.metadata.name}`;
    const pvcs = resourceFor("v1", "PersistentVolumeClaim");
    const secrets = resourceFor("v1", "Secret");
    // Our finalizer still holds the object, so it exists: say it is going.
    // Computed from the previous status alone, so a retried pass writes nothing.
    try {
      await this.writeStatus(
        stored,
        deletingStatus(stored.status, stored.metadata.generation ?? 0, policy, this.now()),
        counter,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return undefined;
    }
    if (policy === "Delete") {
      // A claim deleted while its pod runs only goes Terminating, and a
      // StatefulSet alive after that could start a pod on a fresh empty claim.
      // So: StatefulSets first, in the foreground (each goes only after its
      // pods), then the claims, which nothing uses any more.
      const sets = (this.cacheOf("apps/v1", "StatefulSet")?.list(ns) ?? []).filter(
        (s) => s.metadata.labels?.[ARCHITECTURE_LABEL] === stored.metadata.name,
      );
      if (sets.length > 0) {
        const statefulSets = resourceFor("apps/v1", "StatefulSet");
        let started = 0;
        for (const set of sets) {
          if ((set.metadata as { deletionTimestamp?: string }).deletionTimestamp) continue;
          await this.d.objects.delete(statefulSets, ns, set.metadata.name, {
            ...(set.metadata.uid ? { uid: set.metadata.uid } : {}),
            propagationPolicy: "Foreground",
          });
          this.wrote("StatefulSet", "delete", counter);
          started++;
        }
        // Said once; later passes only wait.
        const waiting = { statefulSets: sets.map((s) => s.metadata.name) };
        if (started)
          log.info("waiting for datastores to stop before deleting their volumes", waiting);
        else log.debug("still waiting for datastores to stop", waiting);
        // Their delete events wake this key; the requeue is a safety net.
        return 5000;
      }
      const list = await this.d.objects.list<Child>(pvcs, ns, selector);
      for (const pvc of list.items) {
        await this.d.objects.delete(
          pvcs,
          ns,
          pvc.metadata.name,
          pvc.metadata.uid ? { uid: pvc.metadata.uid } : {},
        );
        this.wrote("PersistentVolumeClaim", "delete", counter);
      }
      log.info("deleted data volumes", { count: list.items.length });
    } else {
      // Retain: the credential Secrets must outlive the Architecture with the
      // volumes, or re-created databases could not open their own data.
      for (const secret of this.d.children.get(key("v1", "Secret"))?.list(ns) ?? []) {
        if (
          secret.metadata.labels?.[ARCHITECTURE_LABEL] !== stored.metadata.name ||
          !secret.metadata.ownerReferences?.length
        )
          continue;
        await this.d.objects.jsonPatch(secrets, ns, secret.metadata.name, [
          { op: "test", path: "/metadata/ownerReferences", value: secret.metadata.ownerReferences },
          { op: "remove", path: "/metadata/ownerReferences" },
        ]);
        this.wrote("Secret", "patch", counter);
      }
      log.info("kept data volumes and credentials", { policy });
    }
    await this.d.objects.jsonPatch(ARCHITECTURES, ns, stored.metadata.name, [
      { op: "test", path: "/metadata/finalizers", value: finalizers },
      {
        op: "replace",
        path: "/metadata/finalizers",
        value: finalizers.filter((f) => f !== FINALIZER),
      },
    ]);
    this.wrote(KIND, "patch", counter);
    return undefined;
  }

  private ownerRef(stored: StoredArchitecture) {
    return {
      apiVersion: API_VERSION,
      kind: KIND,
      name: stored.metadata.name,
      uid: stored.metadata.uid ?? "",
      controller: true,
      blockOwnerDeletion: true,
    };
  }

  /**
   * Credential Secrets: created once with random values, never rewritten; a
   * kept one is adopted as it is if its keys fit. Returns the Secrets that may
   * not be used (another's, or kept from another engine).
   */
  private async ensureSecrets(
    stored: StoredArchitecture,
    owner: Owner,
    specs: SecretSpec[],
    log: Logger,
    counter: Pass,
  ): Promise<ChildFailure[]> {
    const ns = stored.metadata.namespace ?? "default";
    const secrets = resourceFor("v1", "Secret");
    const failures: ChildFailure[] = [];
    for (const spec of specs) {
      let live: Child | undefined = this.cacheOf("v1", "Secret")?.get(spec.name, ns);
      let action = decideSecret(spec, live, owner);
      if (action.action === "create") {
        const secret: KubeObject = {
          apiVersion: "v1",
          kind: "Secret",
          metadata: {
            name: spec.name,
            namespace: ns,
            labels: spec.labels,
            annotations: { [ENGINE_ANNOTATION]: spec.engine },
            ownerReferences: [this.ownerRef(stored)],
          },
          type: "Opaque",
          stringData: materializeSecret(spec, this.random),
        };
        try {
          await this.d.objects.create(secret, FIELD_MANAGER);
          this.wrote("Secret", "create", counter);
          log.info("generated credentials", { secret: spec.name });
          continue;
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
        // Someone has the name: the cache had not seen ours yet, or it is not ours.
        live = await this.d.objects.find<Child>(secrets, ns, spec.name);
        action = decideSecret(spec, live, owner);
        if (action.action === "create") continue; // deleted meanwhile: the next pass creates it
      }
      if (action.action === "refuse") {
        failures.push({
          kind: "Secret",
          name: spec.name,
          reason: action.reason,
          message: action.message,
        });
        log.warn("credentials not usable", { secret: spec.name, why: action.message });
        continue;
      }
      if (action.adopt) {
        await this.d.objects.mergePatch(secrets, ns, spec.name, {
          metadata: { ownerReferences: [this.ownerRef(stored)] },
        });
        this.wrote("Secret", "patch", counter);
        log.info("adopted kept credentials", { secret: spec.name });
      }
    }
    return failures;
  }

  /** A cached child of this namespace by kind and name (caches hold only what archctl labelled). */
  private cachedChild(kind: string, name: string, namespace: string): Child | undefined {
    const r = OWNED.find((o) => o.kind === kind);
    return r ? this.cacheOf(r.apiVersion, r.kind)?.get(name, namespace) : undefined;
  }

  /** Cached objects labelled as this Architecture's, of the kinds given, with their kind set. */
  private labelledChildren(namespace: string, name: string, kinds: ReadonlySet<string>): Child[] {
    const out: Child[] = [];
    for (const r of OWNED) {
      if (!kinds.has(`${r.apiVersion}/${r.kind}`)) continue;
      for (const obj of this.cacheOf(r.apiVersion, r.kind)?.list(namespace) ?? [])
        if (obj.metadata.labels?.[ARCHITECTURE_LABEL] === name)
          out.push({ ...obj, apiVersion: r.apiVersion, kind: r.kind });
    }
    return out;
  }

  /** At most one Event per kind of change and reconcile: Events are writes too. */
  private summarize(
    stored: StoredArchitecture,
    reason: string,
    action: string,
    verb: string,
    objects: string[],
  ): void {
    if (objects.length === 0) return;
    const what = objects.length === 1 ? "1 object" : `${objects.length} objects`;
    this.d.events.record(
      stored,
      "Normal",
      reason,
      action,
      `${verb} ${what}: ${objects.join(", ")}`,
    );
  }

  private async prune(
    stored: StoredArchitecture,
    unwanted: LiveObject[],
    log: Logger,
    counter: Pass,
  ): Promise<string[]> {
    const ns = stored.metadata.namespace ?? "default";
    const pruned: string[] = [];
    for (const obj of unwanted) {
      await this.d.objects.delete(resourceFor(obj.apiVersion, obj.kind), ns, obj.metadata.name, {
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
        propagationPolicy: "Background",
      });
      this.wrote(obj.kind, "delete", counter);
      log.info("pruned", { kind: obj.kind, name: obj.metadata.name });
      pruned.push(`${obj.kind}/${obj.metadata.name}`);
    }
    return pruned;
  }

  /** `stored` must come from withWrittenStatus, so that it is compared with the latest write. */
  private async writeStatus(
    stored: StoredArchitecture,
    computed: ArchitectureStatus,
    counter: Pass,
  ): Promise<void> {
    let status = computed;
    if (canonicalJson(stored.status ?? {}) === canonicalJson(status)) return;
    const ns = stored.metadata.namespace ?? "default";
    const archKey = `${ns}/${stored.metadata.name}`;
    const memo = this.written.get(archKey);
    // Status is computed whole from the caches and only the leader writes it,
    // so no resourceVersion precondition: a finalizer just added must not make
    // the status write of the same pass fail.
    const patch = (next: ArchitectureStatus) =>
      this.d.objects.mergePatch<StoredArchitecture>(
        ARCHITECTURES,
        ns,
        stored.metadata.name,
        { status: { ...emptyStatus(), ...next } },
        "status",
      );
    let written: StoredArchitecture;
    try {
      written = await patch(status);
    } catch (err) {
      if (!isInvalid(err)) throw err;
      // The API server refused a status this operator built: a bug of ours,
      // never the user's. Never stay silent: write the smallest status that
      // says so, with the server's own words.
      const why = err instanceof Error ? err.message : String(err);
      this.d.log.error("status refused by the API server; writing a minimal status", {
        architecture: archKey,
        err: why,
      });
      status = refusedStatus(stored, why, this.now());
      if (canonicalJson(stored.status ?? {}) === canonicalJson(status)) return;
      written = await patch(status);
    }
    this.wrote(KIND, "status", counter);
    // Every version the cache may still show is older than this write: the
    // one this pass read, those this pass produced, and those of a memo still
    // in force (including that memo's own write).
    const olderVersions = new Set<string>(counter.archVersions);
    if (stored.metadata.resourceVersion) olderVersions.add(stored.metadata.resourceVersion);
    if (memo && memo.uid === stored.metadata.uid) {
      for (const v of memo.olderVersions) olderVersions.add(v);
      if (memo.version) olderVersions.add(memo.version);
    }
    this.written.set(archKey, {
      uid: stored.metadata.uid,
      status,
      version: versionOf(written),
      olderVersions,
    });
  }
}

/**
 * The apply response, unless the cache has moved on from the version it held
 * before the apply (resourceVersions are compared for equality only: their
 * order is the API server's business).
 */
function newest(
  fresh: { applied: Child; before: string | undefined } | undefined,
  cached: Child | undefined,
): Child | undefined {
  if (!fresh) return cached;
  if (!cached || versionOf(cached) === fresh.before) return fresh.applied;
  return cached;
}

// Merge patch leaves keys it does not mention: name every status field so that
// one no longer wanted (an expiry removed with the ttl) is cleared.
function emptyStatus(): Record<string, null> {
  return { expiresAt: null, endpoints: null, components: null, conditions: null };
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

/** The status written when the API server refuses the one computed: Degraded, StatusRefused. */
function refusedStatus(stored: StoredArchitecture, why: string, now: Date): ArchitectureStatus {
  const message =
    `the operator could not write this Architecture's status (a bug in archctl; please report it): ${why}`.slice(
      0,
      4096,
    );
  return conditionsOnly(stored, now, "Degraded", "StatusRefused", message, message);
}

function invalidStatus(
  stored: StoredArchitecture,
  problems: string,
  now: Date,
): ArchitectureStatus {
  return conditionsOnly(
    stored,
    now,
    "Degraded",
    "InvalidSpec",
    problems,
    "fix the spec to continue",
  );
}

/** A status of conditions alone, for when the children are not (or cannot be) rolled up. */
function conditionsOnly(
  stored: StoredArchitecture,
  now: Date,
  phase: "Degraded",
  reason: string,
  problem: string,
  next: string,
): ArchitectureStatus {
  const t = now.toISOString().replace(/\.[0-9]{3}Z$/, "Z");
  const gen = stored.metadata.generation ?? 0;
  const keep = (type: string, status: "True" | "False", why: string, message: string) => {
    const old = stored.status?.conditions?.find((c) => c.type === type);
    return {
      type,
      status,
      reason: why,
      message,
      lastTransitionTime: old?.status === status ? old.lastTransitionTime : t,
      observedGeneration: gen,
    };
  };
  return {
    ...stored.status,
    observedGeneration: gen,
    phase,
    conditions: [
      keep("Ready", "False", reason, problem),
      keep("Progressing", "False", reason, next),
      keep("Degraded", "True", reason, problem),
      keep("Reconciling", "False", reason, next),
      keep("Stalled", "True", reason, problem),
    ],
  };
}

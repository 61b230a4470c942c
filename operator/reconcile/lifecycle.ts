// The Architecture's own life: its finalizer, TTL expiry (with an ephemeral
// environment's namespace), and what deletion does with the data.
import { durationSeconds } from "../api/duration.ts";
import { ARCHITECTURE_LABEL, EPHEMERAL_NAMESPACE_LABEL, FINALIZER } from "../api/names.ts";
import type { ArchitectureStatus } from "../api/schema.ts";
import { KIND } from "../api/schema.ts";
import { isNotFound } from "../kube/errors.ts";
import { ARCHITECTURES, NAMESPACES, resourceFor } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { deletingStatus } from "../status/rollup.ts";
import type { Pass } from "./pass.ts";
import type { Child, StoredArchitecture } from "./types.ts";

/** Milliseconds until the TTL runs out, read from the spec as stored (valid or not). */
export function expiryMs(stored: StoredArchitecture, now: Date): number | undefined {
  const ttl = (stored.spec as { ttl?: unknown } | undefined)?.ttl;
  if (typeof ttl !== "string" || !stored.metadata.creationTimestamp) return undefined;
  const seconds = durationSeconds(ttl);
  const created = Date.parse(stored.metadata.creationTimestamp);
  if (seconds === undefined || !Number.isFinite(created)) return undefined;
  return created + seconds * 1000 - now.getTime();
}

/** The TTL has passed: delete the Architecture, and an ephemeral environment's namespace. */
export async function expire(pass: Pass): Promise<void> {
  const { stored, namespace: ns } = pass;
  pass.log.info("ttl expired: deleting", { ttl: stored.spec.ttl });
  pass.event("Normal", "Expired", "Delete", `ttl ${stored.spec.ttl} has passed`);
  const env = stored.metadata.labels?.[EPHEMERAL_NAMESPACE_LABEL];
  if (env) {
    // An ephemeral environment: its namespace goes with everything in it.
    const nsObj = await pass.deps.objects.find<KubeObject>(NAMESPACES, undefined, ns);
    if (nsObj?.metadata.labels?.[EPHEMERAL_NAMESPACE_LABEL] === env) {
      await pass.deps.objects.delete(NAMESPACES, undefined, ns);
      pass.wrote("Namespace", "delete");
    }
  }
  await pass.deps.objects.delete(
    ARCHITECTURES,
    ns,
    pass.name,
    stored.metadata.uid ? { uid: stored.metadata.uid } : {},
  );
  pass.wrote(KIND, "delete");
}

export async function addFinalizer(pass: Pass): Promise<void> {
  const { stored } = pass;
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
  const patched = await pass.deps.objects.jsonPatch<StoredArchitecture>(
    ARCHITECTURES,
    pass.namespace,
    pass.name,
    ops,
  );
  pass.wrote(KIND, "patch");
  // Older than the status write that follows in this pass.
  const rv = patched?.metadata.resourceVersion;
  if (rv) pass.archVersions.push(rv);
}

/**
 * Deletion under our finalizer. Returns how long to wait before finishing,
 * when datastores must stop first.
 */
export async function finalize(
  pass: Pass,
  writeStatus: (status: ArchitectureStatus) => Promise<void>,
): Promise<number | undefined> {
  const { stored, namespace: ns, log } = pass;
  const finalizers = stored.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return undefined;
  const policy = stored.spec.deletionPolicy === "Delete" ? "Delete" : "Retain";
  // Our finalizer still holds the object, so it exists: say it is going.
  // Computed from the previous status alone, so a retried pass writes nothing.
  try {
    await writeStatus(
      deletingStatus(stored.status, stored.metadata.generation ?? 0, policy, pass.now),
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return undefined;
  }
  if (policy === "Delete") {
    const waitMs = await deleteData(pass);
    if (waitMs !== undefined) return waitMs;
  } else {
    await keepCredentials(pass);
    log.info("kept data volumes and credentials", { policy });
  }
  await pass.deps.objects.jsonPatch(ARCHITECTURES, ns, pass.name, [
    { op: "test", path: "/metadata/finalizers", value: finalizers },
    {
      op: "replace",
      path: "/metadata/finalizers",
      value: finalizers.filter((f) => f !== FINALIZER),
    },
  ]);
  pass.wrote(KIND, "patch");
  return undefined;
}

/**
 * deletionPolicy Delete. A claim deleted while its pod runs only goes
 * Terminating, and a StatefulSet alive after that could start a pod on a
 * fresh empty claim. So: StatefulSets first, in the foreground (each goes only
 * after its pods), then the claims, which nothing uses any more. Returns a
 * wait while StatefulSets remain.
 */
async function deleteData(pass: Pass): Promise<number | undefined> {
  const { namespace: ns, log } = pass;
  const sets = (pass.cache("apps/v1", "StatefulSet")?.list(ns) ?? []).filter(
    (s) => s.metadata.labels?.[ARCHITECTURE_LABEL] === pass.name,
  );
  if (sets.length > 0) {
    const statefulSets = resourceFor("apps/v1", "StatefulSet");
    let started = 0;
    for (const set of sets) {
      if (set.metadata.deletionTimestamp) continue;
      await pass.deps.objects.delete(statefulSets, ns, set.metadata.name, {
        ...(set.metadata.uid ? { uid: set.metadata.uid } : {}),
        propagationPolicy: "Foreground",
      });
      pass.wrote("StatefulSet", "delete");
      started++;
    }
    // Said once; later passes only wait.
    const waiting = { statefulSets: sets.map((s) => s.metadata.name) };
    if (started) log.info("waiting for datastores to stop before deleting their volumes", waiting);
    else log.debug("still waiting for datastores to stop", waiting);
    // Their delete events wake this key; the requeue is a safety net.
    return 5000;
  }
  const pvcs = resourceFor("v1", "PersistentVolumeClaim");
  const list = await pass.deps.objects.list<Child>(pvcs, ns, `${ARCHITECTURE_LABEL}=${pass.name}`);
  for (const pvc of list.items) {
    await pass.deps.objects.delete(
      pvcs,
      ns,
      pvc.metadata.name,
      pvc.metadata.uid ? { uid: pvc.metadata.uid } : {},
    );
    pass.wrote("PersistentVolumeClaim", "delete");
  }
  log.info("deleted data volumes", { count: list.items.length });
  return undefined;
}

/**
 * deletionPolicy Retain: the credential Secrets must outlive the Architecture
 * with the volumes, or re-created databases could not open their own data.
 * Only Secrets the Architecture owns: one the External Secrets Operator wrote
 * carries our labels but is its ExternalSecret's, and goes with it (the value
 * lives in the external store).
 */
async function keepCredentials(pass: Pass): Promise<void> {
  const secrets = resourceFor("v1", "Secret");
  for (const secret of pass.cache("v1", "Secret")?.list(pass.namespace) ?? []) {
    const owners = secret.metadata.ownerReferences ?? [];
    if (
      secret.metadata.labels?.[ARCHITECTURE_LABEL] !== pass.name ||
      !owners.length ||
      !owners.every((o) => o.kind === "Architecture")
    )
      continue;
    await pass.deps.objects.jsonPatch(secrets, pass.namespace, secret.metadata.name, [
      { op: "test", path: "/metadata/ownerReferences", value: secret.metadata.ownerReferences },
      { op: "remove", path: "/metadata/ownerReferences" },
    ]);
    pass.wrote("Secret", "patch");
  }
}

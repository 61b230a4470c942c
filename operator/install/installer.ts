// `archctl install` / `archctl uninstall` against a cluster: server-side apply
// of installManifests() with the field manager archctl-cli, a wait for the CRD
// to be served, and a careful uninstall that never deletes Architectures
// (and so their data) without being told to.
import { setTimeout as sleep } from "node:timers/promises";
import { CRD_NAME } from "../api/crd.ts";
import { deniedBy, isNotFound, KubeApiError } from "../kube/errors.ts";
import { ObjectClient } from "../kube/objects.ts";
import type { ResourceType } from "../kube/resources.ts";
import { ARCHITECTURES, CRDS, resourcePath } from "../kube/resources.ts";
import type { KubeRest } from "../kube/rest.ts";
import { APPLY_PATCH } from "../kube/rest.ts";
import type { KubeObject } from "../kube/types.ts";
import { ADMISSION_POLICY_NAME } from "./admission-policy.ts";
import {
  DASHBOARD_CONFIGMAP,
  INSTALL_NAME,
  LEADER_ROLE,
  METRICS_SERVICE,
  OPERATOR_ROLE,
} from "./manifests.ts";

export const INSTALL_FIELD_MANAGER = "archctl-cli";

const t = (apiVersion: string, kind: string, plural: string, namespaced = true): ResourceType => ({
  apiVersion,
  kind,
  plural,
  namespaced,
});

/** Every kind the installer writes. */
const KINDS: ResourceType[] = [
  CRDS,
  t("v1", "Namespace", "namespaces", false),
  t("v1", "ServiceAccount", "serviceaccounts"),
  t("v1", "ConfigMap", "configmaps"),
  t("v1", "Service", "services"),
  t("apps/v1", "Deployment", "deployments"),
  t("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  t("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false),
  t("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false),
  t("rbac.authorization.k8s.io/v1", "Role", "roles"),
  t("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
  t(
    "admissionregistration.k8s.io/v1",
    "ValidatingAdmissionPolicy",
    "validatingadmissionpolicies",
    false,
  ),
  t(
    "admissionregistration.k8s.io/v1",
    "ValidatingAdmissionPolicyBinding",
    "validatingadmissionpolicybindings",
    false,
  ),
];

export function installResource(apiVersion: string, kind: string): ResourceType {
  const r = KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
  if (!r) throw new Error(`archctl install does not handle ${apiVersion} ${kind}`);
  return r;
}

/**
 * created / configured / unchanged: what the apply did (or, in a dry run, would do);
 * exists: a Namespace that was there already and is left as it is;
 * unchecked: a dry run could not send it, because its namespace does not exist
 * yet (a dry run creates nothing, so the server would answer "namespace not found").
 */
export type ApplyAction = "created" | "configured" | "unchanged" | "exists" | "unchecked";

export interface ApplyResult {
  kind: string;
  name: string;
  namespace?: string;
  action: ApplyAction;
  /** The object as the API server returned it (managedFields removed); as given when unchecked. */
  object: KubeObject;
}

type Live = KubeObject & {
  metadata: KubeObject["metadata"] & { resourceVersion?: string; managedFields?: unknown };
};

function withoutManagedFields(o: Live): KubeObject {
  const { managedFields: _m, ...metadata } = o.metadata;
  return { ...o, metadata };
}

function canonical(o: unknown): string {
  return JSON.stringify(o, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** How long to wait for the CRD to be Established. */
  crdTimeoutMs?: number;
  onApplied?: (r: ApplyResult) => void;
}

/** The API server refused a cluster-scoped object: the message says which flag avoids it. */
export class ClusterScopeForbiddenError extends Error {
  override name = "ClusterScopeForbiddenError";
  readonly kind: string;
  constructor(kind: string, name: string, err: KubeApiError) {
    const denied = deniedBy(err.message);
    const who = denied ? `user ${denied.user}` : "you";
    const verb = denied?.verb ?? (err.method === "GET" ? "get" : "create or update");
    const what = `${kind} ${name}`;
    let next: string;
    if (kind === "CustomResourceDefinition")
      next = `The CRD is cluster-wide: ask a cluster admin to install it once (archctl crd | kubectl apply --server-side -f -), then run archctl install again with --skip-crd`;
    else if (kind === "ClusterRole" || kind === "ClusterRoleBinding")
      next = `--scope cluster (the default) gives the operator a ClusterRole: without cluster rights use --scope namespace --watch-namespaces NS[,NS...] (a Role in each), with --skip-crd once a cluster admin has installed the CRD`;
    else if (kind === "Namespace")
      next = `ask a cluster admin to create it (kubectl create namespace ${name}), or install into a namespace you have with -n NS --scope namespace --watch-namespaces NS --skip-crd`;
    else next = "ask a cluster admin for that permission";
    super(`forbidden: ${who} may not ${verb} ${what} (cluster-scoped, 403). ${next}.`);
    this.kind = kind;
  }
}

/** A request about one object; a 403 on a cluster-scoped one says which flag avoids it. */
async function guarded<T>(r: ResourceType, obj: KubeObject, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!r.namespaced && err instanceof KubeApiError && err.status === 403)
      throw new ClusterScopeForbiddenError(obj.kind, obj.metadata.name, err);
    throw err;
  }
}

/**
 * Server-side applies the objects in order; waits for a CRD to be served before
 * going on. A Namespace that exists is left alone. In a dry run, objects inside
 * a namespace the dry run would create are reported `unchecked`, not sent.
 */
export async function applyInstall(
  rest: KubeRest,
  objects: KubeObject[],
  opts: ApplyOptions = {},
): Promise<ApplyResult[]> {
  const client = new ObjectClient(rest);
  const results: ApplyResult[] = [];
  const missingNamespaces = new Set<string>();
  const report = (result: ApplyResult) => {
    results.push(result);
    opts.onApplied?.(result);
  };
  for (const obj of objects) {
    const r = installResource(obj.apiVersion, obj.kind);
    const ns = r.namespaced ? obj.metadata.namespace : undefined;
    const id = { kind: obj.kind, name: obj.metadata.name, ...(ns ? { namespace: ns } : {}) };
    if (ns && missingNamespaces.has(ns)) {
      report({ ...id, action: "unchecked", object: obj });
      continue;
    }
    const before = await guarded(r, obj, () => client.find<Live>(r, ns, obj.metadata.name));
    if (obj.kind === "Namespace" && before) {
      report({ ...id, action: "exists", object: withoutManagedFields(before) });
      continue;
    }
    const after = await guarded(r, obj, () =>
      rest.request<Live>("PATCH", resourcePath(r, ns, obj.metadata.name), {
        body: obj,
        contentType: APPLY_PATCH,
        query: {
          fieldManager: INSTALL_FIELD_MANAGER,
          force: true,
          dryRun: opts.dryRun ? "All" : undefined,
        },
      }),
    );
    const action: ApplyAction = !before
      ? "created"
      : opts.dryRun
        ? canonical(withoutManagedFields(before)) === canonical(withoutManagedFields(after))
          ? "unchanged"
          : "configured"
        : before.metadata.resourceVersion === after.metadata.resourceVersion
          ? "unchanged"
          : "configured";
    report({ ...id, action, object: withoutManagedFields(after) });
    if (obj.kind === "CustomResourceDefinition" && !opts.dryRun)
      await waitForCrd(rest, obj.metadata.name, opts.crdTimeoutMs ?? 60_000);
    // A dry run creates nothing: what goes into the new namespace cannot be checked.
    if (obj.kind === "Namespace" && opts.dryRun) missingNamespaces.add(obj.metadata.name);
  }
  return results;
}

/**
 * Which of these namespaces do not exist (404). One the user may not read
 * (403) is not reported: the apply will say what it can.
 */
export async function absentNamespaces(rest: KubeRest, names: string[]): Promise<string[]> {
  const client = new ObjectClient(rest);
  const absent: string[] = [];
  for (const name of [...new Set(names)]) {
    try {
      if (!(await client.find(installResource("v1", "Namespace"), undefined, name)))
        absent.push(name);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 403)) throw err;
    }
  }
  return absent;
}

/** Whether the Architecture CRD is served (discovery of archctl.io/v1alpha1). */
export async function crdServed(rest: KubeRest): Promise<boolean> {
  try {
    await rest.get(`/apis/${ARCHITECTURES.apiVersion}`, { timeoutMs: 15_000 });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

interface Crd {
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

export class CrdTimeoutError extends Error {
  override name = "CrdTimeoutError";
}

/** Waits until the CRD's Established condition is True (its API is served). */
export async function waitForCrd(rest: KubeRest, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const crd = await rest.get<Crd>(resourcePath(CRDS, undefined, name));
    const established = crd.status?.conditions?.find((c) => c.type === "Established");
    if (established?.status === "True") return;
    const names = crd.status?.conditions?.find((c) => c.type === "NamesAccepted");
    last = names?.status === "False" ? (names.message ?? "") : (established?.message ?? "");
    if (Date.now() > deadline)
      throw new CrdTimeoutError(
        `the CRD ${name} was not Established within ${Math.round(timeoutMs / 1000)}s${last ? `: ${last}` : ""}`,
      );
    await sleep(250);
  }
}

// ---- uninstall ----

export interface ObjectRef {
  resource: ResourceType;
  name: string;
  namespace?: string;
}

const describe = (ref: ObjectRef) =>
  `${ref.resource.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;

export { describe as describeRef };

interface Deployment {
  spec?: {
    template?: {
      spec?: { containers?: { name: string; env?: { name: string; value?: string }[] }[] };
    };
  };
}

/** Namespaces the installed operator watches, read from its Deployment (empty: all or not installed). */
export async function installedWatchNamespaces(
  rest: KubeRest,
  namespace: string,
): Promise<string[]> {
  const d = await new ObjectClient(rest).find<KubeObject & Deployment>(
    installResource("apps/v1", "Deployment"),
    namespace,
    INSTALL_NAME,
  );
  const env = d?.spec?.template?.spec?.containers?.find((c) => c.name === "operator")?.env ?? [];
  const value = env.find((e) => e.name === "ARCHCTL_WATCH_NAMESPACES")?.value ?? "";
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** What `archctl install` created, in deletion order (workload first, CRD last). */
export function uninstallRefs(
  namespace: string,
  watchNamespaces: string[],
  keepCrd: boolean,
  scope: "cluster" | "namespace" = "cluster",
): ObjectRef[] {
  const rbac = "rbac.authorization.k8s.io/v1";
  const refs: ObjectRef[] = [
    { resource: installResource("apps/v1", "Deployment"), name: INSTALL_NAME, namespace },
    {
      resource: installResource("policy/v1", "PodDisruptionBudget"),
      name: INSTALL_NAME,
      namespace,
    },
    { resource: installResource("v1", "Service"), name: METRICS_SERVICE, namespace },
    { resource: installResource("v1", "ConfigMap"), name: DASHBOARD_CONFIGMAP, namespace },
    { resource: installResource(rbac, "RoleBinding"), name: LEADER_ROLE, namespace },
    { resource: installResource(rbac, "Role"), name: LEADER_ROLE, namespace },
  ];
  const admission = "admissionregistration.k8s.io/v1";
  if (scope === "cluster")
    refs.push(
      {
        resource: installResource(admission, "ValidatingAdmissionPolicyBinding"),
        name: ADMISSION_POLICY_NAME,
      },
      {
        resource: installResource(admission, "ValidatingAdmissionPolicy"),
        name: ADMISSION_POLICY_NAME,
      },
      { resource: installResource(rbac, "ClusterRoleBinding"), name: OPERATOR_ROLE },
      { resource: installResource(rbac, "ClusterRole"), name: OPERATOR_ROLE },
    );
  for (const ns of [...new Set(watchNamespaces)])
    refs.push(
      { resource: installResource(rbac, "RoleBinding"), name: OPERATOR_ROLE, namespace: ns },
      { resource: installResource(rbac, "Role"), name: OPERATOR_ROLE, namespace: ns },
    );
  refs.push({ resource: installResource("v1", "ServiceAccount"), name: INSTALL_NAME, namespace });
  if (!keepCrd) refs.push({ resource: CRDS, name: CRD_NAME });
  return refs;
}

/** Every Architecture in the cluster as namespace/name; empty when the CRD is absent. */
export async function listArchitectures(rest: KubeRest): Promise<string[]> {
  try {
    const list = await rest.get<{ items: KubeObject[] }>(resourcePath(ARCHITECTURES));
    return list.items.map((a) => `${a.metadata.namespace ?? ""}/${a.metadata.name}`).sort();
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export class ArchitecturesRemainError extends Error {
  override name = "ArchitecturesRemainError";
  readonly remaining: string[];
  constructor(message: string, remaining: string[]) {
    super(message);
    this.remaining = remaining;
  }
}

/**
 * Deletes every Architecture (the operator, still running, runs their
 * finalizers: data volumes are kept or deleted by each deletionPolicy) and
 * waits until they are gone.
 */
export async function deleteAllArchitectures(
  rest: KubeRest,
  timeoutMs: number,
  dryRun: boolean,
): Promise<number> {
  const client = new ObjectClient(rest);
  const all = await listArchitectures(rest);
  for (const key of all) {
    const [ns, name] = key.split("/") as [string, string];
    await client.delete(ARCHITECTURES, ns, name, { dryRun });
  }
  if (dryRun) return all.length;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await listArchitectures(rest);
    if (left.length === 0) return all.length;
    if (Date.now() > deadline)
      throw new ArchitecturesRemainError(
        `${left.length} Architecture(s) still exist after ${Math.round(timeoutMs / 1000)}s (${left.slice(0, 5).join(", ")}${left.length > 5 ? ", ..." : ""}): their finalizer archctl.io/cleanup runs only while the operator runs. Check it with kubectl -n <namespace> logs deploy/archctl`,
        left,
      );
    await sleep(500);
  }
}

/** uninstall was refused a cluster-scoped object: the message says which flag leaves it alone. */
export class UninstallForbiddenError extends Error {
  override name = "UninstallForbiddenError";
  constructor(ref: ObjectRef, err: KubeApiError) {
    const denied = deniedBy(err.message);
    const verb = denied?.verb ?? VERB_OF[err.method] ?? err.method;
    const next =
      ref.resource.kind === "CustomResourceDefinition"
        ? "Keep it with --keep-crd (a cluster admin removes the CRD)"
        : "If archctl was installed with --scope namespace, uninstall with --scope namespace --keep-crd; otherwise ask a cluster admin";
    super(
      `forbidden: ${denied ? `user ${denied.user}` : "you"} may not ${verb} ${describe(ref)} (cluster-scoped, 403). ${next}. Nothing was deleted.`,
    );
  }
}

const VERB_OF: Record<string, string> = { GET: "get", DELETE: "delete" };

/**
 * Before deleting anything: may we read the cluster-scoped objects? A user
 * without cluster rights is stopped here, with the flag to use, rather than
 * halfway through (the namespaced objects go first).
 */
export async function checkClusterScoped(rest: KubeRest, refs: ObjectRef[]): Promise<void> {
  const client = new ObjectClient(rest);
  for (const ref of refs) {
    if (ref.resource.namespaced) continue;
    try {
      await client.find(ref.resource, undefined, ref.name);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 403)
        throw new UninstallForbiddenError(ref, err);
      throw err;
    }
  }
}

export interface DeleteResult {
  ref: ObjectRef;
  deleted: boolean;
}

export async function deleteRefs(
  rest: KubeRest,
  refs: ObjectRef[],
  dryRun: boolean,
  onDeleted?: (r: DeleteResult) => void,
): Promise<DeleteResult[]> {
  const client = new ObjectClient(rest);
  const out: DeleteResult[] = [];
  for (const ref of refs) {
    let deleted: boolean;
    try {
      deleted = await client.delete(ref.resource, ref.namespace, ref.name, {
        propagationPolicy: "Background",
        dryRun,
      });
    } catch (err) {
      // A namespace that is already going away answers 409 or 404 on its contents.
      if (err instanceof KubeApiError && err.status === 409) deleted = false;
      else throw err;
    }
    const r = { ref, deleted };
    out.push(r);
    onDeleted?.(r);
  }
  return out;
}

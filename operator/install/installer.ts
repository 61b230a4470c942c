// `archctl install` / `archctl uninstall` against a cluster: server-side apply
// of installManifests() with the field manager archctl-cli, a wait for the CRD
// to be served, and a careful uninstall that never deletes Architectures
// (and so their data) without being told to.
import { setTimeout as sleep } from "node:timers/promises";
import { CRD_NAME } from "../api/crd.ts";
import { isNotFound, KubeApiError } from "../kube/errors.ts";
import { ObjectClient } from "../kube/objects.ts";
import type { ResourceType } from "../kube/resources.ts";
import { ARCHITECTURES, CRDS, resourcePath } from "../kube/resources.ts";
import type { KubeRest } from "../kube/rest.ts";
import { APPLY_PATCH } from "../kube/rest.ts";
import type { KubeObject } from "../render/types.ts";
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
];

export function installResource(apiVersion: string, kind: string): ResourceType {
  const r = KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
  if (!r) throw new Error(`archctl install does not handle ${apiVersion} ${kind}`);
  return r;
}

export type ApplyAction = "created" | "configured" | "unchanged";

export interface ApplyResult {
  kind: string;
  name: string;
  namespace?: string;
  action: ApplyAction;
  /** The object as the API server returned it (managedFields removed). */
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

/** Server-side applies the objects in order; waits for a CRD to be served before going on. */
export async function applyInstall(
  rest: KubeRest,
  objects: KubeObject[],
  opts: ApplyOptions = {},
): Promise<ApplyResult[]> {
  const client = new ObjectClient(rest);
  const results: ApplyResult[] = [];
  for (const obj of objects) {
    const r = installResource(obj.apiVersion, obj.kind);
    const ns = r.namespaced ? obj.metadata.namespace : undefined;
    const before = await client.find<Live>(r, ns, obj.metadata.name);
    const after = await rest.request<Live>("PATCH", resourcePath(r, ns, obj.metadata.name), {
      body: obj,
      contentType: APPLY_PATCH,
      query: {
        fieldManager: INSTALL_FIELD_MANAGER,
        force: true,
        dryRun: opts.dryRun ? "All" : undefined,
      },
    });
    const action: ApplyAction = !before
      ? "created"
      : opts.dryRun
        ? canonical(withoutManagedFields(before)) === canonical(withoutManagedFields(after))
          ? "unchanged"
          : "configured"
        : before.metadata.resourceVersion === after.metadata.resourceVersion
          ? "unchanged"
          : "configured";
    const result: ApplyResult = {
      kind: obj.kind,
      name: obj.metadata.name,
      ...(ns ? { namespace: ns } : {}),
      action,
      object: withoutManagedFields(after),
    };
    results.push(result);
    opts.onApplied?.(result);
    if (obj.kind === "CustomResourceDefinition" && !opts.dryRun)
      await waitForCrd(rest, obj.metadata.name, opts.crdTimeoutMs ?? 60_000);
    if (obj.kind === "Namespace" && opts.dryRun && !before) {
      // A dry run creates nothing: the objects inside a new namespace cannot be
      // checked by the server. Say so rather than fail on "namespace not found".
      return [
        ...results,
        ...objects
          .slice(objects.indexOf(obj) + 1)
          .filter((o) => o.metadata.namespace === obj.metadata.name)
          .map((o) => ({
            kind: o.kind,
            name: o.metadata.name,
            ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
            action: "created" as const,
            object: o,
          })),
        ...(await applyInstall(
          rest,
          objects
            .slice(objects.indexOf(obj) + 1)
            .filter((o) => o.metadata.namespace !== obj.metadata.name),
          opts,
        )),
      ];
    }
  }
  return results;
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
    { resource: installResource(rbac, "ClusterRoleBinding"), name: OPERATOR_ROLE },
    { resource: installResource(rbac, "ClusterRole"), name: OPERATOR_ROLE },
  ];
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

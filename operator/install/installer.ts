// `archctl install` against a cluster: server-side apply of installManifests()
// with the field manager archctl-cli and a wait for the CRD to be served.
// Uninstalling is in uninstaller.ts.
import { setTimeout as sleep } from "node:timers/promises";
import { deniedBy, isNotFound, KubeApiError } from "../kube/errors.ts";
import { ObjectClient } from "../kube/objects.ts";
import type { ResourceType } from "../kube/resources.ts";
import { ARCHITECTURES, CRDS, resourcePath } from "../kube/resources.ts";
import type { KubeRest } from "../kube/rest.ts";
import { APPLY_PATCH } from "../kube/rest.ts";
import type { KubeObject } from "../kube/types.ts";

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

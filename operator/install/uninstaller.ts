// `archctl uninstall` against a cluster: what `archctl install` created, in
// deletion order, and a careful delete that never removes Architectures (and
// so their data) without being told to.
import { setTimeout as sleep } from "node:timers/promises";
import { CRD_NAME } from "../api/crd.ts";
import { deniedBy, isNotFound, KubeApiError } from "../kube/errors.ts";
import { ObjectClient } from "../kube/objects.ts";
import type { ResourceType } from "../kube/resources.ts";
import { ARCHITECTURES, CRDS, resourcePath } from "../kube/resources.ts";
import type { KubeRest } from "../kube/rest.ts";
import type { KubeObject } from "../kube/types.ts";
import { ADMISSION_POLICY_NAME } from "./admission-policy.ts";
import { installResource } from "./installer.ts";
import {
  DASHBOARD_CONFIGMAP,
  INSTALL_NAME,
  LEADER_ROLE,
  METRICS_SERVICE,
  OPERATOR_ROLE,
} from "./manifests.ts";

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

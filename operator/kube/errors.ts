// Errors from the API server, turned into one sentence a person can act on.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { field?: string; message?: string; reason?: string }[];
  };
}

export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: StatusBody;
  readonly method: string;
  readonly path: string;
  constructor(method: string, path: string, status: number, body: StatusBody) {
    super(body.message || `HTTP ${status}`);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = body.reason ?? "";
    this.body = body;
    this.method = method;
    this.path = path;
  }
}

/** The kubeconfig is missing, unreadable, or names no usable context. */
export class KubeConfigError extends Error {
  override name = "KubeConfigError";
}

/** The API server could not be reached at all. */
export class ClusterUnreachableError extends Error {
  readonly server: string;
  readonly context: string;
  constructor(server: string, context: string, cause: unknown) {
    const why =
      cause instanceof Error
        ? ((cause.cause as Error | undefined)?.message ?? cause.message)
        : String(cause);
    super(`no cluster at ${server} (context ${context}): ${why}`);
    this.name = "ClusterUnreachableError";
    this.server = server;
    this.context = context;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409;
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409 && err.reason === "AlreadyExists";
}
/** Invalid (422) or bad request (400): retrying the same request will not help. */
export function isInvalid(err: unknown): boolean {
  return err instanceof KubeApiError && (err.status === 422 || err.status === 400);
}

const VERBS: Record<string, string> = {
  GET: "get",
  POST: "create",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

let checkout: boolean | undefined;

/**
 * Whether archctl runs from a source checkout (test/cluster/ is next to it:
 * operator/kube/ in the sources, dist/operator/kube/ once built), the only place
 * `archctl dev cluster up` works. The installed package ships no test/ tree.
 */
export function inSourceCheckout(): boolean {
  checkout ??= ["../../test/cluster/index.ts", "../../../test/cluster/index.ts"].some((p) =>
    existsSync(fileURLToPath(new URL(p, import.meta.url))),
  );
  return checkout;
}

/** The next step when there is no (usable) cluster: which kubeconfig and context are in use. */
export function noClusterHint(sourceCheckout = inSourceCheckout()): string {
  return `Check which cluster you are using (kubectl config current-context) or choose one with --kubeconfig FILE / --context NAME${
    sourceCheckout ? "; for a local cluster from this checkout: archctl dev cluster up" : ""
  }`;
}

export const NOT_INSTALLED_MESSAGE =
  "archctl is not installed in this cluster (no Architecture CRD): run archctl install, or ask a cluster admin to (archctl crd | kubectl apply --server-side -f -)";

interface Where {
  /** "deployments.apps", "secrets" */
  resource: string;
  namespace?: string;
  name?: string;
}

function whereOf(path: string): Where | undefined {
  // /api/v1/namespaces/x/secrets/y, /apis/apps/v1/namespaces/x/deployments/y, /apis/apps/v1/deployments
  const parts = (path.split("?")[0] ?? "").split("/").filter(Boolean);
  let rest: string[];
  let group = "";
  if (parts[0] === "api" && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1] as string;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name] = rest;
  if (!plural) return undefined;
  return {
    resource: group ? `${plural}.${group}` : plural,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

function resourceOf(path: string): string {
  const w = whereOf(path);
  if (!w) return path;
  return w.namespace ? `${w.resource} in namespace ${w.namespace}` : w.resource;
}

/** What RBAC said: `User "jane" cannot patch resource "architectures" in API group "archctl.io" in the namespace "team"`. */
export function deniedBy(
  message: string,
): { user: string; verb: string; resource: string; group: string; namespace?: string } | undefined {
  const m =
    /User "([^"]*)" cannot ([a-z]+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/.exec(
      message,
    );
  if (!m) return undefined;
  const [, user, verb, resource, group, namespace] = m as unknown as string[];
  return {
    user: user as string,
    verb: verb as string,
    resource: resource as string,
    group: group as string,
    ...(namespace ? { namespace } : {}),
  };
}

/**
 * What to do about a 422, by whose fields are at fault: "fix your blueprint"
 * only for an Architecture's own spec. A refused status is archctl's fault; a
 * refused child is about that object as it exists in the cluster or about the
 * cluster's policies, which no field of the blueprint fixes.
 */
function invalidAdvice(err: KubeApiError): string {
  const w = whereOf(err.path);
  const architecture = /^\/apis\/archctl\.io\//.test(err.path);
  if (architecture && w?.name && (err.path.split("?")[0] ?? "").endsWith(`/${w.name}/status`))
    return "The status archctl's operator built is not one the CRD accepts: a bug in archctl, please report it with this message";
  if (architecture)
    return "Fix those fields (archctl validate -f FILE checks a blueprint without a cluster) and try again";
  const causes = err.body.details?.causes ?? [];
  const fixed = causes.length > 0 && causes.every((c) => /immutable/i.test(c.message ?? ""));
  const kubectl = w?.name
    ? `kubectl delete ${w.resource} ${w.name}${w.namespace ? ` -n ${w.namespace}` : ""}`
    : "kubectl delete";
  if (fixed || (!causes.length && /immutable/i.test(err.message)))
    return `The existing object was created with other values in fields that cannot change (by an earlier version of the Architecture, by hand or by another tool): delete it so that it is created anew (${kubectl}), or give the component another name`;
  return "The object is archctl's rendering of the Architecture (archctl render shows it); a field value this cluster does not accept or an admission policy of the cluster refused it: see the message";
}

/** One sentence: what went wrong, where, and what to do next. */
export function explainKubeError(err: unknown): string {
  if (err instanceof ClusterUnreachableError) return `${err.message}. ${noClusterHint()}.`;
  if (!(err instanceof KubeApiError)) return err instanceof Error ? err.message : String(err);
  const where = resourceOf(err.path);
  const verb = VERBS[err.method] ?? err.method;
  switch (err.status) {
    case 401:
      return `the cluster did not accept your credentials (401 Unauthorized) to ${verb} ${where}: log in again or refresh the credentials of your kubeconfig user (kubectl config current-context shows which), or choose another with --context NAME.`;
    case 403: {
      const denied = deniedBy(err.message);
      if (!denied)
        return `the API server refused to ${verb} ${where} (403 Forbidden): ${err.message}. Fix what it names, or ask your cluster admin.`;
      const res = denied.group ? `${denied.resource}.${denied.group}` : denied.resource;
      const scope = denied.namespace ? `in namespace ${denied.namespace}` : "cluster-wide";
      const role = denied.namespace
        ? "a Role and RoleBinding"
        : "a ClusterRole and ClusterRoleBinding";
      return `forbidden: user ${denied.user} may not ${denied.verb} ${res} ${scope}. Ask your cluster admin for ${role} allowing '${denied.verb}' on '${denied.resource}' in API group '${denied.group}'${denied.namespace ? ` in ${denied.namespace}` : ""} (check with: kubectl auth can-i ${denied.verb} ${res}${denied.namespace ? ` -n ${denied.namespace}` : ""}), or use another --context.`;
    }
    case 404: {
      // archctl.io is not served: discovery says "the server could not find the
      // requested resource", a path under it "404 page not found". A missing
      // object comes as a Status naming it.
      if (/^\/apis\/archctl\.io(\/|$)/.test(err.path) && !err.body.details?.name)
        return NOT_INSTALLED_MESSAGE;
      const kind = err.body.details?.kind;
      const name = err.body.details?.name;
      const w = whereOf(err.path);
      if (kind === "namespaces" && name)
        return `namespace ${name} not found: create it: kubectl create namespace ${name} (or choose another namespace with -n)`;
      const what = [kind ?? w?.resource ?? where, name ?? w?.name].filter(Boolean).join(" ");
      return `${what} not found${w?.namespace ? ` in namespace ${w.namespace}` : ""}: check the name and the namespace (-n)${w ? `; list them with: kubectl get ${w.resource}${w.namespace ? ` -n ${w.namespace}` : ""}` : ""}`;
    }
    case 409:
      if (err.reason === "AlreadyExists")
        return `${verb} ${where}: ${err.message}; delete it first or choose another name`;
      if (/Apply failed with/.test(err.message))
        return `conflict on ${where}: ${err.message}. Keep those fields (drop them from what you apply) or take them over with --force-conflicts`;
      return `conflict on ${where}: ${err.message}. The object changed while archctl wrote it: run the command again`;
    case 422: {
      const causes =
        err.body.details?.causes?.map((c) => `${c.field ? `${c.field}: ` : ""}${c.message}`) ?? [];
      const what = [err.body.details?.kind, err.body.details?.name].filter(Boolean).join(" ");
      return `the API server refused ${what || "the object"} (422 Invalid): ${causes.length ? causes.join("; ") : err.message}. ${invalidAdvice(err)}`;
    }
    case 429:
      return `the API server is throttling requests (429 Too Many Requests) to ${verb} ${where}: wait a moment and try again`;
    default:
      if (err.status >= 500)
        return `${verb} ${where} failed: the API server answered ${err.status}${err.reason ? ` ${err.reason}` : ""}: ${err.message}. This is a problem on the server side: try again; if it persists, ask your cluster admin (API server logs, admission webhooks)`;
      return `${verb} ${where} failed (${err.status}${err.reason ? ` ${err.reason}` : ""}): ${err.message}`;
  }
}

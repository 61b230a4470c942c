// Errors from the API server: their types, what they say (RBAC, the object
// at fault), and one sentence stating the fact. The operator writes that
// sentence into logs, Events and status; the CLI adds what to type next
// (cli/kube-errors.ts).

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
  readonly problem: "unreadable" | "no-context" | "unknown-context";
  constructor(message: string, problem: KubeConfigError["problem"]) {
    super(message);
    this.problem = problem;
  }
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

/** archctl.io is not served: the fact, without what to type next. */
export const NOT_INSTALLED_FACT = "archctl is not installed in this cluster (no Architecture CRD)";

export interface Where {
  /** "deployments.apps", "secrets" */
  resource: string;
  namespace?: string;
  name?: string;
}

export function whereOf(path: string): Where | undefined {
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

export function resourceOf(path: string): string {
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
  if (architecture) return "";
  const causes = err.body.details?.causes ?? [];
  const fixed = causes.length > 0 && causes.every((c) => /immutable/i.test(c.message ?? ""));
  const kubectl = w?.name
    ? `kubectl delete ${w.resource} ${w.name}${w.namespace ? ` -n ${w.namespace}` : ""}`
    : "kubectl delete";
  if (fixed || (!causes.length && /immutable/i.test(err.message)))
    return `The existing object was created with other values in fields that cannot change (by an earlier version of the Architecture, by hand or by another tool): delete it so that it is created anew (${kubectl}), or give the component another name`;
  return "The object is archctl's rendering of the Architecture; a field value this cluster does not accept or an admission policy of the cluster refused it: see the message";
}

/**
 * One sentence stating what went wrong and where, with the remedies that live
 * in the cluster (kubectl, the cluster admin): never a CLI flag or command.
 */
export function describeKubeError(err: unknown): string {
  if (!(err instanceof KubeApiError)) return err instanceof Error ? err.message : String(err);
  const where = resourceOf(err.path);
  const verb = VERBS[err.method] ?? err.method;
  switch (err.status) {
    case 401:
      return `the cluster did not accept your credentials (401 Unauthorized) to ${verb} ${where}`;
    case 403: {
      const denied = deniedBy(err.message);
      if (!denied)
        return `the API server refused to ${verb} ${where} (403 Forbidden): ${err.message}. Fix what it names, or ask your cluster admin.`;
      const res = denied.group ? `${denied.resource}.${denied.group}` : denied.resource;
      const scope = denied.namespace ? `in namespace ${denied.namespace}` : "cluster-wide";
      const role = denied.namespace
        ? "a Role and RoleBinding"
        : "a ClusterRole and ClusterRoleBinding";
      return `forbidden: user ${denied.user} may not ${denied.verb} ${res} ${scope}. Ask your cluster admin for ${role} allowing '${denied.verb}' on '${denied.resource}' in API group '${denied.group}'${denied.namespace ? ` in ${denied.namespace}` : ""} (check with: kubectl auth can-i ${denied.verb} ${res}${denied.namespace ? ` -n ${denied.namespace}` : ""})`;
    }
    case 404: {
      // archctl.io is not served: discovery says "the server could not find the
      // requested resource", a path under it "404 page not found". A missing
      // object comes as a Status naming it.
      if (/^\/apis\/archctl\.io(\/|$)/.test(err.path) && !err.body.details?.name)
        return NOT_INSTALLED_FACT;
      const kind = err.body.details?.kind;
      const name = err.body.details?.name;
      const w = whereOf(err.path);
      if (kind === "namespaces" && name) return `namespace ${name} not found`;
      const what = [kind ?? w?.resource ?? where, name ?? w?.name].filter(Boolean).join(" ");
      return `${what} not found${w?.namespace ? ` in namespace ${w.namespace}` : ""}`;
    }
    case 409:
      if (err.reason === "AlreadyExists")
        return `${verb} ${where}: ${err.message}; delete it first or choose another name`;
      return `conflict on ${where}: ${err.message}`;
    case 422: {
      const causes =
        err.body.details?.causes?.map((c) => `${c.field ? `${c.field}: ` : ""}${c.message}`) ?? [];
      const what = [err.body.details?.kind, err.body.details?.name].filter(Boolean).join(" ");
      const advice = invalidAdvice(err);
      return `the API server refused ${what || "the object"} (422 Invalid): ${causes.length ? causes.join("; ") : err.message}.${advice ? ` ${advice}` : ""}`;
    }
    case 429:
      return `the API server is throttling requests (429 Too Many Requests) to ${verb} ${where}: wait a moment and try again`;
    default:
      if (err.status >= 500)
        return `${verb} ${where} failed: the API server answered ${err.status}${err.reason ? ` ${err.reason}` : ""}: ${err.message}. This is a problem on the server side: try again; if it persists, ask your cluster admin (API server logs, admission webhooks)`;
      return `${verb} ${where} failed (${err.status}${err.reason ? ` ${err.reason}` : ""}): ${err.message}`;
  }
}

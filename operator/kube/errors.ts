// Errors from the API server, turned into one sentence a person can act on.

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

function resourceOf(path: string): string {
  // /apis/apps/v1/namespaces/x/deployments/y -> deployments.apps in namespace x
  const m = /^\/apis?\/(?:([^/]+)\/)?v[^/]+(?:\/namespaces\/([^/]+))?\/([^/?]+)/.exec(
    path.startsWith("/api/") ? path.replace("/api/", "/api//") : path,
  );
  if (!m) return path;
  const [, group, ns, plural] = m;
  const res = group ? `${plural}.${group}` : plural;
  return ns ? `${res} in namespace ${ns}` : `${res}`;
}

/** One sentence: what went wrong and what to do. */
export function explainKubeError(err: unknown): string {
  if (err instanceof ClusterUnreachableError) {
    return `${err.message}. Start a cluster (archctl dev cluster up) or pick another with --kubeconfig/--context.`;
  }
  if (!(err instanceof KubeApiError)) return err instanceof Error ? err.message : String(err);
  const where = resourceOf(err.path);
  switch (err.status) {
    case 401:
      return `the cluster did not accept your credentials (401). Refresh your kubeconfig login.`;
    case 403:
      return `forbidden: you may not ${VERBS[err.method] ?? err.method} ${where}. Ask for that permission (RBAC) or use another context.`;
    case 404:
      if (
        /archctl\.io/.test(err.path) &&
        /the server could not find the requested resource/.test(err.message)
      ) {
        return "archctl is not installed in this cluster (no Architecture CRD). Run: archctl install";
      }
      return `not found: ${err.body.details?.kind ?? where} ${err.body.details?.name ?? ""}`.trim();
    case 409:
      return `conflict on ${where}: ${err.message}`;
    case 422: {
      const causes =
        err.body.details?.causes?.map((c) => `${c.field ? `${c.field}: ` : ""}${c.message}`) ?? [];
      return `the API server refused the object: ${causes.length ? causes.join("; ") : err.message}`;
    }
    default:
      return `${VERBS[err.method] ?? err.method} ${where} failed (${err.status}): ${err.message}`;
  }
}

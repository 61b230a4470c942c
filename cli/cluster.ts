// What the cluster commands share: a connection from the kubectl-style global
// options, the checks before a write (is archctl installed, is an operator
// running), applying an Architecture, and which failures a wait may retry.
// Imports the kube client, so commands load this module with `await import()`
// (and get their connection from deps.connect: deps.ts).
import { contextNamespace, loadKubeConfig } from "../operator/kube/config.ts";
import { ClusterUnreachableError, isNotFound, KubeApiError } from "../operator/kube/errors.ts";
import { ObjectClient } from "../operator/kube/objects.ts";
import { ARCHITECTURES, LEASES } from "../operator/kube/resources.ts";
import { KubeRest } from "../operator/kube/rest.ts";
import type { KubeObject } from "../operator/kube/types.ts";
import type { Lease } from "../operator/runtime/leader.ts";
import type { GlobalOptions } from "./context.ts";
import { UserError } from "./context.ts";
import { ExitCode } from "./exit-codes.ts";
import { connectionError, NOT_INSTALLED_MESSAGE } from "./kube-errors.ts";
import type { ArchView } from "./views/status.ts";

export const CLI_FIELD_MANAGER = "archctl-cli";
export const OPERATOR_LEASE = "archctl-operator";

export interface Connection {
  rest: KubeRest;
  objects: ObjectClient;
  /** -n, else the kubeconfig context's namespace, else default. */
  namespace: string;
  contextName: string;
  server: string;
}

export type StoredArch = ArchView &
  KubeObject & {
    apiVersion: string;
    kind: string;
    metadata: ArchView["metadata"] & {
      uid?: string;
      resourceVersion?: string;
      finalizers?: string[];
    };
    spec: Record<string, unknown>;
  };

export function connect(globals: GlobalOptions): Connection {
  try {
    const kc = loadKubeConfig({
      ...(globals.kubeconfig ? { kubeconfig: globals.kubeconfig } : {}),
      ...(globals.context ? { context: globals.context } : {}),
    });
    const rest = new KubeRest(kc);
    return {
      rest,
      objects: new ObjectClient(rest),
      namespace: globals.namespace ?? contextNamespace(kc),
      contextName: kc.getCurrentContext(),
      server: rest.server,
    };
  } catch (err) {
    throw connectionError(err);
  }
}

/** Runs a request, turning API failures into one clear sentence and an exit code. */
export async function kube<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw connectionError(err);
  }
}

export const NOT_INSTALLED = NOT_INSTALLED_MESSAGE;

/** Discovery of archctl.io/v1alpha1: 404 means the CRD is missing. */
export async function requireInstalled(conn: Connection): Promise<void> {
  try {
    await conn.rest.get("/apis/archctl.io/v1alpha1", { timeoutMs: 15_000 });
  } catch (err) {
    if (isNotFound(err)) throw new UserError(NOT_INSTALLED, ExitCode.NOT_FOUND);
    throw connectionError(err);
  }
}

/**
 * Whether an operator holds its Lease (renewed recently) in any namespace:
 * true / false, or undefined when we may not look (RBAC) — then say nothing.
 * An operator run without --leader-elect holds no Lease.
 */
export async function operatorLeaseHeld(
  conn: Connection,
  now: number,
): Promise<boolean | undefined> {
  try {
    const list = await conn.rest.get<{ items: Lease[] }>(
      `/apis/${LEASES.apiVersion}/${LEASES.plural}`,
      { query: { fieldSelector: `metadata.name=${OPERATOR_LEASE}` }, timeoutMs: 10_000 },
    );
    return list.items.some((l) => {
      const renewed = Date.parse(l.spec?.renewTime ?? "");
      const ttl = (l.spec?.leaseDurationSeconds ?? 15) * 1000;
      return !!l.spec?.holderIdentity && !Number.isNaN(renewed) && now - renewed < 2 * ttl + 10_000;
    });
  } catch {
    return undefined;
  }
}

export const NO_OPERATOR =
  "no operator is reconciling: run archctl install or archctl operator run";

/** Unreachable, 5xx, 429: worth retrying during a wait. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ClusterUnreachableError) return true;
  return err instanceof KubeApiError && (err.status >= 500 || err.status === 429);
}

export function getArch(
  conn: Connection,
  namespace: string,
  name: string,
): Promise<StoredArch | undefined> {
  return conn.objects.find<StoredArch>(ARCHITECTURES, namespace, name);
}

/**
 * The Architecture, or exit 5. A 404 means either that it does not exist or
 * that archctl is not installed (no CRD): discovery tells which, so the message
 * is the right one.
 */
export async function requireArch(
  conn: Connection,
  namespace: string,
  name: string,
): Promise<StoredArch> {
  const arch = await kube(() => getArch(conn, namespace, name));
  if (arch) return arch;
  await requireInstalled(conn);
  throw notFound(name, namespace);
}

export function notFound(name: string, namespace: string): UserError {
  return new UserError(
    `architecture ${name} not found in namespace ${namespace} (list them with: archctl get -A)`,
    ExitCode.NOT_FOUND,
  );
}

/** A 409 from server-side apply, explained: who owns which fields, and the way out. */
export function explainConflict(err: KubeApiError, name: string): string {
  const causes = err.body.details?.causes ?? [];
  const owners = causes.map((c) => {
    const m = /conflict with "([^"]+)"/.exec(c.message ?? "");
    return `${c.field ?? "?"} (owned by ${m ? m[1] : "another field manager"})`;
  });
  const what = owners.length ? owners.join(", ") : err.message;
  return `architecture ${name}: fields set by another tool would change: ${what}. Keep them by removing them from the blueprint, or take them over with --force-conflicts`;
}

export interface ApplyArchOptions {
  force?: boolean;
  dryRun?: boolean;
}

/** Server-side apply of the Architecture with field manager archctl-cli. */
export async function applyArch(
  conn: Connection,
  arch: KubeObject,
  opts: ApplyArchOptions = {},
): Promise<StoredArch> {
  try {
    return await conn.objects.apply<StoredArch>(arch, {
      fieldManager: CLI_FIELD_MANAGER,
      force: opts.force === true,
      dryRun: opts.dryRun === true,
    });
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 409)
      throw new UserError(explainConflict(err, arch.metadata.name), ExitCode.REFUSED);
    throw connectionError(err);
  }
}

/** The kube error as one sentence (for wait retries). */
export async function describeKubeError(err: unknown): Promise<string> {
  const { explainKubeError } = await import("./kube-errors.ts");
  return explainKubeError(err);
}

// An in-memory stand-in for the Kubernetes API, for unit tests of the
// Reconciler only: objects by kind and name, the verbs the reconciler sends
// (server-side apply, create, get, delete, merge and JSON patches), and
// informer-like caches that, like the operator's, hold only what carries
// archctl's managed-by label. Integration and end-to-end tests use a real
// API server; this fakes no rule of its but the few a test names (see
// `refuse`).
import { MANAGED_BY } from "../../operator/api/names.ts";
import { KubeApiError } from "../../operator/kube/errors.ts";
import type { ObjectClient } from "../../operator/kube/objects.ts";
import type { ResourceType } from "../../operator/kube/resources.ts";
import { OWNED, resourcePath } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import type { Informer } from "../../operator/runtime/informer.ts";

type Obj = KubeObject & {
  metadata: KubeObject["metadata"] & { uid?: string; resourceVersion?: string };
  [k: string]: unknown;
};

export interface Call {
  verb: string;
  kind: string;
  name: string;
  subresource?: string;
}

const keyOf = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? ""}/${name}`;

export class MemoryCluster {
  private readonly store = new Map<string, Obj>();
  private version = 1;
  readonly calls: Call[] = [];
  /**
   * A test's stand-in for an API server rule: a message refuses the write with
   * 422 (invalid); `{ code, message }` with another status (403 for a quota, …).
   */
  refuse?: (call: Call, body: unknown) => string | { code: number; message: string } | undefined;

  put<T extends KubeObject>(obj: T, kind = obj.kind): T {
    const stored = structuredClone(obj) as unknown as Obj;
    stored.kind = kind;
    stored.metadata.uid ??= `uid-${this.version}`;
    stored.metadata.resourceVersion = String(++this.version);
    this.store.set(keyOf(kind, stored.metadata.namespace, stored.metadata.name), stored);
    return stored as unknown as T;
  }

  get(kind: string, ns: string | undefined, name: string): Obj | undefined {
    return this.store.get(keyOf(kind, ns, name));
  }

  all(kind: string): Obj[] {
    return [...this.store.values()].filter((o) => o.kind === kind);
  }

  private check(call: Call, body: unknown, path = `/${call.kind}/${call.name}`): void {
    this.calls.push(call);
    const refusal = this.refuse?.(call, body);
    if (refusal === undefined) return;
    const { code, message } =
      typeof refusal === "string" ? { code: 422, message: refusal } : refusal;
    throw new KubeApiError("PATCH", path, code, {
      reason:
        ({ 422: "Invalid", 403: "Forbidden", 404: "NotFound" } as Record<number, string>)[code] ??
        "InternalError",
      message,
      code,
    });
  }

  /** The verbs of ObjectClient the reconciler uses, on this store. */
  objects(): ObjectClient {
    const fake = {
      apply: async (obj: KubeObject) => {
        const call = { verb: "apply", kind: obj.kind, name: obj.metadata.name };
        this.check(call, obj);
        const old = this.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
        return this.put({ ...obj, ...(old?.status ? { status: old.status } : {}) } as Obj);
      },
      create: async (obj: KubeObject) => {
        this.check({ verb: "create", kind: obj.kind, name: obj.metadata.name }, obj);
        if (this.get(obj.kind, obj.metadata.namespace, obj.metadata.name))
          throw new KubeApiError("POST", obj.kind, 409, { reason: "AlreadyExists", code: 409 });
        const { stringData, ...rest } = obj as Obj & { stringData?: Record<string, string> };
        return this.put(stringData ? { ...rest, data: stringData } : rest);
      },
      find: async (r: ResourceType, ns: string | undefined, name: string) => {
        this.calls.push({ verb: "get", kind: r.kind, name });
        return structuredClone(this.get(r.kind, ns, name));
      },
      delete: async (r: ResourceType, ns: string | undefined, name: string) => {
        this.check({ verb: "delete", kind: r.kind, name }, undefined);
        return this.store.delete(keyOf(r.kind, ns, name));
      },
      mergePatch: async (
        r: ResourceType,
        ns: string | undefined,
        name: string,
        patch: Record<string, unknown>,
        subresource?: string,
      ) => {
        this.check(
          { verb: "patch", kind: r.kind, name, ...(subresource ? { subresource } : {}) },
          patch,
          resourcePath(r, ns, name, subresource),
        );
        const old = this.get(r.kind, ns, name);
        if (!old) throw new KubeApiError("PATCH", r.kind, 404, { reason: "NotFound", code: 404 });
        return this.put(mergePatch(old, patch) as Obj);
      },
      jsonPatch: async (r: ResourceType, ns: string | undefined, name: string, ops: unknown[]) => {
        this.check({ verb: "patch", kind: r.kind, name }, ops);
        const old = this.get(r.kind, ns, name);
        if (!old) throw new KubeApiError("PATCH", r.kind, 404, { reason: "NotFound", code: 404 });
        const next = structuredClone(old);
        for (const op of ops as { op: string; path: string; value?: unknown }[]) {
          if (op.op === "test") continue;
          const parts = op.path.split("/").slice(1);
          const last = parts.pop() as string;
          let at = next as unknown as Record<string, unknown>;
          for (const p of parts) at = at[p] as Record<string, unknown>;
          if (op.op === "remove") delete at[last];
          else if (last === "-") (at as unknown as unknown[]).push(op.value);
          else at[last] = op.value;
        }
        return this.put(next);
      },
      list: async (r: ResourceType, ns?: string) => ({
        items: this.all(r.kind).filter((o) => o.metadata.namespace === ns),
        metadata: {},
      }),
    };
    return fake as unknown as ObjectClient;
  }

  /** Caches as the operator keeps them: only objects with archctl's managed-by label. */
  caches(kinds: ResourceType[] = OWNED): Map<string, Informer<never>> {
    const out = new Map<string, Informer<never>>();
    for (const r of kinds) out.set(`${r.apiVersion}/${r.kind}`, this.informer(r.kind, true));
    return out;
  }

  informer<T>(kind: string, labelled: boolean): Informer<T & KubeObject> {
    const visible = (o: Obj) =>
      !labelled || o.metadata.labels?.["app.kubernetes.io/managed-by"] === MANAGED_BY;
    const view = {
      get: (name: string, ns?: string) => {
        const o = this.get(kind, ns, name);
        return o && visible(o) ? structuredClone(o) : undefined;
      },
      list: (ns?: string) =>
        this.all(kind)
          .filter((o) => visible(o) && (ns === undefined || o.metadata.namespace === ns))
          .map((o) => structuredClone(o)),
    };
    return view as unknown as Informer<T & KubeObject>;
  }

  architectures(): Informer<StoredArchitecture> {
    return this.informer<StoredArchitecture>("Architecture", false);
  }
}

/** RFC 7386 merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// Verbs on whole objects: server-side apply, create, delete, status patches.

import { isNotFound } from "./errors.ts";
import type { ResourceType } from "./resources.ts";
import { resourceFor, resourcePath } from "./resources.ts";
import type { KubeRest } from "./rest.ts";
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH } from "./rest.ts";
import type { KubeObject } from "./types.ts";

export interface ApplyOptions {
  fieldManager: string;
  /** Take ownership of fields another manager set: the operator is the source of truth for its children. */
  force?: boolean;
  dryRun?: boolean;
}

export interface ListResult<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export class ObjectClient {
  readonly rest: KubeRest;
  constructor(rest: KubeRest) {
    this.rest = rest;
  }

  path(obj: KubeObject, subresource?: string): string {
    return resourcePath(
      resourceFor(obj.apiVersion, obj.kind),
      obj.metadata.namespace,
      obj.metadata.name,
      subresource,
    );
  }

  apply<T extends KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    return this.rest.request<T>("PATCH", this.path(obj), {
      body: obj,
      contentType: APPLY_PATCH,
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force ? true : undefined,
        dryRun: opts.dryRun ? "All" : undefined,
      },
    });
  }

  create<T extends KubeObject>(obj: KubeObject, fieldManager: string): Promise<T> {
    const r = resourceFor(obj.apiVersion, obj.kind);
    return this.rest.request<T>("POST", resourcePath(r, obj.metadata.namespace), {
      body: obj,
      query: { fieldManager },
    });
  }

  get<T extends KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T> {
    return this.rest.get<T>(resourcePath(r, namespace, name));
  }

  /** Like get, but undefined instead of a 404 error. */
  async find<T extends KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(r, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  list<T extends KubeObject>(
    r: ResourceType,
    namespace?: string,
    labelSelector?: string,
  ): Promise<ListResult<T>> {
    return this.rest.get<ListResult<T>>(resourcePath(r, namespace), { query: { labelSelector } });
  }

  /** Deletes; a missing object counts as deleted. `uid` guards against deleting a newer namesake. */
  async delete(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: {
      uid?: string;
      propagationPolicy?: "Background" | "Foreground" | "Orphan";
      dryRun?: boolean;
    } = {},
  ): Promise<boolean> {
    const body: Record<string, unknown> = { apiVersion: "v1", kind: "DeleteOptions" };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.uid) body.preconditions = { uid: opts.uid };
    if (opts.dryRun) body.dryRun = ["All"];
    try {
      await this.rest.request("DELETE", resourcePath(r, namespace, name), { body });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  mergePatch<T extends KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: string,
  ): Promise<T> {
    return this.rest.request<T>("PATCH", resourcePath(r, namespace, name, subresource), {
      body: patch,
      contentType: MERGE_PATCH,
    });
  }

  jsonPatch<T extends KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    ops: unknown[],
    subresource?: string,
  ): Promise<T> {
    return this.rest.request<T>("PATCH", resourcePath(r, namespace, name, subresource), {
      body: ops,
      contentType: JSON_PATCH,
    });
  }
}

// The operator's REST client: writes fenced off unless this instance leads, and
// the API resource a request path names (the label of the request metrics).
import type { KubeConfig } from "@kubernetes/client-node";
import { NotLeaderError } from "./controller.ts";
import type { RequestOptions, Verb } from "./kube/rest.ts";
import { KubeRest } from "./kube/rest.ts";

/** The plural resource in an API path (`deployments`), or "other". */
export function resourceLabel(path: string): string {
  const m = /\/(?:api|apis)\/(?:[^/]+\/)?v[0-9][^/]*\/(?:namespaces\/[^/]+\/)?([a-z]+)/.exec(path);
  return m?.[1] ?? "other";
}

/**
 * Refuses every write while `mayWrite()` says no. The fence between a deposed
 * leader and the cluster: a reconcile in flight when the lease is lost stops at
 * its next write instead of finishing alongside the new leader.
 */
export class FencedRest extends KubeRest {
  private readonly mayWrite: () => boolean;
  constructor(kc: KubeConfig, mayWrite: () => boolean) {
    super(kc);
    this.mayWrite = mayWrite;
  }
  override request<T = unknown>(verb: Verb, path: string, opts?: RequestOptions): Promise<T> {
    if (verb !== "GET" && !this.mayWrite())
      return Promise.reject(new NotLeaderError(`not the leader: ${verb} ${path} was not sent`));
    return super.request<T>(verb, path, opts);
  }
}

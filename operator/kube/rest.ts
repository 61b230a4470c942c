// A thin REST client over the kubeconfig's transport. It returns the API server's
// JSON as it is (no model classes, no Date conversion), so cached objects, watch
// events and responses all have one shape, and it counts every request.

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { HttpMethod, RequestContext } from "@kubernetes/client-node";
import type { Dispatcher } from "undici";
import { fetch } from "undici";
import { reuseConnections } from "./connections.ts";
import type { StatusBody } from "./errors.ts";
import { ClusterUnreachableError, KubeApiError } from "./errors.ts";

export type Verb = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export type RequestObserver = (verb: Verb, path: string, status: number) => void;

export const APPLY_PATCH = "application/apply-patch+yaml";
export const MERGE_PATCH = "application/merge-patch+json";
export const JSON_PATCH = "application/json-patch+json";

/** package.json's version: ../../ from operator/kube/ in a checkout, ../../../ from dist/. */
function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "archctl" && pkg.version) return pkg.version;
    } catch {}
  }
  return "0.0.0";
}

/**
 * What the API server records as the client (audit log, request metrics):
 * `archctl/<version> (<hostname>-<pid>)`. The part in brackets is this
 * process, and it is also the operator's default leader-election identity
 * (operator/operator.ts), so an audit entry names the replica that made it.
 */
export const DEFAULT_USER_AGENT = `archctl/${packageVersion()} (${hostname()}-${process.pid})`;

/** How often a request turned away with 429 is sent again before the 429 is the answer. */
export const MAX_THROTTLED_RETRIES = 10;

/** Milliseconds to wait for a 429's Retry-After (seconds; 1 s when absent or odd, at most 60 s). */
export function throttledFor(retryAfter: string | null): number {
  const s = retryAfter === null || retryAfter.trim() === "" ? Number.NaN : Number(retryAfter);
  return (Number.isFinite(s) && s >= 0 ? Math.min(s, 60) : 1) * 1000;
}

export class KubeRest {
  readonly kc: KubeConfig;
  readonly server: string;
  readonly userAgent: string;
  private observers: RequestObserver[] = [];

  constructor(kc: KubeConfig, opts: { userAgent?: string } = {}) {
    this.kc = reuseConnections(kc);
    this.server = kc.getCurrentCluster()?.server ?? "";
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
  }

  /** Called after every request with its verb, path and HTTP status (0 = no answer). */
  observe(fn: RequestObserver): void {
    this.observers.push(fn);
  }

  async request<T = unknown>(verb: Verb, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), verb as HttpMethod);
    await this.kc.applySecurityAuthentication(ctx);
    const headers = ctx.getHeaders() as Record<string, string>;
    headers.Accept = "application/json";
    headers["User-Agent"] = this.userAgent;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["Content-Type"] = opts.contentType ?? "application/json";
    }
    let res: Awaited<ReturnType<typeof fetch>>;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await fetch(url, {
          method: verb,
          headers,
          body,
          dispatcher: ctx.getDispatcher() as Dispatcher | undefined,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        for (const o of this.observers) o(verb, path, 0);
        throw new ClusterUnreachableError(this.server, this.kc.getCurrentContext(), err);
      }
      // 429 from API Priority and Fairness: the request was turned away before
      // it ran, so any verb may be sent again, after the Retry-After it names
      // (client-go does the same, up to 10 times). No throttling on our side.
      const wait = res.status === 429 ? throttledFor(res.headers.get("retry-after")) : undefined;
      if (wait === undefined || attempt >= MAX_THROTTLED_RETRIES) break;
      for (const o of this.observers) o(verb, path, 429);
      await res.body?.cancel();
      await sleep(wait);
    }
    for (const o of this.observers) o(verb, path, res.status);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { message: text.slice(0, 500) };
    }
    if (!res.ok) throw new KubeApiError(verb, path, res.status, json as StatusBody);
    return json as T;
  }

  get<T = unknown>(path: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>("GET", path, opts);
  }
}

export { HttpMethod };

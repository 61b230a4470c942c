// Envoy Gateway's BackendTrafficPolicy for each HTTPRoute of provider gateway:
// per-client-IP rate limits, circuit breaking with a retry budget, passive
// health checks (outlier detection), retries and backend timeouts; for
// websocket routes also hour-long idle limits and cookie session persistence.
//
// One policy per route, named as the route (another kind, so no clash): the
// websocket settings must not reach ordinary API routes. What Envoy Gateway
// cannot say (burst multipliers, a per-IP connection limit, CIDRs exempt from
// per-IP limits) is not rendered; validate and plan warn about it
// (semantics/traffic.ts), so nothing is dropped silently.
//
// ClientTrafficPolicy is not rendered: it attaches to a Gateway (its listeners),
// which is shared and not archctl's. Per-route settings that Envoy also has on
// the listener (the stream idle timeout) are set here, per route, instead.

import type { KubeObject } from "../kube/types.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { GATEWAY_API_GROUP, type PlannedRoute, plannedRoutes } from "./gateway.ts";
import { AFFINITY_COOKIE, WEBSOCKET_TIMEOUT_SECONDS } from "./ingress.ts";
import { childMeta } from "./meta.ts";
import type { RenderNotice } from "./types.ts";

/** Retries may be at most this share of active requests unless the spec says otherwise. */
export const DEFAULT_RETRY_BUDGET_PERCENT = 20;
export const DEFAULT_RETRY_ON = ["connect-failure", "reset", "gateway-error"] as const;
/** Per-client buckets for every IPv4 and every IPv6 address. */
const ALL_CLIENTS = ["0.0.0.0/0", "::/0"] as const;

type Ingress = NonNullable<RenderContext["arch"]["ingress"]>;

/** Whether the spec asks for anything a BackendTrafficPolicy carries. */
function wantsPolicy(ing: Ingress, routes: PlannedRoute[]): boolean {
  return (
    ing.rateLimit?.rps !== undefined ||
    ing.rateLimit?.rpm !== undefined ||
    ing.circuitBreaker !== undefined ||
    ing.retry !== undefined ||
    ing.timeouts?.idle !== undefined ||
    routes.some((r) => r.websocket)
  );
}

export const renderTrafficPolicies: ConcernRenderer = (ctx) => {
  const ing = ctx.arch.ingress;
  if (ing?.provider !== "gateway" || !ing.gateway) return { objects: [] };
  const routes = plannedRoutes(ctx);
  if (!wantsPolicy(ing, routes)) return { objects: [] };
  const notices: RenderNotice[] = [];
  // Policies target routes: without HTTPRoutes there is nothing to attach to
  // (renderGateway says so).
  if (!ctx.capabilities.gatewayApi) return { objects: [] };
  if (!ctx.capabilities.envoyGateway) {
    notices.push({
      reason: "EnvoyGatewayMissing",
      message: `rate limits, circuit breaking, retries and websocket timeouts of ${routes.map((r) => r.name).join(", ")} are not applied: the cluster does not serve gateway.envoyproxy.io/v1alpha1 BackendTrafficPolicy (install Envoy Gateway, whose policies archctl renders)`,
    });
    return { objects: [], notices };
  }
  // A route with nothing to say gets no policy (an empty one would still attach).
  const objects = routes
    .map((r) => policy(ctx, ing, r))
    .filter((p) => Object.keys(p.spec as object).length > 1);
  return { objects };
};

function rateLimit(ing: Ingress): Record<string, unknown> | undefined {
  const rl = ing.rateLimit;
  const limits: { requests: number; unit: string }[] = [];
  if (rl?.rps !== undefined) limits.push({ requests: rl.rps, unit: "Second" });
  if (rl?.rpm !== undefined) limits.push({ requests: rl.rpm, unit: "Minute" });
  if (limits.length === 0) return undefined;
  // Distinct: one bucket per client address. Local: counted by each Envoy
  // replica, as ingress-nginx counts per replica; no rate limit service needed.
  // A request matching several rules meets the strictest.
  const rules = limits.flatMap((limit) =>
    ALL_CLIENTS.map((value) => ({
      clientSelectors: [{ sourceCIDR: { type: "Distinct", value } }],
      limit,
    })),
  );
  return { type: "Local", local: { rules } };
}

function circuitBreaker(ing: Ingress): Record<string, unknown> | undefined {
  const cb = ing.circuitBreaker;
  if (!cb && !ing.retry) return undefined;
  const out: Record<string, unknown> = {};
  if (cb?.maxConnections !== undefined) out.maxConnections = cb.maxConnections;
  if (cb?.maxPendingRequests !== undefined) out.maxPendingRequests = cb.maxPendingRequests;
  if (cb?.maxParallelRequests !== undefined) out.maxParallelRequests = cb.maxParallelRequests;
  // The retry budget lives with the circuit breaker in Envoy: retries in flight
  // may be at most this share of the requests in flight, so retries cannot
  // multiply the load on a backend that is already failing.
  if (ing.retry && ing.retry.attempts > 0)
    out.retryBudget = {
      percent: { numerator: ing.retry.budgetPercent ?? DEFAULT_RETRY_BUDGET_PERCENT },
    };
  return Object.keys(out).length > 0 ? out : undefined;
}

function passiveHealthCheck(ing: Ingress): Record<string, unknown> | undefined {
  const od = ing.circuitBreaker?.outlierDetection;
  if (!od) return undefined;
  const passive: Record<string, unknown> = {};
  if (od.consecutive5xx !== undefined) passive.consecutive5XxErrors = od.consecutive5xx;
  if (od.interval !== undefined) passive.interval = od.interval;
  if (od.baseEjectionTime !== undefined) passive.baseEjectionTime = od.baseEjectionTime;
  if (od.maxEjectionPercent !== undefined) passive.maxEjectionPercent = od.maxEjectionPercent;
  return { passive };
}

function retry(ing: Ingress): Record<string, unknown> | undefined {
  const r = ing.retry;
  if (!r) return undefined;
  const out: Record<string, unknown> = {
    numRetries: r.attempts,
    retryOn: { triggers: [...(r.retryOn ?? DEFAULT_RETRY_ON)] },
  };
  if (r.perTryTimeout) out.perRetry = { timeout: r.perTryTimeout };
  return out;
}

function policy(ctx: RenderContext, ing: Ingress, r: PlannedRoute): KubeObject {
  const spec: Record<string, unknown> = {
    targetRefs: [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute", name: r.name }],
  };
  const rl = rateLimit(ing);
  if (rl) spec.rateLimit = rl;
  const cb = circuitBreaker(ing);
  if (cb) spec.circuitBreaker = cb;
  const hc = passiveHealthCheck(ing);
  if (hc) spec.healthCheck = hc;
  const rt = retry(ing);
  if (rt) spec.retry = rt;
  const http: Record<string, string> = {};
  if (ing.timeouts?.idle) http.connectionIdleTimeout = ing.timeouts.idle;
  if (r.websocket) {
    // Quiet websockets must outlive Envoy's 5-minute stream idle default;
    // clients ping well within the hour, as with ingress-nginx.
    http.streamIdleTimeout = `${WEBSOCKET_TIMEOUT_SECONDS}s`;
    http.connectionIdleTimeout = `${WEBSOCKET_TIMEOUT_SECONDS}s`;
    // Session persistence: a cookie chooses the replica (ttl 0s: a session
    // cookie), so a reconnecting client returns to the replica with its state.
    spec.loadBalancer = {
      type: "ConsistentHash",
      consistentHash: { type: "Cookie", cookie: { name: AFFINITY_COOKIE, ttl: "0s" } },
    };
  }
  if (Object.keys(http).length > 0) spec.timeout = { http };
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "BackendTrafficPolicy",
    metadata: { ...childMeta(ctx, "ingress"), name: r.name },
    spec,
  };
}

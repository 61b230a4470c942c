// An Architecture with its ingress on the other provider, as a user migrating
// would write it: nginx -> gateway names a Gateway and drops what Envoy Gateway
// cannot carry; gateway -> nginx drops what ingress-nginx cannot. Undefined
// when there is no ingress.
import type { Architecture } from "../../operator/api/schema.ts";

export function flipProvider(
  arch: Architecture,
  gatewayNamespace?: string,
): Architecture | undefined {
  const ing = arch.spec.ingress;
  if (!ing) return undefined;
  const {
    provider,
    gateway: _gateway,
    circuitBreaker: _cb,
    retry: _retry,
    timeouts: _timeouts,
    className: _className,
    annotations: _annotations,
    rateLimit,
    ...rest
  } = ing;
  const next: NonNullable<Architecture["spec"]["ingress"]> =
    (provider ?? "nginx") === "nginx"
      ? {
          ...rest,
          provider: "gateway",
          gateway: { name: "edge", ...(gatewayNamespace ? { namespace: gatewayNamespace } : {}) },
          circuitBreaker: { maxConnections: 1000, outlierDetection: { consecutive5xx: 5 } },
          retry: { attempts: 2, retryOn: ["connect-failure"] },
        }
      : { ...rest, provider: "nginx", className: "nginx" };
  if (rateLimit) {
    const { burstMultiplier, connections, whitelist, ...limits } = rateLimit;
    const kept =
      next.provider === "gateway"
        ? limits
        : {
            ...limits,
            ...(connections ? { connections } : {}),
            ...(burstMultiplier ? { burstMultiplier } : {}),
            ...(whitelist ? { whitelist } : {}),
          };
    if (Object.keys(kept).length > 0) next.rateLimit = kept;
  }
  return { ...arch, spec: { ...arch.spec, ingress: next } };
}

// The traffic provider and what each one can carry. Envoy Gateway (provider
// gateway) cannot say everything ingress-nginx annotations can, and nginx cannot
// break circuits: every field one provider cannot carry is refused or warned
// about here, so validate and plan say so and nothing is dropped silently.
import type { Architecture } from "../schema.ts";
import { MAX_ROUTE_RULES } from "../schema.ts";
import { error, type Issue, type SpecIndex, warning } from "./issue.ts";

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds in a Gateway API duration (15s, 1m30s, 500ms); the schema checked the grammar. */
export function gatewayDurationMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|h|m|s)/g))
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}

export function checkTraffic(arch: Architecture, index: SpecIndex): Issue[] {
  const ing = arch.spec.ingress;
  if (!ing) return [];
  const issues: Issue[] = [];
  const at = ["spec", "ingress"];
  const provider = ing.provider ?? "nginx";
  if (provider === "gateway") {
    if (!ing.gateway)
      issues.push(
        error(
          [...at, "gateway"],
          "provider gateway needs the Gateway the routes attach to",
          "add gateway: { name: <Gateway>, namespace: <its namespace> }",
        ),
      );
    const rl = ing.rateLimit;
    const unsaid = "Envoy Gateway has no equivalent, so it is not applied with provider gateway";
    if (rl?.connections !== undefined)
      issues.push(
        warning(
          [...at, "rateLimit", "connections"],
          `a per-client connection limit: ${unsaid}`,
          "limit connections on the shared Gateway (ClientTrafficPolicy connection.connectionLimit), or use circuitBreaker.maxConnections for the backends",
        ),
      );
    if (rl?.burstMultiplier !== undefined)
      issues.push(
        warning(
          [...at, "rateLimit", "burstMultiplier"],
          `a burst multiplier: ${unsaid} (a local rate limit's bucket holds exactly the limit)`,
          "raise rps to admit bursts, or remove burstMultiplier",
        ),
      );
    if (rl?.whitelist?.length)
      issues.push(
        warning(
          [...at, "rateLimit", "whitelist"],
          `CIDRs exempt from per-client limits: ${unsaid} (a rate limit rule selects one CIDR per client)`,
          "remove whitelist, or keep those clients on a route with its own limits",
        ),
      );
    if (ing.className !== undefined)
      issues.push(
        warning(
          [...at, "className"],
          "className chooses an IngressClass; provider gateway renders no Ingress",
          "remove className, or name the Gateway in gateway",
        ),
      );
    if (ing.annotations && Object.keys(ing.annotations).length > 0)
      issues.push(
        warning(
          [...at, "annotations"],
          "annotations go on Ingresses; provider gateway renders HTTPRoutes and Envoy Gateway policies, so they are not applied",
          "remove annotations, or express them with rateLimit, circuitBreaker, retry and timeouts",
        ),
      );
    const routesTo = (h: (typeof ing.hosts)[number], websocket: boolean) =>
      h.routes.filter((r) => (index.byName.get(r.component)?.type === "gateway") === websocket);
    for (const [h, host] of ing.hosts.entries())
      for (const websocket of [false, true])
        if (routesTo(host, websocket).length > MAX_ROUTE_RULES)
          issues.push(
            error(
              [...at, "hosts", h, "routes"],
              `host ${host.host} has ${routesTo(host, websocket).length} routes to ${websocket ? "gateways" : "services"}; an HTTPRoute holds at most ${MAX_ROUTE_RULES}`,
              "route a common path prefix to fewer components, or split the host",
            ),
          );
    const hasWs = ing.hosts.some((h) => routesTo(h, true).length > 0);
    if (ing.timeouts?.request && hasWs)
      issues.push(
        warning(
          [...at, "timeouts", "request"],
          "websocket routes (to gateway components) keep no request timeout: a websocket lasts as long as its client; they close after an hour idle instead",
          "nothing to do if that is intended",
        ),
      );
  } else {
    const gatewayOnly = (field: string, what: string) =>
      error(
        [...at, field],
        `${what} needs provider gateway: the ingress-nginx controller cannot ${field === "circuitBreaker" ? "break circuits (limit connections and pending requests to the backends, eject failing replicas)" : "be given it by archctl"}`,
        "set spec.ingress.provider: gateway with gateway: { name, namespace } (Envoy Gateway), or remove it",
      );
    if (ing.circuitBreaker) issues.push(gatewayOnly("circuitBreaker", "circuit breaking"));
    if (ing.retry) issues.push(gatewayOnly("retry", "retry with a budget"));
    if (ing.timeouts) issues.push(gatewayOnly("timeouts", "timeouts"));
    if (ing.gateway)
      issues.push(
        warning(
          [...at, "gateway"],
          "gateway is used only with provider gateway; with nginx it is ignored",
          "set provider: gateway to attach to it, or remove gateway",
        ),
      );
  }
  const rl = ing.rateLimit;
  if (rl?.rps !== undefined && rl.rpm !== undefined && rl.rpm < rl.rps)
    issues.push(
      error(
        [...at, "rateLimit", "rpm"],
        `conflicting limits: rpm ${rl.rpm} admits fewer requests in a minute than rps ${rl.rps} admits in one second, so rps never applies`,
        "keep one of them, or set rpm to at least rps",
      ),
    );
  const perTry = ing.retry?.perTryTimeout;
  const request = ing.timeouts?.request;
  if (perTry && request && gatewayDurationMs(perTry) > gatewayDurationMs(request))
    issues.push(
      error(
        [...at, "retry", "perTryTimeout"],
        `conflicting limits: one try may take ${perTry}, longer than the whole request (${request})`,
        "make perTryTimeout shorter than timeouts.request",
      ),
    );
  return issues;
}

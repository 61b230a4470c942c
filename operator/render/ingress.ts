// spec.ingress: networking.k8s.io/v1 Ingresses for ingress-nginx, with TLS,
// per-client rate limits and, for websocket gateways, long timeouts and sticky
// sessions.
//
// Naming: Ingresses belong to the Architecture, not to a component, so they are
// named after it: `<arch>` holds the routes to services and `<arch>-ws` the routes
// to gateways. ingress-nginx annotations apply to a whole Ingress, and the
// websocket settings (hour-long proxy timeouts, cookie affinity) must not leak
// onto ordinary API routes, hence two objects. Gateway routes always live in
// `<arch>-ws`, even when there are no service routes, so adding or removing a
// service route never moves them to another object. Labels are those of a child
// named "ingress" (app.kubernetes.io/component: ingress); no selector reads them.
import { childName } from "../api/names.ts";
import type { KubeObject } from "../kube/types.ts";
import { APP_SERVICE_PORT } from "./connection.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { childMeta } from "./meta.ts";

const NGINX = "nginx.ingress.kubernetes.io";
/** Websocket connections stay open for up to an hour without traffic from either side. */
export const WEBSOCKET_TIMEOUT_SECONDS = 3600;
export const AFFINITY_COOKIE = "archctl-affinity";

type Route = { path: string; component: string };
type Host = { host: string; routes: Route[] };

export const renderIngress: ConcernRenderer = (ctx) => {
  const ing = ctx.arch.ingress;
  if (ing?.provider !== "nginx") return { objects: [] };
  const isGateway = (r: Route) => ctx.component(r.component)?.type === "gateway";
  const serviceHosts = select(ing.hosts, (r) => !isGateway(r));
  const gatewayHosts = select(ing.hosts, isGateway);
  // cert-manager makes one Certificate per secretName; only one Ingress may
  // carry the issuer annotation, and its TLS entry names every host so the one
  // certificate covers both Ingresses.
  const issuerOn = serviceHosts.length > 0 ? "main" : "ws";
  const objects: KubeObject[] = [];
  if (serviceHosts.length > 0)
    objects.push(ingress(ctx, ctx.arch.name, serviceHosts, false, issuerOn === "main"));
  if (gatewayHosts.length > 0)
    objects.push(ingress(ctx, `${ctx.arch.name}-ws`, gatewayHosts, true, issuerOn === "ws"));
  return { objects };
};

/** The hosts with only the routes that pass `keep`; hosts left empty are dropped. */
function select(hosts: Host[], keep: (r: Route) => boolean): Host[] {
  return hosts
    .map((h) => ({ host: h.host, routes: h.routes.filter(keep) }))
    .filter((h) => h.routes.length > 0);
}

function annotations(
  ctx: RenderContext,
  websocket: boolean,
  issuer: boolean,
): Record<string, string> {
  const ing = ctx.arch.ingress;
  const out: Record<string, string> = {};
  if (!ing) return out;
  if (issuer && ing.tls?.clusterIssuer)
    out["cert-manager.io/cluster-issuer"] = ing.tls.clusterIssuer;
  // Limits are per client IP, enforced by every ingress-nginx replica.
  const rl = ing.rateLimit;
  if (rl?.rps !== undefined) out[`${NGINX}/limit-rps`] = String(rl.rps);
  if (rl?.rpm !== undefined) out[`${NGINX}/limit-rpm`] = String(rl.rpm);
  if (rl?.connections !== undefined) out[`${NGINX}/limit-connections`] = String(rl.connections);
  if (rl?.burstMultiplier !== undefined)
    out[`${NGINX}/limit-burst-multiplier`] = String(rl.burstMultiplier);
  if (rl?.whitelist?.length) out[`${NGINX}/limit-whitelist`] = rl.whitelist.join(",");
  if (websocket) {
    // nginx closes a proxied connection idle for proxy-read/send-timeout (60s by
    // default), which would drop quiet websockets; clients ping well within an hour.
    out[`${NGINX}/proxy-read-timeout`] = String(WEBSOCKET_TIMEOUT_SECONDS);
    out[`${NGINX}/proxy-send-timeout`] = String(WEBSOCKET_TIMEOUT_SECONDS);
    // A reconnecting client returns to the replica that holds its session;
    // persistent mode keeps it there when replicas are added.
    out[`${NGINX}/affinity`] = "cookie";
    out[`${NGINX}/affinity-mode`] = "persistent";
    out[`${NGINX}/session-cookie-name`] = AFFINITY_COOKIE;
  }
  // The user's annotations win: they are the escape hatch for anything above.
  Object.assign(out, ing.annotations);
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k] as string;
  return sorted;
}

function ingress(
  ctx: RenderContext,
  name: string,
  hosts: Host[],
  websocket: boolean,
  issuer: boolean,
): KubeObject {
  const ing = ctx.arch.ingress as NonNullable<RenderContext["arch"]["ingress"]>;
  const metadata = { ...childMeta(ctx, "ingress"), name };
  const annots = annotations(ctx, websocket, issuer);
  if (Object.keys(annots).length > 0) metadata.annotations = annots;
  const spec: Record<string, unknown> = { ingressClassName: ing.className };
  if (ing.tls) spec.tls = [{ hosts: ing.hosts.map((h) => h.host), secretName: ing.tls.secretName }];
  spec.rules = hosts.map((h) => ({
    host: h.host,
    http: {
      paths: h.routes.map((r) => ({
        path: r.path,
        pathType: "Prefix",
        backend: {
          service: {
            name: childName(ctx.arch.name, r.component),
            port: { number: APP_SERVICE_PORT },
          },
        },
      })),
    },
  }));
  return { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata, spec };
}

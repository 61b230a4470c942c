// spec.ingress with provider gateway: Gateway API HTTPRoutes attached to a Gateway
// the user names (archctl never owns the shared Gateway), and what TLS on that
// Gateway needs from this namespace: a cert-manager Certificate when an issuer is
// named, and a ReferenceGrant that lets the Gateway's namespace read the Secret.
//
// Naming: one HTTPRoute per host and kind of backend, `<arch>-<host>` for
// services and `<arch>-<host>-ws` for websocket gateways. A route's hostnames
// apply to all its rules, so hosts with different paths cannot share one; and
// websocket routes need their own timeouts and session persistence (see
// traffic-policy.ts), which attach to whole routes. Naming by host, not by
// position, keeps a route's name when hosts are added or reordered.
import { childName } from "../api/names.ts";
import type { KubeObject } from "../kube/types.ts";
import { APP_SERVICE_PORT } from "./connection.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { childMeta } from "./meta.ts";
import type { RenderNotice } from "./types.ts";

export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

type Route = { path: string; component: string };

/** One HTTPRoute to render: its name, host, routes and whether it carries websockets. */
export interface PlannedRoute {
  name: string;
  host: string;
  routes: Route[];
  websocket: boolean;
}

/** FNV-1a, 32 bits, hex: a short stable suffix for names that would be too long. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** `<arch>-<host>[-ws]`, dots as dashes, `*` as `wildcard`; hashed when past 253 characters. */
export function routeName(arch: string, host: string, websocket: boolean): string {
  const slug = host.replace(/^\*/, "wildcard").replaceAll(".", "-");
  const suffix = websocket ? "-ws" : "";
  const full = `${arch}-${slug}${suffix}`;
  if (full.length <= 253) return full;
  return `${arch}-${slug.slice(0, 253 - arch.length - suffix.length - 11)}-${shortHash(host)}${suffix}`;
}

/** The HTTPRoutes of an Architecture, in spec order (hosts, then services before websockets). */
export function plannedRoutes(ctx: RenderContext): PlannedRoute[] {
  const ing = ctx.arch.ingress;
  if (!ing) return [];
  const isWs = (r: Route) => ctx.component(r.component)?.type === "gateway";
  const out: PlannedRoute[] = [];
  for (const h of ing.hosts) {
    for (const websocket of [false, true]) {
      const routes = h.routes.filter((r) => isWs(r) === websocket);
      if (routes.length > 0)
        out.push({
          name: routeName(ctx.arch.name, h.host, websocket),
          host: h.host,
          routes,
          websocket,
        });
    }
  }
  return out;
}

export const renderGateway: ConcernRenderer = (ctx) => {
  const ing = ctx.arch.ingress;
  if (ing?.provider !== "gateway" || !ing.gateway) return { objects: [] };
  const objects: KubeObject[] = [];
  const notices: RenderNotice[] = [];
  const routes = plannedRoutes(ctx);
  if (!ctx.capabilities.gatewayApi) {
    notices.push({
      reason: "GatewayApiMissing",
      message: `HTTPRoutes ${routes.map((r) => r.name).join(", ")} are not created: the cluster does not serve gateway.networking.k8s.io/v1 HTTPRoute (install the Gateway API CRDs and an implementation such as Envoy Gateway, or set spec.ingress.provider: nginx)`,
    });
    return { objects, notices };
  }
  for (const r of routes) objects.push(httpRoute(ctx, r));
  if (ing.tls) {
    if (ing.gateway.namespace !== ctx.arch.namespace) objects.push(referenceGrant(ctx));
    if (ing.tls.clusterIssuer) {
      if (ctx.capabilities.certManager) objects.push(certificate(ctx));
      else
        notices.push({
          reason: "CertManagerMissing",
          message: `the Certificate for Secret ${ing.tls.secretName} is not created: the cluster does not serve cert-manager.io/v1 Certificate (install cert-manager, or remove tls.clusterIssuer and provide the Secret)`,
        });
    }
  }
  return { objects, notices };
};

function httpRoute(ctx: RenderContext, r: PlannedRoute): KubeObject {
  const ing = ctx.arch.ingress as NonNullable<RenderContext["arch"]["ingress"]>;
  const gw = ing.gateway as NonNullable<typeof ing.gateway>;
  const parent: Record<string, string> = {
    group: GATEWAY_API_GROUP,
    kind: "Gateway",
    name: gw.name,
    namespace: gw.namespace,
  };
  if (gw.sectionName) parent.sectionName = gw.sectionName;
  // A websocket lives for as long as the client stays: Envoy's route timeout
  // would cut it, so it is off ("0s") and the idle limit of the policy applies.
  const request = r.websocket ? "0s" : ing.timeouts?.request;
  const rules = r.routes.map((route) => ({
    matches: [{ path: { type: "PathPrefix", value: route.path } }],
    backendRefs: [{ name: childName(ctx.arch.name, route.component), port: APP_SERVICE_PORT }],
    ...(request ? { timeouts: { request } } : {}),
  }));
  return {
    apiVersion: `${GATEWAY_API_GROUP}/v1`,
    kind: "HTTPRoute",
    metadata: { ...childMeta(ctx, "ingress"), name: r.name },
    spec: { parentRefs: [parent], hostnames: [r.host], rules },
  };
}

/** Lets the Gateway, in its own namespace, read the TLS Secret of this one. */
function referenceGrant(ctx: RenderContext): KubeObject {
  const ing = ctx.arch.ingress as NonNullable<RenderContext["arch"]["ingress"]>;
  const gw = ing.gateway as NonNullable<typeof ing.gateway>;
  const tls = ing.tls as NonNullable<typeof ing.tls>;
  return {
    apiVersion: `${GATEWAY_API_GROUP}/v1beta1`,
    kind: "ReferenceGrant",
    metadata: childMeta(ctx, "ingress", "tls"),
    spec: {
      from: [{ group: GATEWAY_API_GROUP, kind: "Gateway", namespace: gw.namespace }],
      to: [{ group: "", kind: "Secret", name: tls.secretName }],
    },
  };
}

/**
 * With ingress-nginx, cert-manager's ingress-shim makes the Certificate from an
 * annotation; a Gateway that archctl does not own cannot carry one, so the
 * Certificate is written out, for every host.
 */
function certificate(ctx: RenderContext): KubeObject {
  const ing = ctx.arch.ingress as NonNullable<RenderContext["arch"]["ingress"]>;
  const tls = ing.tls as NonNullable<typeof ing.tls>;
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: childMeta(ctx, "ingress", "tls"),
    spec: {
      secretName: tls.secretName,
      dnsNames: [...new Set(ing.hosts.map((h) => h.host))],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: tls.clusterIssuer },
    },
  };
}

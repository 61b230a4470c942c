// spec.mesh: Istio DestinationRules, so that the sidecars of the callers limit
// and judge the connections they open. One per datastore and per internal
// service (a service or gateway another component uses), named after it.
// Datastores speak TCP protocols: they get the TCP pool only. Outlier
// detection ejects failing replicas, so it applies where there is more than
// one: services, and datastores run with several replicas.
//
// Rendered only when the cluster serves networking.istio.io/v1 DestinationRule;
// otherwise a notice says the mesh settings are not applied.
import type { ResolvedComponent } from "../api/defaults.ts";
import { childName } from "../api/names.ts";
import { isDatastoreType } from "../api/schema.ts";
import type { KubeObject } from "../kube/types.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { childMeta } from "./meta.ts";

export const DEFAULT_OUTLIER_DETECTION = {
  consecutive5xx: 5,
  interval: "10s",
  baseEjectionTime: "30s",
  maxEjectionPercent: 50,
};

/** Datastores, and services or gateways some component uses, by name. */
export function meshTargets(ctx: RenderContext): ResolvedComponent[] {
  const used = new Set(ctx.arch.components.flatMap((c) => c.uses));
  return ctx.arch.components
    .filter(
      (c) =>
        isDatastoreType(c.type) ||
        ((c.type === "service" || c.type === "gateway") && used.has(c.name)),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const renderDestinationRules: ConcernRenderer = (ctx) => {
  const mesh = ctx.arch.mesh;
  if (!mesh) return { objects: [] };
  const targets = meshTargets(ctx);
  if (targets.length === 0) return { objects: [] };
  if (!ctx.capabilities.istio)
    return {
      objects: [],
      notices: [
        {
          reason: "IstioMissing",
          message: `spec.mesh is not applied to ${targets.map((c) => c.name).join(", ")}: the cluster does not serve networking.istio.io/v1 DestinationRule (install Istio, or remove spec.mesh)`,
        },
      ],
    };
  // A rule with no traffic policy would change nothing: left out.
  const objects = targets
    .map((c) => destinationRule(ctx, c))
    .filter((o) => Object.keys((o.spec as { trafficPolicy: object }).trafficPolicy).length > 0);
  return { objects };
};

function destinationRule(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const mesh = ctx.arch.mesh ?? {};
  const datastore = isDatastoreType(c.type);
  const pool = mesh.connectionPool;
  const trafficPolicy: Record<string, unknown> = {};
  const connectionPool: Record<string, unknown> = {};
  if (pool?.maxConnections !== undefined)
    connectionPool.tcp = { maxConnections: pool.maxConnections };
  const http: Record<string, number> = {};
  if (!datastore && pool?.maxPendingRequests !== undefined)
    http.http1MaxPendingRequests = pool.maxPendingRequests;
  if (!datastore && pool?.maxRequestsPerConnection !== undefined)
    http.maxRequestsPerConnection = pool.maxRequestsPerConnection;
  if (Object.keys(http).length > 0) connectionPool.http = http;
  if (Object.keys(connectionPool).length > 0) trafficPolicy.connectionPool = connectionPool;
  if (!datastore || c.replicas > 1) {
    const od = { ...DEFAULT_OUTLIER_DETECTION, ...mesh.outlierDetection };
    trafficPolicy.outlierDetection = {
      consecutive5xxErrors: od.consecutive5xx,
      interval: od.interval,
      baseEjectionTime: od.baseEjectionTime,
      maxEjectionPercent: od.maxEjectionPercent,
    };
  }
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: childMeta(ctx, c.name),
    spec: {
      host: `${childName(ctx.arch.name, c.name)}.${ctx.arch.namespace}.svc.cluster.local`,
      trafficPolicy,
    },
  };
}

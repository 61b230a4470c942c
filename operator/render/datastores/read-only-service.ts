// The `-ro` Service of a primary/replica datastore (PostgreSQL, MySQL): every
// ready member. Readiness keeps a replica that stopped replicating out of it;
// the primary stays in so reads outlive the replicas. A Service over the
// replicas only would need a role label the pods do not carry (a failover
// would have to relabel them).
import type { ResolvedComponent } from "../../api/defaults.ts";
import { childName } from "../../api/names.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { RenderContext } from "../context.ts";
import { childMeta } from "../meta.ts";
import { readOnlyServiceName } from "./postgres-replication.ts";
import { METRICS_LABEL, METRICS_PORT_NAME, serverSelector } from "./statefulset.ts";

export function readOnlyService(
  ctx: RenderContext,
  c: ResolvedComponent,
  portName: string,
  port: number,
  metricsPort?: number,
): KubeObject {
  // It reaches every member, so Prometheus scrapes the members through it.
  const meta = childMeta(
    ctx,
    c.name,
    "ro",
    metricsPort !== undefined ? { [METRICS_LABEL]: "true" } : undefined,
  );
  const ports = [{ name: portName, port, targetPort: portName, protocol: "TCP" }];
  if (metricsPort !== undefined)
    ports.push({
      name: METRICS_PORT_NAME,
      port: metricsPort,
      targetPort: METRICS_PORT_NAME,
      protocol: "TCP",
    });
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { ...meta, name: readOnlyServiceName(ctx, c.name) },
    spec: { type: "ClusterIP", selector: serverSelector(ctx, c.name), ports },
  };
}

/** The Service Prometheus scrapes a datastore's members through (its `service` label). */
export function metricsServiceName(ctx: RenderContext, c: ResolvedComponent): string {
  return (c.type === "postgres" || c.type === "mysql") && c.replicas > 1
    ? readOnlyServiceName(ctx, c.name)
    : childName(ctx.arch.name, c.name);
}

// The `-ro` Service of a primary/replica datastore (PostgreSQL, MySQL): every
// ready member. Readiness keeps a replica that stopped replicating out of it;
// the primary stays in so reads outlive the replicas. A Service over the
// replicas only would need a role label the pods do not carry (a failover
// would have to relabel them).
import type { ResolvedComponent } from "../../api/defaults.ts";
import type { KubeObject } from "../../kube/types.ts";
import type { RenderContext } from "../context.ts";
import { childMeta } from "../meta.ts";
import { readOnlyServiceName } from "./postgres-replication.ts";
import { serverSelector } from "./statefulset.ts";

export function readOnlyService(
  ctx: RenderContext,
  c: ResolvedComponent,
  portName: string,
  port: number,
): KubeObject {
  const meta = childMeta(ctx, c.name, "ro");
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { ...meta, name: readOnlyServiceName(ctx, c.name) },
    spec: {
      type: "ClusterIP",
      selector: serverSelector(ctx, c.name),
      ports: [{ name: portName, port, targetPort: portName, protocol: "TCP" }],
    },
  };
}

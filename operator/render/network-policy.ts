// spec.networkPolicy: deny by default. Every pod archctl creates is selected by
// a NetworkPolicy (one per component, plus Milvus' etcd and MinIO), which lets
// in exactly the peers the Architecture declares and, unless
// networkPolicy.egress is false, lets out exactly what network-egress.ts lists.
//
// Ingress, by kind of component:
// - A datastore accepts: the components that `use` it (client port only); its
//   own pods (all ports: Kafka controller/replication, RabbitMQ clustering, and
//   Milvus' etcd and MinIO, which carry the milvus component's labels); its
//   backup Job (client port; pods labelled with the datastore's labels plus
//   archctl.io/role=backup); KEDA when a ScaledObject reads its queue (client
//   port); and Prometheus from any namespace on the metrics port only.
// - Milvus' etcd and MinIO are workloads of their own (instance label
//   `<arch>-<milvus>-etcd|minio`, as the datastore renderer labels them): each
//   accepts its own pods and the milvus component's pods, on all ports.
// - A replicated Redis' Sentinels accept each other and, on the Sentinel port,
//   the Redis component's users.
// - A service or gateway accepts the components that `use` it on its container
//   port, and, when the ingress routes to it, the namespace of the ingress
//   controller or Gateway proxies.
// - Workers, jobs and crons serve nothing: they accept no connection at all.
// The kubelet's probes come from the node and are not subject to these rules.
import type { ResolvedComponent } from "../api/defaults.ts";
import { DATASTORE_DEFAULTS, MILVUS_DEPENDENCIES } from "../api/defaults.ts";
import { ARCHITECTURE_LABEL, childName, selectorLabels } from "../api/names.ts";
import { isDatastoreType } from "../api/schema.ts";
import type { KubeObject } from "../kube/types.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { SENTINEL_PART, SENTINEL_PORT } from "./datastores/redis-sentinel-names.ts";
import { childMeta } from "./meta.ts";
import {
  appEgress,
  datastoreEgress,
  dnsRule,
  type EgressRule,
  milvusPartEgress,
  milvusPartSelector,
  sentinelSelector,
} from "./network-egress.ts";

export const BACKUP_ROLE_LABEL = "archctl.io/role";
export const BACKUP_ROLE = "backup";
/** Namespace of the KEDA operator, which connects to queues to read their length. */
export const KEDA_NAMESPACE = "keda";
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

type Rule = { from: Record<string, unknown>[]; ports?: { protocol: string; port: number }[] };

export const renderNetworkPolicies: ConcernRenderer = (ctx) => {
  if (!ctx.arch.networkPolicy.enabled) return { objects: [] };
  const egress = ctx.arch.networkPolicy.egress;
  const objects: KubeObject[] = [];
  const components = [...ctx.arch.components].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const c of components) {
    if (isDatastoreType(c.type)) {
      objects.push(
        policy(ctx, c, datastoreRules(ctx, c), egress ? datastoreEgress(ctx, c) : undefined),
      );
      if (c.type === "milvus") objects.push(...milvusParts(ctx, c, egress));
      if (c.type === "redis" && c.replicas > 1) objects.push(sentinelPolicy(ctx, c, egress));
    } else {
      const ingress = c.type === "service" || c.type === "gateway" ? servedRules(ctx, c) : [];
      objects.push(policy(ctx, c, ingress, egress ? appEgress(ctx, c) : undefined));
    }
  }
  return { objects };
};

function tcp(port: number): { protocol: string; port: number }[] {
  return [{ protocol: "TCP", port }];
}

function podsOf(
  ctx: RenderContext,
  component: string,
  extra?: Record<string, string>,
): Record<string, unknown> {
  return {
    podSelector: { matchLabels: { ...selectorLabels(ctx.arch.name, component), ...extra } },
  };
}

function namespaceNamed(name: string): Record<string, unknown> {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: name } } };
}

/** Components that list `target` in their uses, by name. */
function usersOf(ctx: RenderContext, target: string): string[] {
  return ctx.arch.components
    .filter((c) => c.uses.includes(target))
    .map((c) => c.name)
    .sort();
}

function datastoreRules(ctx: RenderContext, c: ResolvedComponent): Rule[] {
  const port = c.port ?? 0;
  const rules: Rule[] = [{ from: [podsOf(ctx, c.name)] }];
  // Redis' Sentinels watch and reconfigure its members.
  if (c.type === "redis" && c.replicas > 1)
    rules[0]?.from.push({
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/instance": childName(ctx.arch.name, c.name, SENTINEL_PART),
          [ARCHITECTURE_LABEL]: ctx.arch.name,
        },
      },
    });
  const users = usersOf(ctx, c.name);
  if (users.length > 0) rules.push({ from: users.map((u) => podsOf(ctx, u)), ports: tcp(port) });
  if (ctx.arch.backups.some((b) => b.component === c.name)) {
    rules.push({
      from: [podsOf(ctx, c.name, { [BACKUP_ROLE_LABEL]: BACKUP_ROLE })],
      ports: tcp(port),
    });
  }
  if (ctx.capabilities.keda && ctx.arch.autoscaling.some((a) => a.queue?.component === c.name)) {
    rules.push({ from: [namespaceNamed(KEDA_NAMESPACE)], ports: tcp(port) });
  }
  if (isDatastoreType(c.type)) {
    rules.push({
      from: [{ namespaceSelector: {} }],
      ports: tcp(DATASTORE_DEFAULTS[c.type].metricsPort),
    });
  }
  return rules;
}

/** A service or gateway: its users, and the edge when a route reaches it. */
function servedRules(ctx: RenderContext, c: ResolvedComponent): Rule[] {
  const port = c.port ?? 8080;
  const routed = ctx.arch.ingress?.hosts.some((h) => h.routes.some((r) => r.component === c.name));
  const from = [
    ...(routed ? [namespaceNamed(ctx.arch.networkPolicy.ingressNamespace)] : []),
    ...usersOf(ctx, c.name).map((u) => podsOf(ctx, u)),
  ];
  return from.length > 0 ? [{ from, ports: tcp(port) }] : [];
}

/** Milvus' own etcd and MinIO: only milvus (server and setup pods) and their own replicas. */
function milvusParts(ctx: RenderContext, c: ResolvedComponent, egress: boolean): KubeObject[] {
  return Object.keys(MILVUS_DEPENDENCIES)
    .sort()
    .map((part) => {
      const selector = milvusPartSelector(ctx, c.name, part);
      const rules: Rule[] = [
        { from: [{ podSelector: { matchLabels: selector } }, podsOf(ctx, c.name)] },
      ];
      return policy(ctx, c, rules, egress ? milvusPartEgress(selector) : undefined, part, selector);
    });
}

/**
 * A replicated Redis' Sentinels: they talk to each other and to the members,
 * and the Redis component's users ask them for the master on the Sentinel port.
 */
function sentinelPolicy(ctx: RenderContext, c: ResolvedComponent, egress: boolean): KubeObject {
  const selector = sentinelSelector(ctx, c.name);
  const self = { podSelector: { matchLabels: selector } };
  const rules: Rule[] = [{ from: [self] }];
  const users = usersOf(ctx, c.name);
  if (users.length > 0)
    rules.push({ from: users.map((u) => podsOf(ctx, u)), ports: tcp(SENTINEL_PORT) });
  const out: EgressRule[] = [
    dnsRule(),
    { to: [self] },
    { to: [podsOf(ctx, c.name)], ports: tcp(c.port ?? 0) },
  ];
  return policy(ctx, c, rules, egress ? out : undefined, SENTINEL_PART, selector);
}

function policy(
  ctx: RenderContext,
  c: ResolvedComponent,
  ingress: Rule[],
  egress: EgressRule[] | undefined,
  part?: string,
  podSelector: Record<string, string> = selectorLabels(ctx.arch.name, c.name),
): KubeObject {
  const extra = part
    ? { "app.kubernetes.io/instance": podSelector["app.kubernetes.io/instance"] as string }
    : undefined;
  // An empty ingress list under policyType Ingress denies every connection in.
  const spec: Record<string, unknown> = {
    podSelector: { matchLabels: podSelector },
    policyTypes: egress ? ["Ingress", "Egress"] : ["Ingress"],
    ingress,
  };
  if (egress) spec.egress = egress;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(ctx, c.name, part, extra),
    spec,
  };
}

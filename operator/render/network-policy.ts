// spec.networkPolicy: default-deny ingress for the pods that should not be open
// to the whole cluster, with exactly the peers that need them.
//
// - Each datastore accepts: the components that `use` it (client port only); its
//   own pods (all ports: Kafka controller/replication, RabbitMQ clustering, and
//   Milvus' etcd and MinIO, which carry the milvus component's labels); its
//   backup Job (client port; pods labelled with the datastore's labels plus
//   archctl.io/role=backup); KEDA when a ScaledObject reads its queue (client
//   port); and Prometheus from any namespace on the metrics port only.
// - Milvus' etcd and MinIO are workloads of their own (instance label
//   `<arch>-<milvus>-etcd|minio`, as the datastore renderer labels them): each
//   accepts its own pods and the milvus component's pods, on all ports.
// - Each service or gateway routed by the ingress accepts the ingress
//   controller's namespace and the components that `use` it, on its container
//   port. Services that nothing routes to stay open to the namespace as usual.
//
// Only ingress is restricted; egress stays open (DNS, external APIs).
import type { ResolvedComponent } from "../api/defaults.ts";
import { DATASTORE_DEFAULTS, MILVUS_DEPENDENCIES } from "../api/defaults.ts";
import { ARCHITECTURE_LABEL, childName, selectorLabels } from "../api/names.ts";
import { isDatastoreType } from "../api/schema.ts";
import type { ConcernRenderer, RenderContext } from "./context.ts";
import { SENTINEL_PART } from "./datastores/redis-sentinel-names.ts";
import { childMeta } from "./meta.ts";
import type { KubeObject } from "./types.ts";

export const BACKUP_ROLE_LABEL = "archctl.io/role";
export const BACKUP_ROLE = "backup";
/** Namespace of the KEDA operator, which connects to queues to read their length. */
export const KEDA_NAMESPACE = "keda";
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

type Rule = { from: Record<string, unknown>[]; ports?: { protocol: string; port: number }[] };

export const renderNetworkPolicies: ConcernRenderer = (ctx) => {
  if (!ctx.arch.networkPolicy.enabled) return { objects: [] };
  const objects: KubeObject[] = [];
  const routed = new Set(
    ctx.arch.ingress?.hosts.flatMap((h) => h.routes.map((r) => r.component)) ?? [],
  );
  const components = [...ctx.arch.components].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const c of components) {
    if (isDatastoreType(c.type)) {
      objects.push(policy(ctx, c, datastoreRules(ctx, c)));
      if (c.type === "milvus") objects.push(...milvusParts(ctx, c));
    } else if ((c.type === "service" || c.type === "gateway") && routed.has(c.name)) {
      objects.push(policy(ctx, c, routedRules(ctx, c)));
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

function routedRules(ctx: RenderContext, c: ResolvedComponent): Rule[] {
  const port = c.port ?? 8080;
  const from = [
    namespaceNamed(ctx.arch.networkPolicy.ingressNamespace),
    ...usersOf(ctx, c.name).map((u) => podsOf(ctx, u)),
  ];
  return [{ from, ports: tcp(port) }];
}

/** Milvus' own etcd and MinIO: only milvus (server and setup pods) and their own replicas. */
function milvusParts(ctx: RenderContext, c: ResolvedComponent): KubeObject[] {
  return Object.keys(MILVUS_DEPENDENCIES)
    .sort()
    .map((part) => {
      const selector = {
        "app.kubernetes.io/instance": childName(ctx.arch.name, c.name, part),
        [ARCHITECTURE_LABEL]: ctx.arch.name,
      };
      const rules: Rule[] = [
        { from: [{ podSelector: { matchLabels: selector } }, podsOf(ctx, c.name)] },
      ];
      return policy(ctx, c, rules, part, selector);
    });
}

function policy(
  ctx: RenderContext,
  c: ResolvedComponent,
  ingress: Rule[],
  part?: string,
  podSelector: Record<string, string> = selectorLabels(ctx.arch.name, c.name),
): KubeObject {
  const extra = part
    ? { "app.kubernetes.io/instance": podSelector["app.kubernetes.io/instance"] as string }
    : undefined;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(ctx, c.name, part, extra),
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: ["Ingress"],
      ingress,
    },
  };
}

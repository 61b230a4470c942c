// Egress rules of the Architecture's NetworkPolicies: where each pod may
// connect. DNS always (kube-system, port 53); an application component also
// the components it `uses`, on their ports, and the CIDRs it declares under
// `egress:`; a datastore its own pods (clustering, and its backup Job reaching
// it), Milvus also its etcd and MinIO, and a backup to S3 its endpoint's port.
// A replicated Redis' users also its Sentinels. Nothing else: a pod that opens any other connection is refused by the CNI.
import { MILVUS_DEPENDENCIES, type ResolvedComponent } from "../api/defaults.ts";
import { ARCHITECTURE_LABEL, childName, selectorLabels } from "../api/names.ts";
import type { RenderContext } from "./context.ts";
import { SENTINEL_PART, SENTINEL_PORT } from "./datastores/redis-sentinel-names.ts";

export type Port = { protocol: string; port: number };
export type EgressRule = { to: Record<string, unknown>[]; ports?: Port[] };

const DNS_NAMESPACE = "kube-system";
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** An S3 endpoint without a port is HTTPS. */
const S3_DEFAULT_PORT = 443;

/** Cluster DNS: both protocols, since large answers fall back to TCP. */
export function dnsRule(): EgressRule {
  return {
    to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: DNS_NAMESPACE } } }],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
}

function pods(ctx: RenderContext, component: string): Record<string, unknown> {
  return { podSelector: { matchLabels: selectorLabels(ctx.arch.name, component) } };
}

/** Milvus' etcd or MinIO, as the datastore renderer labels them. */
export function milvusPartSelector(ctx: RenderContext, milvus: string, part: string) {
  return {
    "app.kubernetes.io/instance": childName(ctx.arch.name, milvus, part),
    [ARCHITECTURE_LABEL]: ctx.arch.name,
  };
}

/** A replicated Redis' Sentinel pods, as the Redis renderer labels them. */
export function sentinelSelector(ctx: RenderContext, redis: string) {
  return {
    "app.kubernetes.io/instance": childName(ctx.arch.name, redis, SENTINEL_PART),
    [ARCHITECTURE_LABEL]: ctx.arch.name,
  };
}

/** An IP block: a single address becomes /32 (or /128), as the API requires a CIDR. */
function ipBlock(cidr: string): Record<string, unknown> {
  const full = cidr.includes("/") ? cidr : `${cidr}/${cidr.includes(":") ? 128 : 32}`;
  return { ipBlock: { cidr: full } };
}

/** The TCP port of an S3 endpoint URL, 443 when it names none or cannot be read. */
export function s3Port(endpoint: string | undefined): number {
  if (!endpoint) return S3_DEFAULT_PORT;
  try {
    const url = new URL(endpoint);
    if (url.port) return Number(url.port);
    return url.protocol === "http:" ? 80 : S3_DEFAULT_PORT;
  } catch {
    return S3_DEFAULT_PORT;
  }
}

export function appEgress(ctx: RenderContext, c: ResolvedComponent): EgressRule[] {
  const rules: EgressRule[] = [dnsRule()];
  for (const used of [...c.uses].sort()) {
    const target = ctx.component(used);
    if (!target) continue;
    const port = target.port ?? 0;
    rules.push({ to: [pods(ctx, used)], ports: [{ protocol: "TCP", port }] });
    // A replicated Redis is found through its Sentinels.
    if (target.type === "redis" && target.replicas > 1)
      rules.push({
        to: [{ podSelector: { matchLabels: sentinelSelector(ctx, used) } }],
        ports: [{ protocol: "TCP", port: SENTINEL_PORT }],
      });
  }
  for (const e of c.egress ?? []) {
    const rule: EgressRule = { to: [ipBlock(e.cidr)] };
    if (e.ports?.length) rule.ports = e.ports.map((port) => ({ protocol: "TCP", port }));
    rules.push(rule);
  }
  return rules;
}

export function datastoreEgress(ctx: RenderContext, c: ResolvedComponent): EgressRule[] {
  const rules: EgressRule[] = [dnsRule(), { to: [pods(ctx, c.name)] }];
  if (c.type === "milvus")
    for (const part of Object.keys(MILVUS_DEPENDENCIES).sort())
      rules.push({ to: [{ podSelector: { matchLabels: milvusPartSelector(ctx, c.name, part) } }] });
  // The backup Job's pods carry the datastore's labels, so this policy selects
  // them too; an upload to S3 leaves the cluster, to an address not known here.
  const s3 = ctx.arch.backups.find((b) => b.component === c.name)?.s3;
  if (s3)
    rules.push({
      to: [ipBlock("0.0.0.0/0"), ipBlock("::/0")],
      ports: [{ protocol: "TCP", port: s3Port(s3.endpoint) }],
    });
  return rules;
}

/** Milvus' etcd or MinIO: their own replicas, and nothing else but DNS. */
export function milvusPartEgress(selector: Record<string, string>): EgressRule[] {
  return [dnsRule(), { to: [{ podSelector: { matchLabels: selector } }] }];
}

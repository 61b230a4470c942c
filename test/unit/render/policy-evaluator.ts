// A networking.k8s.io/v1 NetworkPolicy evaluator for tests, over rendered
// objects in one namespace (NS). A pod selected by no policy of a direction
// allows everything in that direction; otherwise a connection is allowed when
// any rule of any selecting policy has a matching peer (podSelector in the
// policy's namespace, namespaceSelector, both, or an ipBlock) and a matching
// port (no ports = all). A connection between pods needs both the source's
// egress and the destination's ingress.
import { COMPONENT_LABEL } from "../../../operator/api/names.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";

export const NS = "team-a";
export type Labels = Record<string, string>;
export type Selector = {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
};
export type Peer = {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
};
type PortRule = { protocol?: string; port?: number | string };
type InRule = { from?: Peer[]; ports?: PortRule[] };
type OutRule = { to?: Peer[]; ports?: PortRule[] };
export type Policy = KubeObject & {
  spec: { podSelector: Selector; policyTypes?: string[]; ingress?: InRule[]; egress?: OutRule[] };
};
export type Pod = { workload: string; component: string; labels: Labels; ports: number[] };
/** Where a connection goes: a pod in NS, a pod in another namespace, or an address outside. */
export type Endpoint = { pod: Pod } | { namespace: Labels; labels: Labels } | { ip: string };

const has = (labels: Labels, key: string) => Object.hasOwn(labels, key);

export function matches(sel: Selector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const present = has(labels, e.key);
    const v = labels[e.key];
    if (e.operator === "In" && !(present && e.values?.includes(v as string))) return false;
    if (e.operator === "NotIn" && present && e.values?.includes(v as string)) return false;
    if (e.operator === "Exists" && !present) return false;
    if (e.operator === "DoesNotExist" && present) return false;
  }
  return true;
}

/** Pods of every rendered workload (pod template labels), by component. */
export function podsOf(objects: KubeObject[]): Pod[] {
  const out: Pod[] = [];
  for (const o of objects) {
    const spec = o.spec as Record<string, unknown> | undefined;
    let template: { metadata?: { labels?: Labels }; spec?: { containers?: unknown[] } } | undefined;
    if (["Deployment", "StatefulSet", "Job"].includes(o.kind))
      template = spec?.template as typeof template;
    else if (o.kind === "CronJob")
      template = (spec?.jobTemplate as { spec?: { template?: typeof template } })?.spec?.template;
    if (!template) continue;
    const labels = template.metadata?.labels ?? {};
    const ports = (
      (template.spec?.containers ?? []) as { ports?: { containerPort: number }[] }[]
    ).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
    out.push({
      workload: `${o.kind}/${o.metadata.name}`,
      component: o.metadata.labels?.[COMPONENT_LABEL] ?? "",
      labels,
      ports,
    });
  }
  return out;
}

function ipv4(ip: string): number | undefined {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    return undefined;
  return parts.reduce((a, b) => a * 256 + b, 0);
}

/** IPv4 only (the tests use IPv4 addresses); an IPv6 block never holds an IPv4 address. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const a = ipv4(ip);
  const b = ipv4(base ?? "");
  if (a === undefined || b === undefined) return false;
  const n = Number(bits ?? 32);
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size);
}

function peerMatches(peer: Peer, at: Endpoint): boolean {
  if (peer.ipBlock) return "ip" in at && inCidr(at.ip, peer.ipBlock.cidr);
  if ("ip" in at) return false;
  const nsLabels = "pod" in at ? { "kubernetes.io/metadata.name": NS } : at.namespace;
  const labels = "pod" in at ? at.pod.labels : at.labels;
  // No namespaceSelector: the policy's own namespace (NS).
  const nsOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector, nsLabels)
    : nsLabels["kubernetes.io/metadata.name"] === NS;
  const podOk = peer.podSelector ? matches(peer.podSelector, labels) : true;
  return nsOk && podOk;
}

function portOk(rules: PortRule[] | undefined, protocol: string, port: number): boolean {
  return (
    !rules ||
    rules.length === 0 ||
    rules.some(
      (r) => (r.protocol ?? "TCP") === protocol && (r.port === undefined || r.port === port),
    )
  );
}

function selecting(policies: Policy[], pod: Pod, type: "Ingress" | "Egress"): Policy[] {
  return policies.filter(
    (p) =>
      (p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"])).includes(
        type,
      ) && matches(p.spec.podSelector, pod.labels),
  );
}

export function isolatedIn(policies: Policy[], pod: Pod): boolean {
  return selecting(policies, pod, "Ingress").length > 0;
}
export function isolatedOut(policies: Policy[], pod: Pod): boolean {
  return selecting(policies, pod, "Egress").length > 0;
}

/** May a pod in NS accept a TCP connection on `port` from `src`? (ingress side only) */
export function allowed(policies: Policy[], src: Pod, dst: Pod, port: number): boolean {
  const sel = selecting(policies, dst, "Ingress");
  if (sel.length === 0) return true;
  return sel.some((p) =>
    (p.spec.ingress ?? []).some(
      (rule) =>
        (!rule.from ||
          rule.from.length === 0 ||
          rule.from.some((peer) => peerMatches(peer, { pod: src }))) &&
        portOk(rule.ports, "TCP", port),
    ),
  );
}

/** May `src` open a connection to `dst` on `port`? (egress side only) */
export function allowedOut(
  policies: Policy[],
  src: Pod,
  dst: Endpoint,
  port: number,
  protocol = "TCP",
): boolean {
  const sel = selecting(policies, src, "Egress");
  if (sel.length === 0) return true;
  return sel.some((p) =>
    (p.spec.egress ?? []).some(
      (rule) =>
        (!rule.to || rule.to.length === 0 || rule.to.some((peer) => peerMatches(peer, dst))) &&
        portOk(rule.ports, protocol, port),
    ),
  );
}

/** Both sides: may `src` reach pod `dst` on `port`? */
export function connects(policies: Policy[], src: Pod, dst: Pod, port: number): boolean {
  return allowedOut(policies, src, { pod: dst }, port) && allowed(policies, src, dst, port);
}

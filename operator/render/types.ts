// The shapes the renderer produces. Kept minimal on purpose: a rendered object is
// plain JSON, ready for server-side apply, and its exact shape is pinned by the
// golden files rather than by a copy of the Kubernetes types.
import type { GenerateSpec } from "../api/schema.ts";

import type { KubeObject } from "../kube/types.ts";

/** What the cluster offers that some objects depend on (discovered by the operator). */
export interface Capabilities {
  /** KEDA's ScaledObject CRD exists: queue-length scaling is possible. */
  keda: boolean;
  /** The Prometheus Operator's ServiceMonitor CRD exists. */
  serviceMonitors: boolean;
  // The integrations below were added later; absent means not served, so the
  // many `{ keda, serviceMonitors }` literals keep their meaning.
  /** Gateway API (HTTPRoute, ReferenceGrant) is served. */
  gatewayApi?: boolean;
  /** Envoy Gateway's policies (BackendTrafficPolicy) are served. */
  envoyGateway?: boolean;
  /** cert-manager's Certificate is served. */
  certManager?: boolean;
  /** Istio's DestinationRule is served. */
  istio?: boolean;
  /** The External Secrets Operator's ExternalSecret CRD exists (absent: not installed). */
  externalSecrets?: boolean;
}

export type CapabilityName = keyof Capabilities;
export const CAPABILITY_NAMES: readonly CapabilityName[] = [
  "keda",
  "serviceMonitors",
  "gatewayApi",
  "envoyGateway",
  "certManager",
  "istio",
  "externalSecrets",
];

export const ALL_CAPABILITIES: Capabilities = {
  keda: true,
  serviceMonitors: true,
  gatewayApi: true,
  envoyGateway: true,
  certManager: true,
  istio: true,
  externalSecrets: true,
};

/** Every capability false: a cluster with none of the optional integrations. */
export function noCapabilities(): Capabilities {
  return { keda: false, serviceMonitors: false };
}

/**
 * A Secret the operator creates once and never rewrites. The renderer says which
 * keys it holds and how each is made; the operator draws the random values.
 */
export interface SecretSpec {
  name: string;
  component: string;
  /** The component type whose credentials these are (mysql, postgres, ...). */
  engine: string;
  labels: Record<string, string>;
  /** key -> how to make the value; templates may name other keys as ${key}. */
  keys: Record<string, SecretKeySource>;
}

export type SecretKeySource =
  | { literal: string }
  | { random: number }
  | { template: string }
  /** An application secret: bytes in an encoding, or a password of a charset. */
  | { generate: GenerateSpec };

/** Something the renderer could not honour on this cluster, for a status condition. */
export interface RenderNotice {
  component?: string;
  reason: string;
  message: string;
}

export interface RenderResult {
  objects: KubeObject[];
  secrets: SecretSpec[];
  notices: RenderNotice[];
}

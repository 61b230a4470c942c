// NetworkPolicies that isolate the Architecture's pods, in and out.
import { z } from "zod";
import { port, shortString } from "./primitives.ts";

export const NetworkPolicySchema = z.strictObject({
  enabled: z
    .boolean()
    .optional()
    .describe(
      "deny by default: each pod accepts only the peers the Architecture declares (default true)",
    ),
  egress: z
    .boolean()
    .optional()
    .describe(
      "also restrict egress to DNS, the components a pod uses and its declared egress (default true; false for CNIs that cannot enforce egress)",
    ),
  ingressNamespace: shortString
    .optional()
    .describe(
      "namespace of the ingress controller or Gateway proxies (default ingress-nginx, or envoy-gateway-system for provider gateway)",
    ),
});

/** Where a component may connect outside the Architecture. */
export const EgressRuleSchema = z.strictObject({
  cidr: z
    .string()
    .min(1)
    .max(64)
    .describe("IP block, e.g. 203.0.113.0/24 (NetworkPolicies match addresses, not host names)"),
  ports: z.array(port).max(16).optional().describe("TCP ports (default all)"),
});

export type EgressRule = z.infer<typeof EgressRuleSchema>;

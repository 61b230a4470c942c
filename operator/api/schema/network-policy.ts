// NetworkPolicies that isolate the Architecture's pods.
import { z } from "zod";
import { shortString } from "./primitives.ts";

export const NetworkPolicySchema = z.strictObject({
  enabled: z
    .boolean()
    .optional()
    .describe("isolate datastores: only components that use one may reach it (default true)"),
  ingressNamespace: shortString
    .optional()
    .describe("namespace of the ingress controller (default ingress-nginx)"),
});

// The Architecture's edge: hosts, routes, TLS and per-client rate limits.
import { z } from "zod";
import { dnsLabel, shortString, stringMap } from "./primitives.ts";

export const RateLimitSchema = z
  .strictObject({
    rps: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe("requests per second per client IP"),
    rpm: z
      .number()
      .int()
      .min(1)
      .max(60_000_000)
      .optional()
      .describe("requests per minute per client IP"),
    connections: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe("concurrent connections per client IP"),
    burstMultiplier: z.number().int().min(1).max(100).optional(),
    whitelist: z
      .array(z.string().max(64))
      .max(64)
      .optional()
      .describe("CIDRs exempt from the limits"),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "has(self.rps) || has(self.rpm) || has(self.connections)",
        message: "a rate limit needs at least one of rps, rpm or connections",
      },
    ],
  });

export const IngressRouteSchema = z.strictObject({
  path: z.string().max(256).regex(/^\//, "must start with /"),
  component: dnsLabel(40),
});

export const IngressHostSchema = z.strictObject({
  host: z
    .string()
    .max(253)
    .regex(
      /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
      "must be a DNS host name",
    ),
  routes: z.array(IngressRouteSchema).min(1).max(32),
});

export const IngressSchema = z.strictObject({
  className: shortString.optional().describe("IngressClass (default nginx)"),
  hosts: z.array(IngressHostSchema).min(1).max(16),
  tls: z
    .strictObject({
      secretName: dnsLabel(253)
        .optional()
        .describe("existing TLS Secret; default <architecture>-tls"),
      clusterIssuer: shortString
        .optional()
        .describe("cert-manager ClusterIssuer that fills the Secret"),
    })
    .optional(),
  rateLimit: RateLimitSchema.optional(),
  annotations: stringMap.optional().describe("extra ingress annotations"),
});

export type Ingress = z.infer<typeof IngressSchema>;
export type RateLimit = z.infer<typeof RateLimitSchema>;

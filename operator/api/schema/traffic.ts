// Traffic at the edge beyond routing: which implementation carries it (ingress-nginx
// or Gateway API), the shared Gateway routes attach to, and the resilience knobs
// (circuit breaking, passive health checks, retries, timeouts).
import { z } from "zod";
import { dnsLabel } from "./primitives.ts";

/** Gateway API's Duration (GEP-2257): what HTTPRoute and Envoy Gateway accept. */
export const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const gatewayDuration = z
  .string()
  .max(32)
  .regex(GATEWAY_DURATION, "must be a duration such as 500ms, 15s, 2m or 1h");

/** At most this many rules in one HTTPRoute (Gateway API's own bound). */
export const MAX_ROUTE_RULES = 16;

export const INGRESS_PROVIDERS = ["nginx", "gateway"] as const;
export type IngressProvider = (typeof INGRESS_PROVIDERS)[number];

export const GatewayRefSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Kubernetes object name")
      .describe("the shared Gateway the routes attach to (archctl does not own it)"),
    namespace: dnsLabel(63).optional().describe("its namespace (default: the Architecture's)"),
    sectionName: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a listener name")
      .optional()
      .describe("the listener to attach to (default: every listener that accepts the route)"),
  })
  .describe("for provider gateway: the Gateway the HTTPRoutes attach to");

const count = (max: number) => z.number().int().min(1).max(max);

export const OutlierDetectionSchema = z
  .strictObject({
    consecutive5xx: count(1000).optional().describe("5xx answers in a row that eject a replica"),
    interval: gatewayDuration.optional().describe("how often replicas are judged (default 3s)"),
    baseEjectionTime: gatewayDuration.optional().describe("first ejection time (default 30s)"),
    maxEjectionPercent: count(100).optional().describe("most replicas ejected at once, percent"),
  })
  .describe("passive health checks: replicas that fail are taken out of rotation for a while");

export const CircuitBreakerSchema = z
  .strictObject({
    maxConnections: count(1_000_000).optional().describe("connections to the backend at most"),
    maxPendingRequests: count(1_000_000).optional().describe("requests waiting for a connection"),
    maxParallelRequests: count(1_000_000).optional().describe("requests in flight at once"),
    outlierDetection: OutlierDetectionSchema.optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "has(self.maxConnections) || has(self.maxPendingRequests) || has(self.maxParallelRequests) || has(self.outlierDetection)",
        message: "a circuit breaker needs at least one limit or outlierDetection",
      },
    ],
  })
  .describe("limits on what reaches the backends; past them the edge answers 503 at once");

export const RETRY_TRIGGERS = [
  "5xx",
  "gateway-error",
  "reset",
  "connect-failure",
  "retriable-4xx",
] as const;

export const RetrySchema = z.strictObject({
  attempts: z.number().int().min(0).max(10).describe("retries after the first try"),
  // Not `on`: YAML 1.1 readers (kubectl, Helm, Argo CD) read an unquoted `on`
  // key as the boolean true.
  retryOn: z
    .array(z.enum(RETRY_TRIGGERS))
    .max(5)
    .optional()
    .describe("what is retried (default connect-failure, reset, gateway-error)"),
  perTryTimeout: gatewayDuration.optional(),
  budgetPercent: count(100)
    .optional()
    .describe("retries may be at most this share of active requests (default 20)"),
});

export const TimeoutsSchema = z.strictObject({
  request: gatewayDuration.optional().describe("a whole request, retries included"),
  idle: gatewayDuration.optional().describe("a connection to a backend with no traffic"),
});

export type GatewayRef = z.infer<typeof GatewayRefSchema>;
export type CircuitBreaker = z.infer<typeof CircuitBreakerSchema>;
export type Retry = z.infer<typeof RetrySchema>;
export type Timeouts = z.infer<typeof TimeoutsSchema>;

// Service-to-service resilience where a service mesh (Istio) runs: connection
// pools and outlier detection for datastores and internal services.
import { z } from "zod";
import { OutlierDetectionSchema } from "./traffic.ts";

const count = (max: number) => z.number().int().min(1).max(max);

export const MeshSchema = z
  .strictObject({
    connectionPool: z
      .strictObject({
        maxConnections: count(1_000_000).optional().describe("TCP connections to one service"),
        maxPendingRequests: count(1_000_000)
          .optional()
          .describe("HTTP requests waiting for a connection (services only)"),
        maxRequestsPerConnection: count(1_000_000)
          .optional()
          .describe("HTTP requests before a connection is recycled (services only)"),
      })
      .optional(),
    outlierDetection: OutlierDetectionSchema.optional().describe(
      "replicas that fail are ejected (default 5 errors in a row, 10s interval, 30s, 50%)",
    ),
  })
  .describe(
    "with Istio: a DestinationRule per datastore and per internal service (one another component uses)",
  );

export type Mesh = z.infer<typeof MeshSchema>;

// Prometheus Operator ServiceMonitors and the Grafana dashboard.
import { z } from "zod";
import { duration, shortString } from "./primitives.ts";

export const MonitoringSchema = z.strictObject({
  serviceMonitors: z
    .boolean()
    .optional()
    .describe("create Prometheus Operator ServiceMonitors (default true)"),
  release: shortString
    .optional()
    .describe("value of the 'release' label Prometheus selects on (default kube-prometheus-stack)"),
  interval: duration.optional(),
  dashboard: z.boolean().optional().describe("create a Grafana dashboard ConfigMap (default true)"),
});

export type Monitoring = z.infer<typeof MonitoringSchema>;

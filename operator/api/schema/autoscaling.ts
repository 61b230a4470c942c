// Horizontal scaling of application components, on CPU, memory or queue length.
import { z } from "zod";
import { dnsLabel } from "./primitives.ts";

export const QueueScalingSchema = z.strictObject({
  component: dnsLabel(40).describe("the redis, rabbitmq or kafka component holding the queue"),
  name: z.string().min(1).max(255).describe("Redis list key, RabbitMQ queue or Kafka topic"),
  consumerGroup: z.string().max(255).optional().describe("Kafka consumer group"),
  targetLength: z.number().int().min(1).max(1_000_000).describe("pending items per replica"),
});

export const AutoscalingSchema = z
  .strictObject({
    component: dnsLabel(40),
    minReplicas: z.number().int().min(0).max(1000),
    maxReplicas: z.number().int().min(1).max(1000),
    targetCPUUtilization: z.number().int().min(1).max(100).optional(),
    targetMemoryUtilization: z.number().int().min(1).max(100).optional(),
    queue: QueueScalingSchema.optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "self.minReplicas <= self.maxReplicas",
        message: "minReplicas must not exceed maxReplicas",
      },
    ],
  });

export type Autoscaling = z.infer<typeof AutoscalingSchema>;

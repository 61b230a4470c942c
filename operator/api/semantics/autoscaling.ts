// Autoscaling: one entry a scalable component, with a queue on a queue datastore.

import type { Architecture } from "../schema.ts";
import { isDatastoreType } from "../schema.ts";
import { error, type Issue, type SpecIndex, unknownComponentHint, warning } from "./issue.ts";

const QUEUE_TYPES = new Set(["redis", "rabbitmq", "kafka"]);
const SCALABLE_TYPES = new Set(["service", "gateway", "worker"]);

export function checkAutoscaling(arch: Architecture, index: SpecIndex): Issue[] {
  const issues: Issue[] = [];
  const { spec } = arch;
  const { byName, names } = index;
  const scaled = new Set<string>();
  for (const [i, a] of (spec.autoscaling ?? []).entries()) {
    const at = ["spec", "autoscaling", i];
    const c = byName.get(a.component);
    if (!c) {
      issues.push(
        error(
          [...at, "component"],
          `autoscaling names '${a.component}', which is not a component`,
          unknownComponentHint(a.component, names),
        ),
      );
      continue;
    }
    if (c.replicas !== undefined && SCALABLE_TYPES.has(c.type)) {
      const ci = spec.components.indexOf(c);
      issues.push(
        warning(
          ["spec", "components", ci, "replicas"],
          `replicas ${c.replicas} of '${c.name}' is ignored: autoscaling keeps it between ${a.minReplicas} and ${a.maxReplicas}`,
          "remove replicas, or change minReplicas/maxReplicas",
        ),
      );
    }
    if (!SCALABLE_TYPES.has(c.type))
      issues.push(
        error(
          [...at, "component"],
          `'${a.component}' is a ${c.type}; only service, gateway and worker components autoscale`,
          isDatastoreType(c.type)
            ? "scale a datastore with its replicas field"
            : "remove this autoscaling entry",
        ),
      );
    if (c.singleton)
      issues.push(
        error(
          [...at, "component"],
          `'${a.component}' is a singleton and cannot autoscale`,
          "remove singleton or this autoscaling entry",
        ),
      );
    if (scaled.has(a.component))
      issues.push(
        error(
          [...at, "component"],
          `'${a.component}' has more than one autoscaling entry`,
          "merge them into one",
        ),
      );
    scaled.add(a.component);
    if (a.minReplicas > a.maxReplicas)
      issues.push(
        error(
          [...at, "minReplicas"],
          `minReplicas ${a.minReplicas} is more than maxReplicas ${a.maxReplicas}`,
          "lower minReplicas or raise maxReplicas",
        ),
      );
    if (a.minReplicas === 0 && !a.queue)
      issues.push(
        error(
          [...at, "minReplicas"],
          "scaling to zero needs a queue trigger",
          "set minReplicas: 1 or add queue",
        ),
      );
    if (
      a.targetCPUUtilization === undefined &&
      a.targetMemoryUtilization === undefined &&
      !a.queue
    ) {
      issues.push(
        error(
          at,
          `autoscaling of '${a.component}' has no target`,
          "add targetCPUUtilization, targetMemoryUtilization or queue",
        ),
      );
    }
    if (a.queue) {
      const q = byName.get(a.queue.component);
      if (!q)
        issues.push(
          error(
            [...at, "queue", "component"],
            `queue component '${a.queue.component}' is not a component`,
            unknownComponentHint(a.queue.component, names),
          ),
        );
      else if (!QUEUE_TYPES.has(q.type))
        issues.push(
          error(
            [...at, "queue", "component"],
            `'${a.queue.component}' is a ${q.type}; queue scaling reads redis, rabbitmq or kafka`,
            "name a redis, rabbitmq or kafka component",
          ),
        );
      else {
        if (q.type === "kafka" && !a.queue.consumerGroup)
          issues.push(
            error(
              [...at, "queue", "consumerGroup"],
              "Kafka lag scaling needs the consumer group",
              "add consumerGroup: <group of the workers>",
            ),
          );
        if (!(c.uses ?? []).includes(q.name))
          issues.push(
            warning(
              [...at, "queue"],
              `'${a.component}' scales on '${q.name}' but does not use it`,
              `add '${q.name}' to uses of '${a.component}'`,
            ),
          );
      }
    }
  }
  return issues;
}

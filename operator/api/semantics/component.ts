// One component on its own: fields that fit its type, env names, uses, replicas.

import { cronError } from "../cron.ts";
import type { Component } from "../schema.ts";
import { isAppType, isDatastoreType } from "../schema.ts";
import { error, type Issue, unknownComponentHint } from "./issue.ts";

// Names the renderer uses for objects of the Architecture as a whole.
const RESERVED_NAMES = new Set(["dashboard", "ingress"]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkComponent(
  c: Component,
  i: number,
  byName: Map<string, Component>,
  names: string[],
  issues: Issue[],
): void {
  const at = ["spec", "components", i];
  const app = isAppType(c.type);
  if (app && !c.image)
    issues.push(
      error(
        [...at, "image"],
        `${c.type} component '${c.name}' needs an image`,
        "add image: registry/name:tag",
      ),
    );
  if (c.type === "cron" && !c.schedule)
    issues.push(
      error(
        [...at, "schedule"],
        `cron component '${c.name}' needs a schedule`,
        "add schedule: '*/5 * * * *'",
      ),
    );
  if (c.type !== "cron" && c.schedule !== undefined)
    issues.push(
      error(
        [...at, "schedule"],
        `schedule is only for cron components, '${c.name}' is a ${c.type}`,
        "remove schedule or set type: cron",
      ),
    );
  if (c.schedule !== undefined) {
    const err = cronError(c.schedule);
    if (err)
      issues.push(
        error(
          [...at, "schedule"],
          `invalid cron schedule '${c.schedule}': ${err}`,
          "use five fields, e.g. '0 3 * * *' for 03:00 daily",
        ),
      );
  }
  if (!isDatastoreType(c.type)) {
    for (const field of ["storage", "settings", "version"] as const) {
      if (c[field] !== undefined)
        issues.push(
          error(
            [...at, field],
            `${field} is only for datastore components, '${c.name}' is a ${c.type}`,
            `remove ${field}`,
          ),
        );
    }
  } else {
    for (const field of [
      "uses",
      "gpu",
      "healthPath",
      "singleton",
      "port",
      "command",
      "args",
    ] as const) {
      if (c[field] !== undefined)
        issues.push(
          error(
            [...at, field],
            `${field} is not available on datastore components ('${c.name}' is a ${c.type})`,
            `remove ${field}`,
          ),
        );
    }
  }
  if (c.exchanges && c.type !== "rabbitmq")
    issues.push(
      error([...at, "exchanges"], "exchanges are only for rabbitmq components", "remove exchanges"),
    );
  if (c.topics && c.type !== "kafka")
    issues.push(error([...at, "topics"], "topics are only for kafka components", "remove topics"));
  if (c.port !== undefined && c.type !== "service" && c.type !== "gateway")
    issues.push(
      error(
        [...at, "port"],
        `port is only for service and gateway components, '${c.name}' is a ${c.type}`,
        "remove port",
      ),
    );
  if (c.singleton && c.replicas !== undefined && c.replicas !== 1)
    issues.push(
      error(
        [...at, "replicas"],
        `singleton '${c.name}' must have exactly one replica, not ${c.replicas}`,
        "remove replicas or singleton",
      ),
    );
  if (RESERVED_NAMES.has(c.name))
    issues.push(
      error(
        [...at, "name"],
        `'${c.name}' is reserved: archctl names the Architecture's own ${c.name} objects so`,
        "choose another component name",
      ),
    );
  if (c.type === "milvus" && c.replicas !== undefined && c.replicas !== 1)
    issues.push(
      error(
        [...at, "replicas"],
        "milvus runs standalone (one server with its own etcd and MinIO): cluster mode would take separate query, data and index nodes, a message log (Pulsar or Kafka) and replicated etcd and MinIO, which archctl does not manage",
        "remove replicas",
      ),
    );
  for (const key of Object.keys(c.env ?? {})) {
    if (!ENV_NAME.test(key))
      issues.push(
        error(
          [...at, "env", key],
          `'${key}' is not a valid environment variable name`,
          "use letters, digits and _; do not start with a digit",
        ),
      );
  }
  for (const [j, used] of (c.uses ?? []).entries()) {
    const target = byName.get(used);
    if (!target)
      issues.push(
        error(
          [...at, "uses", j],
          `'${c.name}' uses '${used}', which is not a component of this Architecture`,
          unknownComponentHint(used, names),
        ),
      );
    else if (used === c.name)
      issues.push(error([...at, "uses", j], `'${c.name}' uses itself`, "remove it from uses"));
  }
  const seen = new Set<string>();
  for (const [j, used] of (c.uses ?? []).entries()) {
    if (seen.has(used))
      issues.push(
        error([...at, "uses", j], `'${used}' is listed twice in uses`, "list each component once"),
      );
    seen.add(used);
  }
  const topics = new Set<string>();
  for (const [j, t] of (c.topics ?? []).entries()) {
    if (topics.has(t.name))
      issues.push(
        error(
          [...at, "topics", j, "name"],
          `topic '${t.name}' is declared twice`,
          "declare each topic once",
        ),
      );
    topics.add(t.name);
    if (t.replicationFactor !== undefined && t.replicationFactor > (c.replicas ?? 1)) {
      issues.push(
        error(
          [...at, "topics", j, "replicationFactor"],
          `replicationFactor ${t.replicationFactor} exceeds the ${c.replicas ?? 1} Kafka broker(s)`,
          "raise replicas or lower replicationFactor",
        ),
      );
    }
  }
}

/** Checks what the schema cannot; assumes the input already passed the schema. */

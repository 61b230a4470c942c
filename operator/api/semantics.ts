// Rules the schema cannot say: references between parts of a spec, cron syntax,
// name lengths. Each problem names the path it is about and how to fix it.
import { cronError } from "./cron.ts";
import { derivedNames, namesWithLimits } from "./names.ts";
import type { Architecture, Component } from "./schema.ts";
import { isAppType, isDatastoreType } from "./schema.ts";

export type IssuePath = (string | number)[];

export interface Issue {
  path: IssuePath;
  message: string;
  hint?: string;
  severity: "error" | "warning";
}

const QUEUE_TYPES = new Set(["redis", "rabbitmq", "kafka"]);
const BACKUP_TYPES = new Set(["mysql", "postgres", "mongodb", "redis"]);
const SCALABLE_TYPES = new Set(["service", "gateway", "worker"]);
// Names the renderer uses for objects of the Architecture as a whole.
const RESERVED_NAMES = new Set(["dashboard", "ingress"]);
// Datastores whose replication archctl does not manage (kafka and rabbitmq cluster themselves).
const SINGLE_INSTANCE = new Set(["mysql", "postgres", "mongodb", "redis"]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CIDR =
  /^([0-9]{1,3}\.){3}[0-9]{1,3}(\/([0-9]|[12][0-9]|3[0-2]))?$|^[0-9a-fA-F:]+(\/[0-9]{1,3})?$/;

function error(path: IssuePath, message: string, hint?: string): Issue {
  return hint ? { path, message, hint, severity: "error" } : { path, message, severity: "error" };
}
function warning(path: IssuePath, message: string, hint?: string): Issue {
  return hint
    ? { path, message, hint, severity: "warning" }
    : { path, message, severity: "warning" };
}

function closest(name: string, candidates: string[]): string | undefined {
  // A cheap "did you mean": same first letter, or one a prefix of the other.
  return (
    candidates.find((c) => c.startsWith(name) || name.startsWith(c)) ??
    candidates.find((c) => c[0] === name[0])
  );
}

function unknownComponentHint(name: string, known: string[]): string {
  const guess = closest(name, known);
  return guess
    ? `did you mean '${guess}'? components are: ${known.join(", ")}`
    : `components are: ${known.join(", ")}`;
}

function checkComponent(
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
  if (SINGLE_INSTANCE.has(c.type) && c.replicas !== undefined && c.replicas > 1) {
    issues.push(
      error(
        [...at, "replicas"],
        `${c.type} runs as a single instance: ${c.replicas} replicas would be independent servers behind one Service, not a replicated cluster`,
        "set replicas: 1 (archctl does not manage replication for this datastore yet)",
      ),
    );
  }
  if (c.type === "milvus" && c.replicas !== undefined && c.replicas !== 1)
    issues.push(
      error(
        [...at, "replicas"],
        "milvus runs in standalone mode with one replica",
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
export function checkSemantics(arch: Architecture): Issue[] {
  const issues: Issue[] = [];
  const { spec } = arch;
  const byName = new Map<string, Component>();
  const names = spec.components.map((c) => c.name);

  for (const [i, c] of spec.components.entries()) {
    if (byName.has(c.name))
      issues.push(
        error(
          ["spec", "components", i, "name"],
          `two components are named '${c.name}'`,
          "give each component a unique name",
        ),
      );
    else byName.set(c.name, c);
  }
  for (const [i, c] of spec.components.entries()) checkComponent(c, i, byName, names, issues);

  // GPU pools
  const pools = new Set((spec.gpuPools ?? []).map((p) => p.name));
  for (const [i, p] of (spec.gpuPools ?? []).entries()) {
    if ((spec.gpuPools ?? []).findIndex((q) => q.name === p.name) !== i)
      issues.push(
        error(
          ["spec", "gpuPools", i, "name"],
          `two GPU pools are named '${p.name}'`,
          "give each pool a unique name",
        ),
      );
  }
  const usedPools = new Set<string>();
  for (const [i, c] of spec.components.entries()) {
    if (!c.gpu) continue;
    usedPools.add(c.gpu.pool);
    if (!pools.has(c.gpu.pool)) {
      const defined = [...pools];
      issues.push(
        error(
          ["spec", "components", i, "gpu", "pool"],
          `GPU pool '${c.gpu.pool}' is not defined`,
          defined.length
            ? `define it under spec.gpuPools or use one of: ${defined.join(", ")}`
            : `add spec.gpuPools: [{name: ${c.gpu.pool}}]`,
        ),
      );
    }
    if (c.type === "gateway" || isDatastoreType(c.type))
      issues.push(
        error(
          ["spec", "components", i, "gpu"],
          `${c.type} components cannot request GPUs`,
          "move the GPU work to a worker, service or job",
        ),
      );
  }
  for (const [i, p] of (spec.gpuPools ?? []).entries()) {
    if (!usedPools.has(p.name))
      issues.push(
        warning(
          ["spec", "gpuPools", i],
          `GPU pool '${p.name}' is not used by any component`,
          "remove it or add gpu: {pool: ...} to a component",
        ),
      );
  }

  // Autoscaling
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

  // Ingress
  if (spec.ingress) {
    const routes = new Set<string>();
    for (const [h, host] of spec.ingress.hosts.entries()) {
      for (const [r, route] of host.routes.entries()) {
        const at = ["spec", "ingress", "hosts", h, "routes", r];
        const c = byName.get(route.component);
        if (!c)
          issues.push(
            error(
              [...at, "component"],
              `route ${host.host}${route.path} goes to '${route.component}', which is not a component`,
              unknownComponentHint(route.component, names),
            ),
          );
        else if (c.type !== "service" && c.type !== "gateway")
          issues.push(
            error(
              [...at, "component"],
              `route ${host.host}${route.path} goes to '${route.component}', a ${c.type}; only services and gateways take traffic`,
              "route to a service or gateway",
            ),
          );
        const key = `${host.host}${route.path}`;
        if (routes.has(key))
          issues.push(
            error(
              [...at, "path"],
              `route ${key} is declared twice`,
              "keep one route per host and path",
            ),
          );
        routes.add(key);
      }
    }
    for (const [i, cidr] of (spec.ingress.rateLimit?.whitelist ?? []).entries()) {
      if (!CIDR.test(cidr))
        issues.push(
          error(
            ["spec", "ingress", "rateLimit", "whitelist", i],
            `'${cidr}' is not a CIDR`,
            "write it as 10.0.0.0/8 or 2001:db8::/32",
          ),
        );
    }
  }

  // Backups
  const backedUp = new Set<string>();
  for (const [i, b] of (spec.backups ?? []).entries()) {
    const at = ["spec", "backups", i];
    const c = byName.get(b.component);
    if (!c)
      issues.push(
        error(
          [...at, "component"],
          `backup names '${b.component}', which is not a component`,
          unknownComponentHint(b.component, names),
        ),
      );
    else if (!BACKUP_TYPES.has(c.type))
      issues.push(
        error(
          [...at, "component"],
          `'${b.component}' is a ${c.type}; backups cover mysql, postgres, mongodb and redis`,
          "remove this backup entry",
        ),
      );
    if (backedUp.has(b.component))
      issues.push(
        error(
          [...at, "component"],
          `'${b.component}' has more than one backup entry`,
          "merge them into one",
        ),
      );
    backedUp.add(b.component);
    const err = cronError(b.schedule);
    if (err)
      issues.push(
        error(
          [...at, "schedule"],
          `invalid cron schedule '${b.schedule}': ${err}`,
          "use five fields, e.g. '0 3 * * *' for 03:00 daily",
        ),
      );
    if (b.pvc && b.s3) issues.push(error(at, "a backup has both pvc and s3 targets", "choose one"));
  }

  // Names that Kubernetes would refuse or truncate.
  for (const [i, c] of spec.components.entries()) {
    for (const n of namesWithLimits(arch.metadata.name, c.name, c.type, backedUp.has(c.name))) {
      if (n.name.length > n.max) {
        issues.push(
          error(
            ["spec", "components", i, "name"],
            `the ${n.what} name '${n.name}' is ${n.name.length} characters, over the Kubernetes limit of ${n.max}`,
            `shorten the Architecture name or the component name by ${n.name.length - n.max}`,
          ),
        );
        break;
      }
    }
  }

  // Two components whose derived names meet (`db`'s headless Service and a
  // component `db-headless`) would fight over one object.
  const queueScaled = new Set(
    (spec.autoscaling ?? []).filter((a) => a.queue).map((a) => a.component),
  );
  const nameOwner = new Map<string, string>();
  for (const [i, c] of spec.components.entries()) {
    const names = derivedNames(arch.metadata.name, c.name, c.type, {
      backedUp: backedUp.has(c.name),
      queueScaled: queueScaled.has(c.name),
    });
    const clash = names.find((n) => {
      const other = nameOwner.get(n);
      return other !== undefined && other !== c.name;
    });
    if (clash) {
      issues.push(
        error(
          ["spec", "components", i, "name"],
          `components '${nameOwner.get(clash)}' and '${c.name}' would both create objects named '${clash}'`,
          "rename one of them: archctl names objects <architecture>-<component>[-suffix] (suffixes: headless, credentials, config, topics, etcd, minio, backup, backups, queue)",
        ),
      );
      continue;
    }
    for (const n of names) nameOwner.set(n, c.name);
  }

  // Application components nothing can reach and that reach nothing are likely a mistake.
  if (!spec.components.some((c) => isAppType(c.type))) {
    issues.push(
      warning(
        ["spec", "components"],
        "no application components: only datastores will run",
        "add a service, gateway, worker, job or cron component",
      ),
    );
  }
  return issues;
}

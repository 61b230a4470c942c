// Object names: within Kubernetes limits, and no two components deriving the same name.

import { derivedNames, namesWithLimits } from "../names.ts";
import type { Architecture } from "../schema.ts";
import { error, type Issue } from "./issue.ts";

export function checkObjectNames(arch: Architecture): Issue[] {
  const issues: Issue[] = [];
  const { spec } = arch;
  const backedUp = new Set((spec.backups ?? []).map((b) => b.component));
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
  return issues;
}

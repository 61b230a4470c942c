// Rules the schema cannot say: references between parts of a spec, cron syntax,
// name lengths. Each problem names the path it is about and how to fix it.
// The rules live in semantics/, one part of the spec a file.
import type { Architecture, Component } from "./schema.ts";
import { isAppType } from "./schema.ts";
import { checkAutoscaling } from "./semantics/autoscaling.ts";
import { checkBackups } from "./semantics/backups.ts";
import { checkComponent } from "./semantics/component.ts";
import { checkEgress } from "./semantics/egress.ts";
import { checkGpuPools } from "./semantics/gpu-pools.ts";
import { checkIngress } from "./semantics/ingress.ts";
import { error, type Issue, type SpecIndex, warning } from "./semantics/issue.ts";
import { checkMembership } from "./semantics/membership.ts";
import { checkObjectNames } from "./semantics/object-names.ts";
import { checkRestores } from "./semantics/restore.ts";
import { checkSecrets } from "./semantics/secrets.ts";
import { checkTraffic } from "./semantics/traffic.ts";

export type { Issue, IssuePath } from "./semantics/issue.ts";

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

  const index: SpecIndex = { byName, names };
  issues.push(
    ...checkGpuPools(arch),
    ...checkAutoscaling(arch, index),
    ...checkIngress(arch, index),
    ...checkTraffic(arch, index),
    ...checkEgress(arch),
    ...checkBackups(arch, index),
    ...checkRestores(arch, index),
    ...checkObjectNames(arch),
    ...checkSecrets(arch),
    ...checkMembership(arch),
  );

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

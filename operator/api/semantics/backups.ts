// Backups: one entry a backed-up datastore, with a valid schedule.

import { cronError } from "../cron.ts";
import type { Architecture } from "../schema.ts";
import { error, type Issue, type SpecIndex, unknownComponentHint } from "./issue.ts";
import { NO_BACKUP_REASON } from "./restore.ts";

const BACKUP_TYPES = new Set(["mysql", "postgres", "mongodb", "redis"]);

export function checkBackups(arch: Architecture, index: SpecIndex): Issue[] {
  const issues: Issue[] = [];
  const { spec } = arch;
  const { byName, names } = index;
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
          `'${b.component}' is a ${c.type}; backups cover mysql, postgres, mongodb and redis${NO_BACKUP_REASON[c.type] ? `: ${NO_BACKUP_REASON[c.type]}` : ""}`,
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
    const verifyErr = b.verify ? cronError(b.verify.schedule) : undefined;
    if (verifyErr)
      issues.push(
        error(
          [...at, "verify", "schedule"],
          `invalid cron schedule '${b.verify?.schedule}': ${verifyErr}`,
          "use five fields, e.g. '0 5 * * 0' for 05:00 on Sundays",
        ),
      );
    if (b.pvc && b.s3) issues.push(error(at, "a backup has both pvc and s3 targets", "choose one"));
  }
  return issues;
}

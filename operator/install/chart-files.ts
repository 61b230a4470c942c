// Files of charts/archctl that are generated from TypeScript, so that the chart
// and `archctl install` cannot disagree on RBAC rules or the dashboard:
//   charts/archctl/files/rbac-rules.yaml      <- rbac.ts
//   charts/archctl/dashboards/operator.json   <- dashboard.ts
// Regenerate with `node operator/install/chart-files.ts`; a test fails when a
// committed copy drifts.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { toYaml } from "../render/yaml-output.ts";
import { admissionMatchConstraints, admissionValidations } from "./admission-policy.ts";
import { operatorDashboardJson } from "./dashboard.ts";
import { rbacRulesDocument } from "./rbac.ts";

const HEADER =
  "# Generated from operator/install/rbac.ts. Do not edit: run `node operator/install/chart-files.ts`.\n" +
  "# The chart's ClusterRole/Roles read these rules; `archctl install` uses the same module.\n";

/** Path inside charts/archctl -> exact file content. */
export function chartFiles(): Record<string, string> {
  return {
    "files/rbac-rules.yaml": HEADER + toYaml(rbacRulesDocument()),
    "dashboards/operator.json": operatorDashboardJson(),
    "files/admission-policy.yaml":
      "# Generated from operator/install/admission-policy.ts. Do not edit: run `node operator/install/chart-files.ts`.\n" +
      "# templates/admission-policy.yaml reads these checks; `archctl install` uses the same module.\n" +
      toYaml({
        matchConstraints: admissionMatchConstraints(),
        validations: admissionValidations(),
      }),
  };
}

if (import.meta.main) {
  const chart = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "charts", "archctl");
  for (const [path, text] of Object.entries(chartFiles())) {
    writeFileSync(join(chart, path), text);
    process.stdout.write(`wrote charts/archctl/${path}\n`);
  }
}

// Declared egress: CIDRs only, since NetworkPolicies match addresses, never host names.
import type { Architecture } from "../schema.ts";
import { CIDR } from "./ingress.ts";
import { error, type Issue, warning } from "./issue.ts";

const HOST = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/i;

export function checkEgress(arch: Architecture): Issue[] {
  const issues: Issue[] = [];
  const policy = arch.spec.networkPolicy;
  const enforced = (policy?.enabled ?? true) && (policy?.egress ?? true);
  for (const [i, c] of arch.spec.components.entries()) {
    for (const [j, rule] of (c.egress ?? []).entries()) {
      const at = ["spec", "components", i, "egress", j, "cidr"];
      if (HOST.test(rule.cidr) && !CIDR.test(rule.cidr))
        issues.push(
          error(
            at,
            `'${rule.cidr}' is a host name; a NetworkPolicy matches IP addresses only`,
            "give the CIDR of the addresses the host resolves to (e.g. 203.0.113.0/24), or set spec.networkPolicy.egress: false",
          ),
        );
      else if (!CIDR.test(rule.cidr))
        issues.push(
          error(at, `'${rule.cidr}' is not a CIDR`, "write it as 203.0.113.0/24 or 2001:db8::/32"),
        );
    }
    if (c.egress?.length && !enforced)
      issues.push(
        warning(
          ["spec", "components", i, "egress"],
          `egress of '${c.name}' has no effect: egress policies are off, so every destination is open`,
          "remove it, or turn networkPolicy.egress on",
        ),
      );
  }
  return issues;
}

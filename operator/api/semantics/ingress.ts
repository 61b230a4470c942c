// The ingress: routes to components that serve HTTP, valid rate limits and CIDRs.

import type { Architecture } from "../schema.ts";
import { error, type Issue, type SpecIndex, unknownComponentHint } from "./issue.ts";

const CIDR =
  /^([0-9]{1,3}\.){3}[0-9]{1,3}(\/([0-9]|[12][0-9]|3[0-2]))?$|^[0-9a-fA-F:]+(\/[0-9]{1,3})?$/;

export function checkIngress(arch: Architecture, index: SpecIndex): Issue[] {
  const issues: Issue[] = [];
  const { spec } = arch;
  const { byName, names } = index;
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
  return issues;
}

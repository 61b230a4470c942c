// Before apply or plan: a Gateway reference to a namespace that does not exist
// would leave the HTTPRoutes attached to nothing, while the Ingresses they
// replace are deleted. Refused here, before anything changes. The Gateway
// itself is not looked up: it may be created after the routes, and reading it
// needs RBAC many users lack; a namespace that may not be read is let through.
import type { Architecture } from "../operator/api/schema.ts";
import { isNotFound } from "../operator/kube/errors.ts";
import type { Connection } from "./cluster.ts";
import { UserError } from "./context.ts";
import { ExitCode } from "./exit-codes.ts";

export async function requireGatewayNamespace(
  conn: Connection,
  architecture: Architecture,
  namespace: string,
): Promise<void> {
  const ing = architecture.spec.ingress;
  if (ing?.provider !== "gateway" || !ing.gateway?.namespace) return;
  const target = ing.gateway.namespace;
  if (target === namespace) return;
  try {
    await conn.rest.get(`/api/v1/namespaces/${encodeURIComponent(target)}`, { timeoutMs: 15_000 });
  } catch (err) {
    if (!isNotFound(err)) return;
    throw new UserError(
      `spec.ingress.gateway.namespace: namespace '${target}' does not exist on this cluster, so the routes could not attach to Gateway ${target}/${ing.gateway.name}; nothing was changed.\n  hint: create the Gateway (and its namespace) first, or name the namespace it is in`,
      ExitCode.INVALID,
    );
  }
}

// Users without the admin's rights, for RBAC tests: a kubeconfig that
// impersonates a user, and a Role granted to that user.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { TestCluster } from "./cluster.ts";

/** A copy of the admin kubeconfig whose user impersonates `user` (plus system:authenticated). */
export function impersonating(cluster: TestCluster, user: string): string {
  const kc = parse(readFileSync(cluster.kubeconfig, "utf8")) as {
    users: { user: Record<string, unknown> }[];
  };
  for (const u of kc.users) u.user.as = user;
  const file = join(mkdtempSync(join(tmpdir(), "archctl-as-")), "kubeconfig.yaml");
  writeFileSync(file, stringify(kc));
  return file;
}

/** A Role with these rules in `ns`, bound to the user `user`. */
export async function grantRole(
  cluster: TestCluster,
  ns: string,
  user: string,
  rules: object[],
): Promise<void> {
  await cluster.apply(ns, [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: user, namespace: ns },
      rules,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: user, namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: user },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    },
  ]);
}

// The Secrets a team would create before applying a blueprint that reads
// existing Secrets (spec.secrets[].fromSecret), with placeholder values, so
// tests of the reference blueprints can reach Ready.
import type { Architecture } from "../../operator/api/schema.ts";
import type { KubeObject } from "../../operator/kube/types.ts";

export function teamSecretsOf(arch: Architecture, namespace: string): KubeObject[] {
  return (arch.spec.secrets ?? []).flatMap((s) =>
    s.fromSecret
      ? [
          {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: s.fromSecret.name, namespace },
            stringData: Object.fromEntries(s.fromSecret.keys.map((k) => [k, `placeholder-${k}`])),
          },
        ]
      : [],
  );
}

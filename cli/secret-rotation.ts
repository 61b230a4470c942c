// What `archctl secret rotate ARCH NAME` does, decided from the stored
// Architecture: which Secret gets a new value, and which workloads restart to
// read it. Only generated secrets rotate here: a fromSecret belongs to the
// team and an external one to its store. Pure.
import { childName } from "../operator/api/names.ts";
import type { Architecture, GenerateSpec } from "../operator/api/schema.ts";
import { secretsUsedBy } from "../operator/api/secret-refs.ts";
import { appSecretName } from "../operator/render/app-secrets.ts";

export interface Rotation {
  secret: string;
  generate: GenerateSpec;
  /** Deployments to restart (services, gateways, workers that read it). */
  restart: string[];
  /** Components that pick the new value up by themselves (a cron's next run; a job is not rerun). */
  later: string[];
}

export function planRotation(arch: Architecture, name: string): Rotation | { error: string } {
  const secrets = arch.spec.secrets ?? [];
  const def = secrets.find((s) => s.name === name);
  if (!def) {
    const names = secrets.map((s) => s.name);
    return {
      error: `Architecture ${arch.metadata.name} has no secret '${name}' (${names.length ? `its secrets: ${names.join(", ")}` : "it defines no spec.secrets"})`,
    };
  }
  if (!def.generate)
    return {
      error: def.fromSecret
        ? `secret '${name}' is the Secret ${def.fromSecret.name} your team manages: change it there, then restart its users (kubectl rollout restart)`
        : `secret '${name}' comes from the external store '${def.external?.store}': rotate it there; the External Secrets Operator syncs it`,
    };
  const users = arch.spec.components.filter((c) => secretsUsedBy(c).includes(name));
  return {
    secret: appSecretName(arch.metadata.name, def),
    generate: def.generate,
    restart: users
      .filter((c) => ["service", "gateway", "worker"].includes(c.type))
      .map((c) => childName(arch.metadata.name, c.name)),
    later: users.filter((c) => c.type === "cron" || c.type === "job").map((c) => c.name),
  };
}

// Credential Secrets: created once with random values from the OS CSPRNG,
// never rewritten by a reconcile; a kept one is adopted as it is if its engine
// and keys fit (see decideSecret).
import { randomBytes } from "node:crypto";
import type { GenerateSpec } from "../api/schema.ts";
import { describeKubeError, isAlreadyExists, KubeApiError } from "../kube/errors.ts";
import { resourceFor } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { materializeSecret } from "../render/connection.ts";
import type { SecretSpec } from "../render/types.ts";
import { generateSecretValue } from "./generate-secret.ts";
import type { Pass } from "./pass.ts";
import type { Owner } from "./plan.ts";
import { decideSecret, ENGINE_ANNOTATION } from "./plan.ts";
import type { Child, ChildFailure } from "./types.ts";
import { FIELD_MANAGER } from "./types.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Uniform random alphanumerics from the OS's CSPRNG (rejection sampling, no modulo bias). */
export function randomAlphanumeric(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}

export interface CredentialsOutcome {
  /** Secrets that may not be used, or could not be made, and why. */
  failures: ChildFailure[];
  /** The first refusal that may heal by itself (see ChildrenOutcome.retry). */
  retry?: KubeApiError;
}

/** Creates the missing credential Secrets. */
export async function ensureCredentials(
  pass: Pass,
  owner: Owner,
  specs: SecretSpec[],
  random: (length: number) => string,
  generate: (g: GenerateSpec) => string = generateSecretValue,
): Promise<CredentialsOutcome> {
  const { namespace: ns, log } = pass;
  const secrets = resourceFor("v1", "Secret");
  const outcome: CredentialsOutcome = { failures: [] };
  const failures = outcome.failures;
  for (const spec of specs) {
    let live: Child | undefined = pass.cache("v1", "Secret")?.get(spec.name, ns);
    let action = decideSecret(spec, live, owner);
    if (action.action === "create") {
      const secret: KubeObject = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: spec.name,
          namespace: ns,
          labels: spec.labels,
          annotations: { [ENGINE_ANNOTATION]: spec.engine },
          ownerReferences: [pass.ownerRef()],
        },
        type: "Opaque",
        stringData: materializeSecret(spec, random, generate),
      };
      try {
        await pass.deps.objects.create(secret, FIELD_MANAGER);
        pass.wrote("Secret", "create");
        log.info("generated credentials", { secret: spec.name });
        continue;
      } catch (err) {
        if (!isAlreadyExists(err)) {
          // Refused (a quota, RBAC, a webhook): said in status, and retried.
          if (!(err instanceof KubeApiError)) throw err;
          const message = describeKubeError(err);
          outcome.failures.push({ kind: "Secret", name: spec.name, message });
          outcome.retry ??= err;
          log.error("credentials refused by the API server", { secret: spec.name, err: message });
          continue;
        }
      }
      // Someone has the name: the cache had not seen ours yet, or it is not ours.
      live = await pass.deps.objects.find<Child>(secrets, ns, spec.name);
      action = decideSecret(spec, live, owner);
      if (action.action === "create") continue; // deleted meanwhile: the next pass creates it
    }
    if (action.action === "refuse") {
      failures.push({
        kind: "Secret",
        name: spec.name,
        reason: action.reason,
        message: action.message,
      });
      log.warn("credentials not usable", { secret: spec.name, why: action.message });
      continue;
    }
    if (action.adopt) {
      await pass.deps.objects.mergePatch(secrets, ns, spec.name, {
        metadata: { ownerReferences: [pass.ownerRef()] },
      });
      pass.wrote("Secret", "patch");
      log.info("adopted kept credentials", { secret: spec.name });
    }
  }
  return outcome;
}

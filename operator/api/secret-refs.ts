// How a component's reference to an application secret resolves: the short
// form `JWT_SIGNING_KEY: jwt` and the long form `{secret: jwt, key: value}`,
// and which key of the Secret it reads. Shared by validation and rendering. Pure.
import type { AppSecret, SecretEnvValue } from "./schema.ts";
import { SINGLE_KEY } from "./schema.ts";

export interface ResolvedRef {
  secret: string;
  /** Undefined when it cannot be chosen: a fromSecret with several keys and none named. */
  key: string | undefined;
  /** Whether the key was written (long form) or defaulted. */
  explicit: boolean;
}

/** The keys a secret holds: the listed keys of a fromSecret, `value` otherwise. */
export function keysOf(secret: AppSecret): string[] {
  return secret.fromSecret ? [...secret.fromSecret.keys] : [SINGLE_KEY];
}

export function resolveRef(value: SecretEnvValue, secrets: readonly AppSecret[]): ResolvedRef {
  const name = typeof value === "string" ? value : value.secret;
  const written = typeof value === "string" ? undefined : value.key;
  if (written !== undefined) return { secret: name, key: written, explicit: true };
  const def = secrets.find((s) => s.name === name);
  const keys = def ? keysOf(def) : [SINGLE_KEY];
  return { secret: name, key: keys.length === 1 ? keys[0] : undefined, explicit: false };
}

/** Names of the secrets a component reads (secretEnv and secretFiles), sorted, once each. */
export function secretsUsedBy(c: {
  secretEnv?: Record<string, SecretEnvValue> | undefined;
  secretFiles?: { secret: string }[] | undefined;
}): string[] {
  const names = new Set<string>();
  for (const v of Object.values(c.secretEnv ?? {})) names.add(typeof v === "string" ? v : v.secret);
  for (const f of c.secretFiles ?? []) names.add(f.secret);
  return [...names].sort();
}

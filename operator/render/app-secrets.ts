// Application secrets and config files in a component's pod: env vars that
// point at Secret keys, Secret volumes (read-only, mode 0400), a ConfigMap of
// config files whose content hash sits in the pod template (new content rolls
// the pods), and the Architecture-wide objects: generated Secret specs (the
// operator draws the values) and ExternalSecrets. Values never pass through here.
import { createHash } from "node:crypto";
import type { ResolvedComponent } from "../api/defaults.ts";
import { childLabels, childName } from "../api/names.ts";
import type { AppSecret } from "../api/schema.ts";
import { isAppType, SINGLE_KEY } from "../api/schema.ts";
import { resolveRef } from "../api/secret-refs.ts";
import type { KubeObject } from "../kube/types.ts";
import type { EnvVar } from "./connection.ts";
import type { RenderContext, Rendered } from "./context.ts";
import { childMeta } from "./meta.ts";
import type { SecretSpec } from "./types.ts";

/** On a pod template: the hash of its config files, so new content rolls the pods. */
export const CONFIG_HASH_ANNOTATION = "archctl.io/config-hash";
/** The engine annotation of a generated application secret (see decideSecret). */
export const GENERATED_ENGINE = "generated";
/** Read-only for the owner: the container's user reads it through fsGroup. */
export const SECRET_FILE_MODE = 0o400;
export const EXTERNAL_SECRET_API = "external-secrets.io/v1";

/** The Secret a spec.secrets entry lives in: the team's own for fromSecret, `<arch>-<name>-secret` otherwise. */
export function appSecretName(architecture: string, s: AppSecret): string {
  return s.fromSecret ? s.fromSecret.name : childName(architecture, s.name, "secret");
}

export function configMapName(architecture: string, component: string): string {
  return childName(architecture, component, "config");
}

function secretByName(ctx: RenderContext, name: string): AppSecret | undefined {
  return ctx.arch.secrets.find((s) => s.name === name);
}

/** secretEnv as env vars reading Secret keys (never optional: a missing key keeps the container from starting). */
export function secretEnv(ctx: RenderContext, c: ResolvedComponent): EnvVar[] {
  const out: EnvVar[] = [];
  for (const [name, value] of Object.entries(c.secretEnv ?? {})) {
    const ref = resolveRef(value, ctx.arch.secrets);
    const def = secretByName(ctx, ref.secret);
    if (!def || ref.key === undefined) continue; // refused by validation
    out.push({
      name,
      valueFrom: { secretKeyRef: { name: appSecretName(ctx.arch.name, def), key: ref.key } },
    });
  }
  return out;
}

/** SHA-256 of the files, name and content, in name order: the same files give the same hash. */
export function configHash(files: Record<string, string>): string {
  const h = createHash("sha256");
  for (const name of Object.keys(files).sort()) {
    h.update(`${name}\0${files[name]}\0`);
  }
  return h.digest("hex").slice(0, 16);
}

export interface PodAdditions {
  volumes: Record<string, unknown>[];
  mounts: Record<string, unknown>[];
  annotations: Record<string, string>;
}

/** The volumes, mounts and annotations secretFiles and config add to a pod. */
export function podAdditions(ctx: RenderContext, c: ResolvedComponent): PodAdditions {
  const out: PodAdditions = { volumes: [], mounts: [], annotations: {} };
  for (const [i, f] of (c.secretFiles ?? []).entries()) {
    const def = secretByName(ctx, f.secret);
    if (!def) continue;
    const name = `secret-${i}`;
    const secret: Record<string, unknown> = {
      secretName: appSecretName(ctx.arch.name, def),
      defaultMode: SECRET_FILE_MODE,
    };
    if (f.keys?.length) secret.items = f.keys.map((key) => ({ key, path: key }));
    out.volumes.push({ name, secret });
    out.mounts.push({ name, mountPath: f.mountPath, readOnly: true });
  }
  if (c.config) {
    out.volumes.push({
      name: "config",
      configMap: { name: configMapName(ctx.arch.name, c.name) },
    });
    out.mounts.push({ name: "config", mountPath: c.config.mountPath, readOnly: true });
    out.annotations[CONFIG_HASH_ANNOTATION] = configHash(c.config.files);
  }
  return out;
}

function configMap(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const files = c.config?.files ?? {};
  const data: Record<string, string> = {};
  for (const name of Object.keys(files).sort()) data[name] = files[name] as string;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMeta(ctx, c.name, "config"),
    data,
  };
}

function generatedSpec(ctx: RenderContext, s: AppSecret): SecretSpec {
  return {
    name: appSecretName(ctx.arch.name, s),
    component: s.name,
    engine: GENERATED_ENGINE,
    labels: childLabels(ctx.arch.name, s.name),
    keys: { [SINGLE_KEY]: { generate: s.generate ?? {} } },
  };
}

function externalSecret(ctx: RenderContext, s: AppSecret): KubeObject {
  const ext = s.external;
  const remoteRef: Record<string, string> = { key: ext?.key ?? "" };
  if (ext?.property) remoteRef.property = ext.property;
  const name = appSecretName(ctx.arch.name, s);
  return {
    apiVersion: EXTERNAL_SECRET_API,
    kind: "ExternalSecret",
    metadata: childMeta(ctx, s.name, "secret"),
    spec: {
      refreshInterval: ext?.refresh ?? "1h",
      secretStoreRef: { name: ext?.store ?? "", kind: ext?.storeKind ?? "SecretStore" },
      target: {
        name,
        creationPolicy: "Owner",
        // What ESO writes carries archctl's labels, like every Secret archctl makes.
        template: { metadata: { labels: childLabels(ctx.arch.name, s.name) } },
      },
      data: [{ secretKey: SINGLE_KEY, remoteRef }],
    },
  };
}

/** The Architecture-wide part: generated Secret specs, config ConfigMaps, ExternalSecrets. */
export function renderAppSecrets(ctx: RenderContext): Rendered {
  const out: Required<Rendered> = { objects: [], secrets: [], notices: [] };
  for (const s of ctx.arch.secrets) {
    if (s.generate) out.secrets.push(generatedSpec(ctx, s));
    if (s.external) {
      if (ctx.capabilities.externalSecrets) out.objects.push(externalSecret(ctx, s));
      else
        out.notices.push({
          reason: "ExternalSecretsMissing",
          message: `secret '${s.name}' comes from store '${s.external.store}', but the External Secrets Operator is not installed (no ExternalSecret CRD): install it, or the components that use it cannot start`,
        });
    }
  }
  for (const c of ctx.arch.components)
    if (isAppType(c.type) && c.config) out.objects.push(configMap(ctx, c));
  return out;
}

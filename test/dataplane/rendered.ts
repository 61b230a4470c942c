// An Architecture rendered for the dataplane tier: one datastore `db` on a port
// a real server on loopback will take, an application `api` that uses it, and
// a PVC backup of `db`. Secrets are materialised as the operator would (random
// values), so every credential the tests use comes from the render.
import { randomBytes } from "node:crypto";
import { applyDefaults, type ResolvedComponent } from "../../operator/api/defaults.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { materializeSecret } from "../../operator/render/connection.ts";
import { createContext, type RenderContext } from "../../operator/render/context.ts";
import { render } from "../../operator/render/index.ts";
import type { Json } from "./pod.ts";

export const ARCH = "shop";
export const NAMESPACE = "dataplane";

export interface RenderedDatastore {
  objects: KubeObject[];
  secrets: Record<string, Record<string, string>>;
  ctx: RenderContext;
  db: ResolvedComponent;
  /** The `db` fields the test added (settings, exchanges...). */
  extraDb: Record<string, unknown> | undefined;
  /** The client Service's DNS name, which the scripts connect to. */
  host: string;
  /** The `api` container's env, resolved: what the application is given. */
  appEnv: Record<string, string>;
  find(kind: string, name: string): Json;
}

/** Alphanumeric, as the operator's generator makes them (length as asked). */
function random(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join("");
}

export function renderDatastore(
  type: "postgres" | "mysql" | "redis" | "rabbitmq",
  port: number,
  extra: {
    retention?: number;
    db?: Record<string, unknown>;
    backup?: Record<string, unknown>;
  } = {},
): RenderedDatastore {
  const backups =
    type === "rabbitmq"
      ? []
      : [
          {
            component: "db",
            schedule: "0 3 * * *",
            retention: extra.retention ?? 2,
            ...extra.backup,
          },
        ];
  const arch = {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: ARCH, namespace: NAMESPACE },
    spec: {
      components: [
        { name: "db", type, port, ...extra.db },
        { name: "api", type: "service", image: "example/api:1", port: 8080, uses: ["db"] },
      ],
      backups,
    },
  } as unknown as Architecture;
  const result = render(arch);
  const secrets: Record<string, Record<string, string>> = {};
  for (const s of result.secrets) secrets[s.name] = materializeSecret(s, random);
  const ctx = createContext(applyDefaults(arch), { keda: true, serviceMonitors: true });
  const find = (kind: string, name: string): Json => {
    const o = result.objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`${kind}/${name} was not rendered`);
    return o;
  };
  const api = find("Deployment", `${ARCH}-api`).spec.template.spec.containers[0];
  const appEnv: Record<string, string> = {};
  for (const e of api.env ?? []) {
    if ("value" in e) appEnv[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef)
      appEnv[e.name] = secrets[e.valueFrom.secretKeyRef.name]?.[e.valueFrom.secretKeyRef.key] ?? "";
  }
  return {
    objects: result.objects,
    secrets,
    ctx,
    db: ctx.component("db") as ResolvedComponent,
    extraDb: extra.db,
    host: `${ARCH}-db.${NAMESPACE}.svc`,
    appEnv,
    find,
  };
}

/** The datastore's credentials Secret values. */
export function credentials(r: RenderedDatastore): Record<string, string> {
  const s = r.secrets[`${ARCH}-db-credentials`] ?? Object.values(r.secrets)[0];
  if (!s) throw new Error("no credentials Secret rendered");
  return s;
}

/** A URL the application was given, pointed at loopback (the only change: the test has no cluster DNS). */
export function onLoopback(url: string, host: string): string {
  const u = new URL(url);
  if (u.hostname !== host) throw new Error(`${url} does not name the rendered Service ${host}`);
  u.hostname = "127.0.0.1";
  return u.toString();
}

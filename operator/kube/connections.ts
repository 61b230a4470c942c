// client-node 2.x builds a new undici Agent for every request it authenticates
// (KubeConfig.applySecurityAuthentication -> createDispatcher), so no TLS
// connection is ever reused and every request pays a handshake, and the old
// agents pile up. This keeps one dispatcher per distinct TLS identity on the
// KubeConfig instance, so requests and watches share a connection pool; a
// rotated client certificate or CA yields a new key and a fresh dispatcher.
import { createHash } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";

type CreateDispatcher = (
  cluster: unknown,
  agentOptions: Record<string, unknown>,
) => { close?: () => Promise<void> } | undefined;

const INSTALLED = Symbol("archctl.reuseConnections");

function identity(cluster: unknown, agentOptions: Record<string, unknown>): string {
  const h = createHash("sha256");
  const c = cluster as { server?: string; proxyUrl?: string; skipTLSVerify?: boolean };
  h.update(
    JSON.stringify([
      c.server,
      c.proxyUrl,
      c.skipTLSVerify,
      agentOptions.rejectUnauthorized,
      agentOptions.servername,
      agentOptions.passphrase,
    ]),
  );
  for (const k of ["ca", "cert", "key", "pfx"]) {
    const v = agentOptions[k];
    h.update(`|${k}:`);
    if (v !== undefined) h.update(Buffer.isBuffer(v) ? v : String(v));
  }
  return h.digest("hex");
}

/** Makes every request through `kc` share one connection pool per TLS identity. Idempotent. */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createDispatcher: CreateDispatcher; [INSTALLED]?: boolean };
  if (target[INSTALLED] || typeof target.createDispatcher !== "function") return kc;
  const create = target.createDispatcher.bind(kc);
  let current: { key: string; dispatcher: ReturnType<CreateDispatcher> } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = identity(cluster, agentOptions);
    if (current?.key !== key) {
      const old = current?.dispatcher;
      current = { key, dispatcher: create(cluster, agentOptions) };
      // Requests in flight on the old pool finish; close() waits for them.
      old?.close?.().catch(() => {});
    }
    return current.dispatcher;
  };
  target[INSTALLED] = true;
  return kc;
}

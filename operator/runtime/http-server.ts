// /metrics, /healthz and /readyz on one small HTTP server.

import type { Server } from "node:http";
import { createServer } from "node:http";
import type { Registry } from "prom-client";

export interface HealthChecks {
  /** Alive: the event loop answers and the process is not wedged. */
  healthy(): boolean;
  /** Ready: caches synced (a non-leader is ready too: it can take over at once). */
  ready(): boolean;
}

export async function startHttpServer(
  address: string,
  registry: Registry,
  checks: HealthChecks,
): Promise<Server> {
  const [host, portText] = address.includes(":")
    ? [address.slice(0, address.lastIndexOf(":")), address.slice(address.lastIndexOf(":") + 1)]
    : ["0.0.0.0", address];
  const server = createServer(async (req, res) => {
    const url = req.url ?? "/";
    if (url.startsWith("/metrics")) {
      res.setHeader("Content-Type", registry.contentType);
      res.end(await registry.metrics());
    } else if (url.startsWith("/healthz")) {
      const ok = checks.healthy();
      res.statusCode = ok ? 200 : 503;
      res.end(ok ? "ok\n" : "unhealthy\n");
    } else if (url.startsWith("/readyz")) {
      const ok = checks.ready();
      res.statusCode = ok ? 200 : 503;
      res.end(ok ? "ok\n" : "not ready\n");
    } else {
      res.statusCode = 404;
      res.end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(portText), host || "0.0.0.0", () => resolve());
  });
  return server;
}

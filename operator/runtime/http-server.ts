// /metrics, /healthz and /readyz on one small HTTP server.

import type { Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { Registry } from "prom-client";

/** A probe's answer; `reason` says what is wrong, for the response body and the logs. */
export type Check = { ok: true } | { ok: false; reason: string };

export interface HealthChecks {
  /** Alive: restarting the process would not help otherwise (see Operator.health). */
  healthy(): Check;
  /** Ready: caches synced (a non-leader is ready too: it can take over at once). */
  ready(): Check;
}

/** The address cannot be served (in use, not local, no permission). */
export class ListenError extends Error {
  override name = "ListenError";
}

export async function startHttpServer(
  address: string,
  registry: Registry,
  checks: HealthChecks,
): Promise<Server> {
  const [host, portText] = address.includes(":")
    ? [address.slice(0, address.lastIndexOf(":")), address.slice(address.lastIndexOf(":") + 1)]
    : ["0.0.0.0", address];
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ListenError(
      `--metrics-address '${address}' is not host:port (e.g. 127.0.0.1:8080, or "" to serve nothing)`,
    );
  const probe = (res: ServerResponse, c: Check) => {
    res.statusCode = c.ok ? 200 : 503;
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.end(c.ok ? "ok\n" : `${c.reason}\n`);
  };
  const server = createServer(async (req, res) => {
    const url = req.url ?? "/";
    if (url.startsWith("/metrics")) {
      res.setHeader("Content-Type", registry.contentType);
      res.end(await registry.metrics());
    } else if (url.startsWith("/healthz")) {
      probe(res, checks.healthy());
    } else if (url.startsWith("/readyz")) {
      probe(res, checks.ready());
    } else {
      res.statusCode = 404;
      res.end("not found: try /metrics, /healthz or /readyz\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new ListenError(
          `cannot serve /metrics on ${address}: ${err.code === "EADDRINUSE" ? "the port is in use" : err.message}; pass --metrics-address with a free host:port, or "" to serve nothing`,
        ),
      ),
    );
    server.listen(port, host || "0.0.0.0", () => resolve());
  });
  return server;
}

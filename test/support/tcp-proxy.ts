// A TCP proxy in front of the API server whose connections can be frozen
// (they stay open and nothing moves) or cut (reset, new ones refused): how the
// runtime tests make network faults without faking the API server.
import type { Socket } from "node:net";
import { connect, createServer } from "node:net";

type ProxyMode = "open" | "frozen" | "cut";

/** A TCP proxy to the API server whose connections can be frozen or cut. */
export async function tcpProxy(target: { host: string; port: number }) {
  let mode: ProxyMode = "open";
  const pairs = new Set<[Socket, Socket | undefined]>();
  const server = createServer((client) => {
    client.on("error", () => {});
    if (mode === "cut") {
      client.resetAndDestroy();
      return;
    }
    if (mode === "frozen") {
      client.pause();
      pairs.add([client, undefined]);
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.add([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    /** Connections stay open and nothing passes: requests hang until they time out. */
    freeze() {
      mode = "frozen";
      for (const [client, upstream] of pairs) {
        if (!upstream) continue;
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    /** Every connection reset, new ones refused. */
    cut() {
      mode = "cut";
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream?.destroy();
      }
      pairs.clear();
    },
    open() {
      mode = "open";
    },
    async close() {
      this.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

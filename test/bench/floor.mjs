// The memory floor of the operator (test/bench, section 4): a bare Node
// process that imports the libraries the operator loads — @kubernetes/client-node,
// prom-client, zod, yaml — and does nothing else but serve prom-client's process
// metrics, so it is measured exactly like the operator (same /metrics gauges,
// same forced GC over the inspector). Plain JavaScript on purpose: a .ts file
// would load Node's type stripper, which the compiled operator does not.
//
//   node --inspect=127.0.0.1:0 test/bench/floor.mjs --metrics-address 127.0.0.1:PORT
import { createServer } from "node:http";
import * as clientNode from "@kubernetes/client-node";
import * as prom from "prom-client";
import * as yaml from "yaml";
import * as zod from "zod";

// Keep the namespaces reachable, as the operator's modules do.
globalThis.__benchFloor = [clientNode, prom, yaml, zod];

const i = process.argv.indexOf("--metrics-address");
const [host = "127.0.0.1", port = "0"] = (process.argv[i + 1] ?? "").split(":");
const registry = new prom.Registry();
prom.collectDefaultMetrics({ register: registry });
const server = createServer(async (req, res) => {
  if (req.url === "/metrics") {
    res.setHeader("content-type", registry.contentType);
    res.end(await registry.metrics());
  } else {
    res.statusCode = req.url === "/readyz" || req.url === "/healthz" ? 200 : 404;
    res.end();
  }
});
server.listen(Number(port), host);
process.on("SIGTERM", () => server.close(() => process.exit(0)));

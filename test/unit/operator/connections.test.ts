import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeConfig, RequestContext } from "@kubernetes/client-node";
import { KubeRest } from "../../../operator/kube/rest.ts";

function config(token: string, ca: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: "c", server: "https://127.0.0.1:6443", caData: Buffer.from(ca).toString("base64") },
    ],
    users: [{ name: "u", token }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const ctx = new RequestContext("https://127.0.0.1:6443/api", "GET" as never);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getDispatcher();
}

test("requests through one KubeRest share one connection pool", async () => {
  const kc = config("t1", "ca-1");
  assert.notEqual(
    await dispatcherOf(kc),
    await dispatcherOf(kc),
    "client-node alone makes a pool per request",
  );
  const rest = new KubeRest(kc);
  const first = await dispatcherOf(rest.kc);
  assert.ok(first);
  assert.equal(await dispatcherOf(rest.kc), first);
  assert.equal(new KubeRest(rest.kc).kc, rest.kc, "installing twice is harmless");
  assert.equal(await dispatcherOf(rest.kc), first);
});

test("a new TLS identity gets a new pool", async () => {
  const a = new KubeRest(config("t1", "ca-1"));
  const before = await dispatcherOf(a.kc);
  const cluster = a.kc.getCurrentCluster() as { caData?: string };
  cluster.caData = Buffer.from("ca-2").toString("base64");
  assert.notEqual(await dispatcherOf(a.kc), before);
});

// 429 Too Many Requests from API Priority and Fairness: the request is sent
// again after the Retry-After the API server names, up to a limit; other
// errors are not retried. A local HTTP server plays the API server.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError } from "../../../operator/kube/errors.ts";
import { KubeRest, MAX_THROTTLED_RETRIES, throttledFor } from "../../../operator/kube/rest.ts";

/** A server answering each request with the next of `answers` (the last one repeats). */
async function serve(answers: { status: number; retryAfter?: string }[]) {
  const seen: { method: string; at: number; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", at: Date.now(), body });
      const a = answers[Math.min(seen.length - 1, answers.length - 1)] ?? { status: 200 };
      res.writeHead(a.status, {
        "Content-Type": "application/json",
        ...(a.retryAfter !== undefined ? { "Retry-After": a.retryAfter } : {}),
      });
      res.end(JSON.stringify(a.status === 200 ? { ok: true } : { kind: "Status", code: a.status }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "c",
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return { rest: new KubeRest(kc), seen, close: () => server.close() };
}

test("a write turned away with 429 is sent again after Retry-After, body and all", async (t) => {
  const { rest, seen, close } = await serve([
    { status: 429, retryAfter: "0" },
    { status: 429, retryAfter: "0" },
    { status: 200 },
  ]);
  t.after(close);
  const codes: number[] = [];
  rest.observe((_v, _p, code) => codes.push(code));
  const got = await rest.request("PATCH", "/api/v1/namespaces/a/configmaps/b", {
    body: { data: { k: "v" } },
    contentType: "application/merge-patch+json",
  });
  assert.deepEqual(got, { ok: true });
  assert.equal(seen.length, 3);
  assert.ok(seen.every((s) => s.method === "PATCH" && s.body === '{"data":{"k":"v"}}'));
  assert.deepEqual(codes, [429, 429, 200], "each answer counted");
});

test("429s without end: the 429 is the answer after the limit", async (t) => {
  const { rest, seen, close } = await serve([{ status: 429, retryAfter: "0" }]);
  t.after(close);
  await assert.rejects(rest.request("GET", "/api/v1/pods"), (e: unknown) => {
    return e instanceof KubeApiError && e.status === 429;
  });
  assert.equal(seen.length, MAX_THROTTLED_RETRIES + 1);
});

test("other errors are not retried", async (t) => {
  const { rest, seen, close } = await serve([{ status: 500 }, { status: 200 }]);
  t.after(close);
  await assert.rejects(rest.request("GET", "/api/v1/pods"));
  assert.equal(seen.length, 1);
});

test("Retry-After: seconds, capped at 60; 1 s when absent or not a number", () => {
  assert.equal(throttledFor("3"), 3000);
  assert.equal(throttledFor("0"), 0);
  assert.equal(throttledFor("600"), 60_000);
  assert.equal(throttledFor(null), 1000);
  assert.equal(throttledFor("Wed, 21 Oct 2015 07:28:00 GMT"), 1000);
  assert.equal(throttledFor("-5"), 1000);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { renderIngress } from "../../../operator/render/ingress.ts";
import { ctxOf, find, type Json } from "./app-fixtures.ts";

const N = "nginx.ingress.kubernetes.io";

const base: ArchitectureSpec = {
  components: [
    { name: "api", type: "service", image: "ex/api:1" },
    { name: "web", type: "service", image: "ex/web:1" },
    { name: "chat", type: "gateway", image: "ex/chat:1" },
  ],
};

test("services only: one Ingress named after the Architecture, routes, TLS, issuer, rate limits", () => {
  const spec: ArchitectureSpec = {
    ...base,
    ingress: {
      hosts: [
        {
          host: "shop.example.com",
          routes: [
            { path: "/api", component: "api" },
            { path: "/", component: "web" },
          ],
        },
      ],
      tls: { clusterIssuer: "letsencrypt" },
      rateLimit: {
        rps: 20,
        rpm: 600,
        connections: 10,
        burstMultiplier: 3,
        whitelist: ["10.0.0.0/8", "192.168.0.0/16"],
      },
      annotations: { [`${N}/proxy-body-size`]: "8m" },
    },
  };
  const { objects } = renderIngress(ctxOf(spec));
  assert.equal(objects.length, 1);
  const ing = find(objects, "Ingress", "shop") as Json;
  assert.equal(ing.apiVersion, "networking.k8s.io/v1");
  assert.equal(ing.metadata.namespace, "prod");
  assert.equal(ing.metadata.labels["archctl.io/architecture"], "shop");
  assert.deepEqual(ing.metadata.annotations, {
    "cert-manager.io/cluster-issuer": "letsencrypt",
    [`${N}/limit-burst-multiplier`]: "3",
    [`${N}/limit-connections`]: "10",
    [`${N}/limit-rpm`]: "600",
    [`${N}/limit-rps`]: "20",
    [`${N}/limit-whitelist`]: "10.0.0.0/8,192.168.0.0/16",
    [`${N}/proxy-body-size`]: "8m",
  });
  assert.deepEqual(ing.spec, {
    ingressClassName: "nginx",
    tls: [{ hosts: ["shop.example.com"], secretName: "shop-tls" }],
    rules: [
      {
        host: "shop.example.com",
        http: {
          paths: [
            {
              path: "/api",
              pathType: "Prefix",
              backend: { service: { name: "shop-api", port: { number: 80 } } },
            },
            {
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: "shop-web", port: { number: 80 } } },
            },
          ],
        },
      },
    ],
  });
  for (const v of Object.values(ing.metadata.annotations)) assert.equal(typeof v, "string");
});

test("services and a gateway: two Ingresses, websocket annotations only on <arch>-ws, one issuer", () => {
  const spec: ArchitectureSpec = {
    ...base,
    ingress: {
      className: "public",
      hosts: [
        {
          host: "shop.example.com",
          routes: [
            { path: "/", component: "web" },
            { path: "/ws", component: "chat" },
          ],
        },
        { host: "api.example.com", routes: [{ path: "/", component: "api" }] },
      ],
      tls: { secretName: "shop-cert", clusterIssuer: "le" },
      rateLimit: { connections: 5 },
      annotations: { [`${N}/proxy-read-timeout`]: "7200" },
    },
  };
  const { objects } = renderIngress(ctxOf(spec));
  assert.deepEqual(
    objects.map((o) => o.metadata.name),
    ["shop", "shop-ws"],
  );
  const main = find(objects, "Ingress", "shop") as Json;
  const ws = find(objects, "Ingress", "shop-ws") as Json;
  assert.equal(main.spec.ingressClassName, "public");
  assert.deepEqual(
    main.spec.rules.map((r: Json) => r.host),
    ["shop.example.com", "api.example.com"],
  );
  assert.deepEqual(
    main.spec.rules[0].http.paths.map((p: Json) => p.path),
    ["/"],
  );
  assert.equal(main.metadata.annotations[`${N}/affinity`], undefined);
  assert.equal(main.metadata.annotations["cert-manager.io/cluster-issuer"], "le");
  assert.deepEqual(ws.spec.rules, [
    {
      host: "shop.example.com",
      http: {
        paths: [
          {
            path: "/ws",
            pathType: "Prefix",
            backend: { service: { name: "shop-chat", port: { number: 80 } } },
          },
        ],
      },
    },
  ]);
  // Both name every host so one certificate covers both.
  assert.deepEqual(ws.spec.tls, [
    { hosts: ["shop.example.com", "api.example.com"], secretName: "shop-cert" },
  ]);
  assert.deepEqual(main.spec.tls, ws.spec.tls);
  assert.deepEqual(ws.metadata.annotations, {
    [`${N}/affinity`]: "cookie",
    [`${N}/affinity-mode`]: "persistent",
    [`${N}/limit-connections`]: "5",
    // The user's value wins over the default hour.
    [`${N}/proxy-read-timeout`]: "7200",
    [`${N}/proxy-send-timeout`]: "3600",
    [`${N}/session-cookie-name`]: "archctl-affinity",
  });
});

test("gateway only: the Ingress is <arch>-ws and carries the issuer", () => {
  const spec: ArchitectureSpec = {
    ...base,
    ingress: {
      hosts: [{ host: "chat.example.com", routes: [{ path: "/", component: "chat" }] }],
      tls: { clusterIssuer: "le" },
    },
  };
  const { objects } = renderIngress(ctxOf(spec));
  assert.deepEqual(
    objects.map((o) => o.metadata.name),
    ["shop-ws"],
  );
  const ws = objects[0] as Json;
  assert.equal(ws.metadata.annotations["cert-manager.io/cluster-issuer"], "le");
  assert.equal(ws.metadata.annotations[`${N}/proxy-read-timeout`], "3600");
});

test("no TLS, no limits, no annotations: no tls field and no annotations", () => {
  const spec: ArchitectureSpec = {
    ...base,
    ingress: { hosts: [{ host: "a.example.com", routes: [{ path: "/", component: "api" }] }] },
  };
  const [ing] = renderIngress(ctxOf(spec)).objects as Json[];
  assert.equal(ing.spec.tls, undefined);
  assert.equal(ing.metadata.annotations, undefined);
});

test("no ingress block: nothing", () => {
  assert.deepEqual(renderIngress(ctxOf(base)).objects, []);
});

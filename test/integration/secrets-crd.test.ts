// Application secrets and config sent straight to the API server (no archctl
// in between): what CEL and the OpenAPI schema can say is refused there, and a
// valid spec with every kind of secret is stored.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Architecture } from "../../operator/api/schema.ts";
import { render } from "../../operator/render/index.ts";
import { installIntegrationCrds } from "../cluster/integration-crds.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { installCrd } from "../support/operator.ts";

let cluster: TestCluster;
before(
  async () => {
    cluster = await getCluster("apiserver");
    await installCrd(cluster);
  },
  { timeout: 40 * 60_000 },
);

const arch = (ns: string, name: string, spec: object) =>
  JSON.stringify({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name, namespace: ns },
    spec,
  });
const api = { name: "api", type: "service", image: "ex/api:1" };

const REFUSED: { name: string; spec: object; message: RegExp }[] = [
  {
    name: "a secret file from an undefined secret",
    spec: { components: [{ ...api, secretFiles: [{ secret: "jwt", mountPath: "/etc/jwt" }] }] },
    message: /every secretFiles\[\]\.secret must be defined in spec\.secrets/,
  },
  {
    name: "a generated secret of zero length",
    spec: { secrets: [{ name: "pw", generate: { length: 0 } }], components: [api] },
    message:
      /spec\.secrets\[0\]\.generate\.length: Invalid value: 0: .*greater than or equal to 12/,
  },
  {
    name: "an absurd number of bytes",
    spec: { secrets: [{ name: "k", generate: { bytes: 100000 } }], components: [api] },
    message: /less than or equal to 1024/,
  },
  {
    name: "both bytes and length",
    spec: { secrets: [{ name: "k", generate: { bytes: 32, length: 32 } }], components: [api] },
    message: /give bytes \(a key\) or length \(a password\), exactly one/,
  },
  {
    name: "two sources",
    spec: {
      secrets: [{ name: "k", generate: { bytes: 32 }, fromSecret: { name: "x", keys: ["a"] } }],
      components: [api],
    },
    message: /a secret has exactly one source/,
  },
  {
    name: "a Secret of another namespace",
    spec: {
      secrets: [{ name: "k", fromSecret: { name: "payments/keys", keys: ["a"] } }],
      components: [api],
    },
    message: /Secrets of other namespaces cannot be used/,
  },
  {
    name: "config on a datastore",
    spec: {
      components: [
        api,
        { name: "db", type: "postgres", config: { mountPath: "/etc/x", files: { a: "b" } } },
      ],
    },
    message: /secretFiles and config are for application components/,
  },
  {
    name: "a config file over the size limit",
    spec: {
      components: [{ ...api, config: { mountPath: "/etc/x", files: { a: "x".repeat(70_000) } } }],
    },
    message: /Too long: may not be (longer|more) than 65536/,
  },
];

test("the API server refuses bad secrets and config with the rule's message", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "secrets-crd" });
  for (const [i, c] of REFUSED.entries()) {
    const r = await cluster.kubectl(["apply", "-f", "-"], {
      input: arch(ns, `bad-${i}`, c.spec),
      reject: false,
    });
    assert.notEqual(r.exitCode, 0, `${c.name}: accepted`);
    assert.match(r.stderr, c.message, c.name);
  }
  const stored = await cluster.kubectl(["get", "architectures", "-n", ns, "-o", "name"]);
  assert.equal(stored.stdout.trim(), "");
});

test("a valid spec with every kind of secret and a config file is stored as written", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "secrets-crd" });
  const spec = {
    secrets: [
      { name: "jwt", generate: { bytes: 64, encoding: "base64" } },
      { name: "ex", fromSecret: { name: "exchange", keys: ["key", "secret"] } },
      { name: "stripe", external: { store: "vault", key: "stripe", refresh: "1h" } },
    ],
    components: [
      {
        ...api,
        secretEnv: { JWT: "jwt", EX_KEY: { secret: "ex", key: "key" }, STRIPE: "stripe" },
        secretFiles: [{ secret: "ex", mountPath: "/etc/ex" }],
        config: { mountPath: "/etc/api", files: { "app.yaml": "a: 1\n" } },
      },
    ],
  };
  await cluster.kubectl(["apply", "-f", "-"], { input: arch(ns, "good", spec) });
  const got = JSON.parse(
    (await cluster.kubectl(["get", "architecture", "good", "-n", ns, "-o", "json"])).stdout,
  ) as { spec: unknown };
  assert.deepEqual(got.spec, spec);
});

test("the ExternalSecret archctl renders is accepted by the real External Secrets Operator CRD (v0.16.2)", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "secrets-eso" });
  const created = await installIntegrationCrds(cluster.kubectl, ["external-secrets"]);
  // CRDs are cluster-wide: remove what this test added, so later tests see a cluster without ESO.
  t.after(async () => {
    if (created.length)
      await cluster.kubectl(
        ["delete", "--ignore-not-found", "--timeout=120s", ...created.map((c) => `crd/${c}`)],
        { reject: false, timeoutMs: 150_000 },
      );
  });
  const { objects } = render({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "pay", namespace: ns },
    spec: {
      secrets: [
        { name: "stripe", external: { store: "vault", key: "payments/stripe", property: "key" } },
        {
          name: "psp",
          external: { store: "aws", storeKind: "ClusterSecretStore", key: "psp", refresh: "15m" },
        },
      ],
      components: [{ ...api, secretEnv: { STRIPE: "stripe", PSP: "psp" } }],
    },
  } as Architecture);
  const external = objects.filter((o) => o.kind === "ExternalSecret");
  assert.equal(external.length, 2);
  const r = await cluster.kubectl(["apply", "--dry-run=server", "-o", "name", "-f", "-"], {
    input: external.map((o) => JSON.stringify(o)).join("\n"),
    reject: false,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n").sort(), [
    "externalsecret.external-secrets.io/pay-psp-secret",
    "externalsecret.external-secrets.io/pay-stripe-secret",
  ]);
});

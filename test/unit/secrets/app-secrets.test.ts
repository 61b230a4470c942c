// Application secrets and config files: validation of bad input, rendering
// into pods (env refs, read-only 0400 volumes, a ConfigMap whose hash rolls the
// pods), ExternalSecrets by capability, and the generator's output.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ArchitectureSpec } from "../../../operator/api/schema.ts";
import { formatPath, validateArchitecture } from "../../../operator/api/validate.ts";
import { generateSecretValue } from "../../../operator/reconcile/generate-secret.ts";
import {
  heldWorkloads,
  problemMessage,
  referenceProblems,
} from "../../../operator/reconcile/referenced-secrets.ts";
import { CONFIG_HASH_ANNOTATION } from "../../../operator/render/app-secrets.ts";
import { render } from "../../../operator/render/index.ts";
import { ALL_CAPABILITIES } from "../../../operator/render/types.ts";
import { find, type Json } from "../render/app-fixtures.ts";

const arch = (spec: unknown) => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "shop", namespace: "prod" },
  spec,
});

const spec: ArchitectureSpec = {
  secrets: [
    { name: "jwt", generate: { bytes: 64, encoding: "base64" } },
    { name: "exchange", fromSecret: { name: "exchange-keys", keys: ["api-key", "api-secret"] } },
    { name: "stripe", external: { store: "vault", key: "payments/stripe", property: "key" } },
  ],
  components: [
    {
      name: "api",
      type: "service",
      image: "ex/api:1",
      env: { LOG_LEVEL: "info" },
      secretEnv: {
        JWT_SIGNING_KEY: "jwt",
        EXCHANGE_KEY: { secret: "exchange", key: "api-key" },
        STRIPE_KEY: "stripe",
      },
      secretFiles: [{ secret: "exchange", mountPath: "/etc/exchange" }],
      config: { mountPath: "/etc/api", files: { "app.yaml": "mode: live\n" } },
    },
    { name: "worker", type: "worker", image: "ex/worker:1" },
  ],
};

function issuesOf(s: unknown): string[] {
  return validateArchitecture(arch(s)).issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

test("a spec with every kind of secret and a config file is valid", () => {
  const r = validateArchitecture(arch(spec));
  assert.deepEqual(r.issues, []);
  assert.ok(r.architecture);
});

test("bad input: used but undefined, zero or absurd length, another namespace, too large", () => {
  const api = { name: "api", type: "service", image: "x" };
  assert.match(
    issuesOf({ components: [{ ...api, secretEnv: { JWT: "jwt" } }] }).join("\n"),
    /secretEnv\.JWT: secret 'jwt' is used by 'api' but not defined/,
  );
  assert.match(
    issuesOf({
      components: [{ ...api, secretFiles: [{ secret: "nope", mountPath: "/etc/x" }] }],
    }).join("\n"),
    /secretFiles\[0\]\.secret: secret 'nope' is used by 'api' but not defined/,
  );
  const gen = (generate: unknown) =>
    issuesOf({
      secrets: [{ name: "jwt", generate }],
      components: [{ ...api, secretEnv: { JWT: "jwt" } }],
    });
  assert.deepEqual(gen({ length: 0 }), ["spec.secrets[0].generate.length: must be at least 12"]);
  assert.deepEqual(gen({ bytes: 1_000_000 }), [
    "spec.secrets[0].generate.bytes: must be at most 1024",
  ]);
  assert.match(gen({ bytes: 32, length: 32 }).join(), /exactly one/);
  const other = issuesOf({
    secrets: [{ name: "ex", fromSecret: { name: "payments/keys", keys: ["k"] } }],
    components: [{ ...api, secretEnv: { K: "ex" } }],
  });
  assert.equal(other.length, 1);
  assert.match(other[0] ?? "", /fromSecret\.name: .*other namespaces cannot be used/);
  const big = issuesOf({
    components: [
      { ...api, config: { mountPath: "/etc/a", files: { "a.yaml": "x".repeat(70_000) } } },
    ],
  });
  assert.deepEqual(big, [
    'spec.components[0].config.files["a.yaml"]: must be at most 65536 characters',
  ]);
  // Multi-byte content: within the character bound, over the byte limit.
  const wide = issuesOf({
    components: [
      { ...api, config: { mountPath: "/etc/a", files: { "a.txt": "é".repeat(40_000) } } },
    ],
  });
  assert.match(wide.join(), /'a.txt' is 79 KiB, over the limit of 64 KiB/);
});

test("references: a key the secret lacks, an ambiguous key, overlapping mounts, datastores", () => {
  const out = issuesOf({
    secrets: [{ name: "ex", fromSecret: { name: "keys", keys: ["a", "b"] } }],
    components: [
      {
        name: "api",
        type: "service",
        image: "x",
        secretEnv: { A: "ex", B: { secret: "ex", key: "c" } },
        secretFiles: [{ secret: "ex", mountPath: "/etc/app/keys" }],
        config: { mountPath: "/etc/app", files: { "x.yaml": "" } },
      },
      { name: "db", type: "postgres", secretEnv: { A: { secret: "ex", key: "a" } } },
    ],
  }).join("\n");
  assert.match(out, /secretEnv\.A: secret 'ex' holds several keys \(a, b\)/);
  assert.match(out, /secretEnv\.B\.key: secret 'ex' has no key 'c'/);
  assert.match(out, /config\.mountPath: mount path \/etc\/app overlaps \/etc\/app\/keys/);
  assert.match(out, /secretEnv is for application components, 'db' is a postgres/);
});

test("render: env points at Secret keys, files are read-only 0400, config is a ConfigMap", () => {
  const { objects, secrets, notices } = render(arch(spec) as never, ALL_CAPABILITIES);
  assert.deepEqual(notices, []);
  const dep = find(objects, "Deployment", "shop-api") as Json;
  const template = dep.spec.template;
  const container = template.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e]));
  assert.deepEqual(env.JWT_SIGNING_KEY.valueFrom, {
    secretKeyRef: { name: "shop-jwt-secret", key: "value" },
  });
  assert.deepEqual(env.EXCHANGE_KEY.valueFrom, {
    secretKeyRef: { name: "exchange-keys", key: "api-key" },
  });
  assert.deepEqual(env.STRIPE_KEY.valueFrom, {
    secretKeyRef: { name: "shop-stripe-secret", key: "value" },
  });
  assert.equal(env.LOG_LEVEL.value, "info");
  assert.deepEqual(
    template.spec.volumes.find((v: Json) => v.name === "secret-0"),
    { name: "secret-0", secret: { secretName: "exchange-keys", defaultMode: 0o400 } },
  );
  assert.deepEqual(
    container.volumeMounts.filter((m: Json) => m.name !== "tmp"),
    [
      { name: "secret-0", mountPath: "/etc/exchange", readOnly: true },
      { name: "config", mountPath: "/etc/api", readOnly: true },
    ],
  );
  const cm = find(objects, "ConfigMap", "shop-api-config") as Json;
  assert.deepEqual(cm.data, { "app.yaml": "mode: live\n" });
  assert.match(template.metadata.annotations[CONFIG_HASH_ANNOTATION], /^[0-9a-f]{16}$/);
  // The worker uses none of it: no annotation, no extra volume.
  const worker = find(objects, "Deployment", "shop-worker") as Json;
  assert.equal(worker.spec.template.metadata.annotations, undefined);
  assert.equal(worker.spec.template.spec.volumes.length, 1);
  // Only the generated secret is made by the operator; its value is not in the render.
  assert.deepEqual(
    secrets.map((s) => [s.name, s.engine, s.keys]),
    [["shop-jwt-secret", "generated", { value: { generate: { bytes: 64, encoding: "base64" } } }]],
  );
  assert.equal(objects.filter((o) => o.kind === "Secret").length, 0);
});

test("new config content changes the pod template's hash; the same content does not", () => {
  const hash = (content: string) => {
    const s = structuredClone(spec);
    const api = s.components[0];
    if (api?.config) api.config.files = { "app.yaml": content };
    const dep = find(render(arch(s) as never).objects, "Deployment", "shop-api") as Json;
    return dep.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
  };
  assert.equal(hash("mode: live\n"), hash("mode: live\n"));
  assert.notEqual(hash("mode: live\n"), hash("mode: paper\n"));
});

test("ExternalSecret when the External Secrets Operator is installed, a notice when not", () => {
  const withEso = render(arch(spec) as never, ALL_CAPABILITIES).objects;
  const es = find(withEso, "ExternalSecret", "shop-stripe-secret") as Json;
  assert.equal(es.apiVersion, "external-secrets.io/v1");
  assert.deepEqual(es.spec.secretStoreRef, { name: "vault", kind: "SecretStore" });
  assert.deepEqual(es.spec.data, [
    { secretKey: "value", remoteRef: { key: "payments/stripe", property: "key" } },
  ]);
  assert.equal(es.spec.target.name, "shop-stripe-secret");
  const without = render(arch(spec) as never, {
    keda: true,
    serviceMonitors: true,
    externalSecrets: false,
  });
  assert.equal(without.objects.filter((o) => o.kind === "ExternalSecret").length, 0);
  assert.equal(without.notices.length, 1);
  assert.equal(without.notices[0]?.reason, "ExternalSecretsMissing");
  assert.match(without.notices[0]?.message ?? "", /secret 'stripe' .* store 'vault'/);
});

test("referenced Secrets: missing one or a key holds back exactly the workloads that read it", () => {
  const valid = validateArchitecture(arch(spec)).architecture;
  assert.ok(valid);
  assert.deepEqual(
    referenceProblems(valid, () => ["api-key", "api-secret", "extra"]),
    [],
  );
  const missing = referenceProblems(valid, () => undefined);
  assert.deepEqual(missing, [
    { secret: "exchange-keys", entry: "exchange", missingKeys: "all", components: ["api"] },
  ]);
  assert.match(
    problemMessage(missing[0] as never, "prod"),
    /^Secret 'exchange-keys' \(spec.secrets 'exchange'\) does not exist in namespace prod: create it; api is held back/,
  );
  const lacking = referenceProblems(valid, () => ["api-key"]);
  assert.deepEqual(lacking[0]?.missingKeys, ["api-secret"]);
  const held = heldWorkloads(render(valid).objects, new Set(["api"]));
  assert.deepEqual([...held], ["Deployment/shop-api"]);
});

test("generated values: lengths, encodings and charsets as asked, never twice the same", () => {
  assert.equal(Buffer.from(generateSecretValue({ bytes: 64 }), "base64").length, 64);
  assert.match(generateSecretValue({ bytes: 32, encoding: "hex" }), /^[0-9a-f]{64}$/);
  assert.match(generateSecretValue({ bytes: 32, encoding: "base64url" }), /^[-_A-Za-z0-9]{43}$/);
  assert.match(generateSecretValue({ length: 40 }), /^[A-Za-z0-9]{40}$/);
  assert.match(generateSecretValue({ length: 20, charset: "hex" }), /^[0-9a-f]{20}$/);
  const printable = generateSecretValue({ length: 500, charset: "printable" });
  assert.equal(printable.length, 500);
  assert.doesNotMatch(printable, /[\s"'`\\]/);
  assert.notEqual(generateSecretValue({ bytes: 32 }), generateSecretValue({ bytes: 32 }));
});

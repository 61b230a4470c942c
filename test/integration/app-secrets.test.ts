// Application secrets with the real operator on a real kube-apiserver: a
// generated secret is made once and kept across reconciles; `archctl secret
// rotate` gives it a new value (never printed) and restarts its users, and the
// operator keeps the new value; a missing team-managed Secret is named in
// status and its users' workloads are held back until it appears; a config
// file is a ConfigMap mounted read-only.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Architecture } from "../../operator/api/schema.ts";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { installIntegrationCrds } from "../cluster/integration-crds.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import {
  clientFor,
  converged,
  installCrd,
  logLines,
  settle,
  startOperator,
} from "../support/operator.ts";
import { archctl } from "../unit/cli/helpers.ts";
import type { Json } from "../unit/render/app-fixtures.ts";

let cluster: TestCluster;
before(
  async () => {
    cluster = await getCluster("apiserver");
    await installCrd(cluster);
  },
  { timeout: 40 * 60_000 },
);

const SECRETS = resourceFor("v1", "Secret");
const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");
const CONFIGMAPS = resourceFor("v1", "ConfigMap");
type Obj = KubeObject & { data?: Record<string, string>; spec?: Json };

const shop = (ns: string): Architecture => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "shop", namespace: ns },
  spec: {
    secrets: [
      { name: "jwt", generate: { bytes: 64, encoding: "base64" } },
      { name: "exchange", fromSecret: { name: "exchange-keys", keys: ["api-key", "api-secret"] } },
    ],
    components: [
      {
        name: "api",
        type: "service",
        image: "ex/api:1",
        secretEnv: { JWT_SIGNING_KEY: "jwt" },
        config: { mountPath: "/etc/api", files: { "app.yaml": "mode: live\n" } },
      },
      {
        name: "trader",
        type: "worker",
        image: "ex/trader:1",
        secretEnv: { EXCHANGE_KEY: { secret: "exchange", key: "api-key" } },
        secretFiles: [{ secret: "exchange", mountPath: "/etc/exchange" }],
      },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
  },
});

test("generated once and kept, rotated on purpose, a missing Secret holds its users back", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "app-secrets" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await client.apply(shop(ns) as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
  let arch = await converged(cluster, client, ns, "shop");
  await settle(op);

  // The generated secret: 64 random bytes, labelled as archctl's.
  const secret = await client.get<Obj>(SECRETS, ns, "shop-jwt-secret");
  const first = Buffer.from(secret.data?.value ?? "", "base64").toString();
  assert.equal(Buffer.from(first, "base64").length, 64);
  assert.equal(secret.metadata.labels?.["app.kubernetes.io/managed-by"], "archctl-operator");
  // Config: a ConfigMap, and the api's Deployment mounts it; the trader is held back.
  const cm = await client.get<Obj>(CONFIGMAPS, ns, "shop-api-config");
  assert.deepEqual(cm.data, { "app.yaml": "mode: live\n" });
  await client.get<Obj>(DEPLOYMENTS, ns, "shop-api");
  assert.equal(await client.find(DEPLOYMENTS, ns, "shop-trader"), undefined);
  const degraded = arch.status?.conditions?.find((c) => c.type === "Degraded");
  assert.equal(degraded?.status, "True");
  assert.equal(degraded?.reason, "SecretMissing");
  assert.match(
    degraded?.message ?? "",
    /Secret 'exchange-keys' \(spec.secrets 'exchange'\) does not exist in namespace .*: create it; trader is held back/,
  );

  // The team creates the Secret with one key missing, then complete: the trader starts.
  await client.apply(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "exchange-keys", namespace: ns },
      stringData: { "api-key": "k-123" },
    } as KubeObject,
    { fieldManager: "team", force: true },
  );
  const touch = () =>
    client.mergePatch(ARCHITECTURES, ns, "shop", {
      metadata: { annotations: { touched: String(Date.now()) } },
    });
  await touch();
  arch = await cluster.eventually("the missing key in status", async () => {
    const a = await client.get<Architecture & KubeObject>(ARCHITECTURES, ns, "shop");
    const m = a.status?.conditions?.find((c) => c.type === "Degraded")?.message ?? "";
    return /has no key 'api-secret'/.test(m) ? a : undefined;
  });
  await client.apply(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "exchange-keys", namespace: ns },
      stringData: { "api-key": "k-123", "api-secret": "s-456" },
    } as KubeObject,
    { fieldManager: "team", force: true },
  );
  await touch();
  const trader = await cluster.eventually("the trader's Deployment", () =>
    client.find<Obj>(DEPLOYMENTS, ns, "shop-trader"),
  );
  const volume = trader.spec.template.spec.volumes.find((v: Json) => v.name === "secret-0");
  assert.deepEqual(volume.secret, { secretName: "exchange-keys", defaultMode: 0o400 });

  // Reconciles never rotate: the value is the same after another pass.
  await touch();
  await settle(op);
  const again = await client.get<Obj>(SECRETS, ns, "shop-jwt-secret");
  assert.equal(Buffer.from(again.data?.value ?? "", "base64").toString(), first);

  // Rotation: a new value, never printed, and the api restarts.
  const r = await archctl([
    "--kubeconfig",
    cluster.kubeconfig,
    "-n",
    ns,
    "secret",
    "rotate",
    "shop",
    "jwt",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /rotated secret jwt/);
  assert.match(r.stderr + r.stdout, /restarting Deployment shop-api/);
  const rotated = await client.get<Obj>(SECRETS, ns, "shop-jwt-secret");
  const second = Buffer.from(rotated.data?.value ?? "", "base64").toString();
  assert.notEqual(second, first);
  assert.equal(Buffer.from(second, "base64").length, 64);
  assert.ok(!(r.stdout + r.stderr).includes(second), "the new value was printed");
  const api = await client.get<Obj>(DEPLOYMENTS, ns, "shop-api");
  assert.ok(api.spec.template.metadata.annotations["archctl.io/restartedAt"]);
  // The operator keeps the rotated value and the restart.
  await touch();
  await settle(op);
  const kept = await client.get<Obj>(SECRETS, ns, "shop-jwt-secret");
  assert.equal(Buffer.from(kept.data?.value ?? "", "base64").toString(), second);
  const apiAfter = await client.get<Obj>(DEPLOYMENTS, ns, "shop-api");
  assert.ok(apiAfter.spec.template.metadata.annotations["archctl.io/restartedAt"]);

  // Rotating what archctl does not own is refused with the way out.
  const refused = await archctl([
    "--kubeconfig",
    cluster.kubeconfig,
    "-n",
    ns,
    "secret",
    "rotate",
    "shop",
    "exchange",
  ]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Secret exchange-keys your team manages: change it there/);

  // No value anywhere it must not be.
  const status = JSON.stringify((await client.get<KubeObject>(ARCHITECTURES, ns, "shop")).status);
  for (const value of [first, second, "k-123", "s-456"]) {
    assert.ok(!status.includes(value), "a value in status");
    assert.ok(!logLines(op).some((l) => l.includes(value)), "a value in the operator's log");
  }
});

test("External Secrets Operator installed while the operator runs: ExternalSecretsMissing, then an ExternalSecret", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "app-secrets-eso" });
  const client = clientFor(cluster);
  await startOperator(t, cluster, ns, { discoverySeconds: 1 });
  await client.apply(
    {
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      metadata: { name: "pay", namespace: ns },
      spec: {
        secrets: [{ name: "stripe", external: { store: "vault", key: "payments/stripe" } }],
        components: [
          { name: "api", type: "service", image: "ex/api:1", secretEnv: { STRIPE: "stripe" } },
        ],
        monitoring: { serviceMonitors: false, dashboard: false },
      },
    } as KubeObject,
    { fieldManager: "archctl-test", force: true },
  );
  const missing = async () =>
    (
      await client.get<Architecture & KubeObject>(ARCHITECTURES, ns, "pay")
    ).status?.conditions?.find((c) => c.type === "ExternalSecretsMissing");
  const condition = await cluster.eventually("ExternalSecretsMissing", async () => {
    await converged(cluster, client, ns, "pay");
    return (await missing())?.status === "True" ? await missing() : undefined;
  });
  assert.match(condition?.message ?? "", /secret 'stripe' comes from store 'vault'/);

  const created = await installIntegrationCrds(cluster.kubectl, ["external-secrets"]);
  t.after(async () => {
    if (created.length)
      await cluster.kubectl(
        ["delete", "--ignore-not-found", "--timeout=120s", ...created.map((c) => `crd/${c}`)],
        { reject: false, timeoutMs: 150_000 },
      );
  });
  const EXTERNAL = resourceFor("external-secrets.io/v1", "ExternalSecret");
  const es = await cluster.eventually(
    "the ExternalSecret, and the condition gone",
    async () => {
      const found = await client.find<Obj>(EXTERNAL, ns, "pay-stripe-secret");
      return found && (await missing()) === undefined ? found : undefined;
    },
    60_000,
  );
  assert.deepEqual(es.spec.secretStoreRef, { name: "vault", kind: "SecretStore" });
  assert.equal(es.spec.target.name, "pay-stripe-secret");
});

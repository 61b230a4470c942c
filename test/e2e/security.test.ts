// Data safety on the whole local cluster (kwok tier): generated credentials and
// application secrets (generated, rotated, a team's own Secret) never change by
// themselves and never leak (operator stderr, events, status, every non-Secret
// object, archctl's own output, `apply --wait`'s progress lines included).
// Least privilege (the restricted Pod Security Standard) is in pod-security.test.ts.
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import { resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { render } from "../../operator/render/index.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { clientFor, converged, getArchitecture, installCrd } from "../support/operator.ts";
import { runOperatorProcess } from "../support/operator-process.ts";
import { archctl, tempDir } from "../unit/cli/helpers.ts";

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

const SECRETS = resourceFor("v1", "Secret");
const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");
type Obj = KubeObject & {
  metadata: KubeObject["metadata"] & { resourceVersion?: string; uid?: string };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

function runOperator(ns: string) {
  const op = runOperatorProcess(cluster.kubeconfig, ns, { extra: ["--log-level", "debug"] });
  return { child: op.child, stderr: op.output, exited: op.exited };
}

const BLUEPRINT = (replicas: number) => `apiVersion: archctl.io/v1alpha1
kind: Architecture
metadata:
  name: vault
spec:
  secrets:
    - {name: jwt, generate: {bytes: 64, encoding: base64}}
    - {name: exchange, fromSecret: {name: team-exchange, keys: [api-key, api-secret]}}
  components:
    - name: api
      type: service
      image: ghcr.io/example/api:1
      replicas: ${replicas}
      uses: [db, cache, bus]
      secretEnv:
        JWT_SIGNING_KEY: jwt
        EXCHANGE_KEY: {secret: exchange, key: api-key}
      secretFiles:
        - {secret: exchange, mountPath: /etc/exchange}
      config:
        mountPath: /etc/api
        files: {app.yaml: "mode: live"}
    - name: db
      type: postgres
      storage: {size: 1Gi}
    - name: cache
      type: redis
      storage: {size: 1Gi}
    - name: bus
      type: rabbitmq
      storage: {size: 1Gi}
  monitoring: {serviceMonitors: false, dashboard: false}
`;

test("generated credentials survive operator restarts and reconciles unchanged, and no secret value appears in logs, events, status, other objects or archctl's output", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "sec-secrets" });
  const client = clientFor(cluster);
  const dir = tempDir();
  const file = join(dir, "vault.yaml");
  writeFileSync(file, BLUEPRINT(1));
  const cli = (args: string[]) =>
    archctl(["--kubeconfig", cluster.kubeconfig, "-n", ns, ...args], { env: { NO_COLOR: "1" } });

  // The team's own Secret (fromSecret): its values must not leak either.
  const teamValues = [`key-${randomUUID()}`, `secret-${randomUUID()}`];
  await client.apply(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "team-exchange", namespace: ns },
      stringData: { "api-key": teamValues[0], "api-secret": teamValues[1] },
    } as KubeObject,
    { fieldManager: "team", force: true },
  );
  let op = runOperator(ns);
  let logs = "";
  t.after(() => op.child.kill("SIGKILL"));
  const applied = await cli(["apply", "-f", file]);
  assert.equal(applied.code, 0, applied.stderr);
  await converged(cluster, client, ns, "vault", 60_000);
  const readSecrets = async () =>
    (await client.list<Obj>(SECRETS, ns, `${ARCHITECTURE_LABEL}=vault`)).items.sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    );
  await cluster.eventually(
    "three credential Secrets and the generated one",
    async () => (await readSecrets()).length === 4,
  );
  const first = await readSecrets();

  // Which keys are generated (random, or templates built on them): those values are secret.
  const loaded = loadBlueprint(BLUEPRINT(1), { file: "vault.yaml" });
  assert.ok(loaded.architecture);
  const specs = render({
    ...loaded.architecture,
    metadata: { name: "vault", namespace: ns },
  }).secrets;
  const secretValues: string[] = [];
  for (const s of specs) {
    const live = first.find((x) => x.metadata.name === s.name);
    assert.ok(live, `${s.name} exists`);
    for (const [key, source] of Object.entries(s.keys ?? {})) {
      if ("literal" in (source as object)) continue;
      const v = Buffer.from(live.data?.[key] ?? "", "base64").toString();
      assert.ok(v.length >= 16, `${s.name}.${key} is ${v.length} characters`);
      secretValues.push(v);
    }
  }
  assert.ok(secretValues.length >= 4, `${secretValues.length} generated values`);
  secretValues.push(...teamValues);

  // Restarts (clean and SIGKILL) and reconciles (spec changes, a touched Secret)
  // change nothing. Each change is applied with --wait (plain lines: not a
  // terminal), whose progress output is searched below too.
  const waited: string[] = [];
  for (const [i, signal] of (["SIGTERM", "SIGKILL", "SIGTERM"] as const).entries()) {
    op.child.kill(signal);
    await op.exited;
    logs += op.stderr();
    op = runOperator(ns);
    writeFileSync(file, BLUEPRINT(2 + i));
    const r = await cli(["apply", "-f", file, "--wait", "--timeout", "50s"]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /✓ vault is Ready/);
    assert.match(r.stderr, /^\d{4}-\d\d-\d\dT\S+Z /m, "no plain progress lines");
    assert.ok(!r.stderr.includes("\u001b["), "not the plain output");
    waited.push(r.stdout + r.stderr);
    await converged(cluster, client, ns, "vault", 60_000);
    await cluster.eventually(
      "api scaled",
      async () => (await client.get<Obj>(DEPLOYMENTS, ns, "vault-api")).spec?.replicas === 2 + i,
    );
  }
  await client.mergePatch(SECRETS, ns, "vault-db-credentials", {
    metadata: { annotations: { "team.io/touched": "yes" } },
  });
  await sleep(3000);
  const after = await readSecrets();
  let unchangedRv = 0;
  for (const s of first) {
    const a = after.find((x) => x.metadata.name === s.metadata.name);
    assert.deepEqual(a?.data, s.data, `${s.metadata.name} changed`);
    assert.equal(a?.metadata.uid, s.metadata.uid, `${s.metadata.name} was re-created`);
    // vault-db-credentials was annotated above (by the test): the others must never have been written.
    if (s.metadata.name !== "vault-db-credentials")
      assert.equal(
        a?.metadata.resourceVersion,
        s.metadata.resourceVersion,
        `${s.metadata.name} rewritten`,
      );
    if (a?.metadata.resourceVersion === s.metadata.resourceVersion) unchangedRv++;
  }

  // A rotation on purpose: a new value, which must not leak either.
  const rotated = await cli(["secret", "rotate", "vault", "jwt"]);
  assert.equal(rotated.code, 0, rotated.stderr);
  const jwt = await client.get<Obj>(SECRETS, ns, "vault-jwt-secret");
  const newJwt = Buffer.from(jwt.data?.value ?? "", "base64").toString();
  assert.ok(newJwt.length > 16 && !secretValues.includes(newJwt), "rotated");
  secretValues.push(newJwt);

  // Where a value could leak.
  const outputs: [string, string][] = [];
  outputs.push(["archctl secret rotate", rotated.stdout + rotated.stderr]);
  outputs.push(["archctl apply", applied.stdout + applied.stderr]);
  for (const [i, text] of waited.entries())
    outputs.push([`archctl apply --wait (after restart ${i + 1})`, text]);
  for (const args of [
    ["get"],
    ["get", "-o", "wide"],
    ["get", "vault", "-o", "yaml"],
    ["get", "vault", "-o", "json"],
    ["status", "vault"],
    ["status", "vault", "-o", "json"],
    ["status", "vault", "-o", "yaml"],
    ["plan", "-f", file, "-v"],
    ["plan", "-f", file, "-o", "json"],
    ["render", "-f", file, "--objects"],
  ]) {
    const r = await cli(args);
    assert.ok(r.code === 0, `archctl ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    outputs.push([`archctl ${args.join(" ")}`, r.stdout + r.stderr]);
  }
  op.child.kill("SIGTERM");
  await op.exited;
  logs += op.stderr();
  outputs.push(["operator stderr (debug)", logs]);
  outputs.push([
    "events",
    (await cluster.kubectl(["get", "events", "-n", ns, "-o", "json"])).stdout,
  ]);
  const arch = await getArchitecture(client, ns, "vault");
  outputs.push(["Architecture (spec and status)", JSON.stringify(arch)]);
  outputs.push([
    "every other object in the namespace",
    (
      await cluster.kubectl([
        "get",
        "deployments,statefulsets,replicasets,pods,services,configmaps,jobs,cronjobs,networkpolicies,poddisruptionbudgets,horizontalpodautoscalers,persistentvolumeclaims,serviceaccounts,controllerrevisions",
        "-n",
        ns,
        "-o",
        "json",
      ])
    ).stdout,
  ]);
  const leaks: string[] = [];
  let scannedBytes = 0;
  for (const [where, text] of outputs) {
    scannedBytes += text.length;
    for (const v of secretValues) {
      const b64 = Buffer.from(v).toString("base64");
      if (text.includes(v) || text.includes(b64)) leaks.push(`${where} contains a secret value`);
    }
  }
  assert.ok(logs.includes('"generated credentials"'), "the operator's log is captured");
  assert.deepEqual(leaks, []);
  t.diagnostic(
    `${secretValues.length} generated values in ${first.length} Secrets unchanged across 3 operator restarts (1 SIGKILL) and 3 spec changes (${unchangedRv} of the ${first.length - 1} not annotated by the test never written at all); ${outputs.length} outputs scanned (${Math.round(scannedBytes / 1024)} KiB), 0 leaks`,
  );
});

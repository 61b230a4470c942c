// Data safety and least privilege on the whole local cluster (kwok tier):
// generated credentials never change and never leak (operator stderr, events,
// status, every non-Secret object, archctl's own output), and every pod the
// five reference blueprints produce is admitted under the `restricted` Pod
// Security Standard.
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { loadBlueprint } from "../../operator/api/blueprint.ts";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import { render } from "../../operator/render/index.ts";
import type { KubeObject } from "../../operator/render/types.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import {
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  startOperator,
} from "../support/operator.ts";
import { runOperatorProcess } from "../support/operator-process.ts";
import { archctl, tempDir } from "../unit/cli/helpers.ts";

let cluster: TestCluster;
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
  components:
    - name: api
      type: service
      image: ghcr.io/example/api:1
      replicas: ${replicas}
      uses: [db, cache, bus]
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
    "three credential Secrets",
    async () => (await readSecrets()).length === 3,
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
  assert.ok(secretValues.length >= 3, `${secretValues.length} generated values`);

  // Restarts (clean and SIGKILL) and reconciles (spec changes, a touched Secret) change nothing.
  for (const [i, signal] of (["SIGTERM", "SIGKILL", "SIGTERM"] as const).entries()) {
    op.child.kill(signal);
    await op.exited;
    logs += op.stderr();
    op = runOperator(ns);
    writeFileSync(file, BLUEPRINT(2 + i));
    const r = await cli(["apply", "-f", file]);
    assert.equal(r.code, 0, r.stderr);
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

  // Where a value could leak.
  const outputs: [string, string][] = [];
  outputs.push(["archctl apply", applied.stdout + applied.stderr]);
  for (const args of [
    ["get"],
    ["get", "-o", "wide"],
    ["get", "vault", "-o", "yaml"],
    ["get", "vault", "-o", "json"],
    ["status", "vault"],
    ["status", "vault", "-o", "json"],
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

type Event = {
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
};

test("every pod of the five blueprints is admitted under the restricted Pod Security Standard; a privileged pod is refused", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "sec-restricted" });
  await cluster.kubectl([
    "label",
    "namespace",
    ns,
    "pod-security.kubernetes.io/enforce=restricted",
    "pod-security.kubernetes.io/enforce-version=latest",
  ]);
  const client = clientFor(cluster);
  await startOperator(t, cluster, ns, { workers: 2 });
  const names = ["post", "task-queue", "chat", "trading", "rag"];
  const archs: Architecture[] = [];
  for (const name of names) {
    const text = readFileSync(join(REPO_ROOT, "blueprints", `${name}.yaml`), "utf8");
    const loaded = loadBlueprint(text, { file: `${name}.yaml`, env: "dev" });
    assert.ok(loaded.architecture, name);
    const arch = {
      ...loaded.architecture,
      metadata: { ...loaded.architecture.metadata, namespace: ns },
    };
    archs.push(arch);
    await client.apply(arch as unknown as KubeObject, {
      fieldManager: "archctl-test",
      force: true,
    });
  }

  // Negative controls: a privileged pod is refused at admission, and a Deployment
  // of one gets FailedCreate events naming PodSecurity (what the check below looks for).
  const privileged = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "control-privileged", namespace: ns },
    spec: {
      containers: [{ name: "c", image: "busybox:1.36", securityContext: { privileged: true } }],
    },
  };
  const refused = await cluster.kubectl(["apply", "-f", "-"], {
    input: JSON.stringify(privileged),
    reject: false,
  });
  assert.notEqual(
    refused.exitCode,
    0,
    "a privileged pod was admitted: the namespace is not enforcing",
  );
  assert.match(refused.stderr, /violates PodSecurity "restricted:latest"/);
  await cluster.kubectl(["apply", "-f", "-"], {
    input: stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "control-privileged", namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "control" } },
        template: { metadata: { labels: { app: "control" } }, spec: privileged.spec },
      },
    }),
  });

  const events = async () =>
    (
      JSON.parse((await cluster.kubectl(["get", "events", "-n", ns, "-o", "json"])).stdout) as {
        items: Event[];
      }
    ).items;
  const podSecurityFailures = (list: Event[]) =>
    list.filter((e) => e.reason === "FailedCreate" && /PodSecurity/.test(e.message));
  await cluster.eventually(
    "the control Deployment's FailedCreate event",
    async () =>
      podSecurityFailures(await events()).some((e) =>
        e.involvedObject.name.startsWith("control-privileged"),
      ),
    60_000,
  );

  // Every workload the operator creates gets its pods.
  type Workload = Obj & {
    kind: string;
    spec: { replicas?: number };
    status?: { replicas?: number; active?: number; succeeded?: number; failed?: number };
  };
  const expected = archs.flatMap((a) =>
    render(a, { keda: false, serviceMonitors: false }).objects.filter((o) =>
      ["Deployment", "StatefulSet", "Job"].includes(o.kind),
    ),
  );
  const started = Date.now();
  const workloads = await cluster.eventually(
    "every Deployment, StatefulSet and Job has its pods",
    async () => {
      const out: Workload[] = [];
      for (const o of expected) {
        const w = await client.find<Workload>(
          resourceFor(o.apiVersion, o.kind),
          ns,
          o.metadata.name,
        );
        if (!w) return undefined;
        const want = (o.spec as { replicas?: number }).replicas ?? 1;
        const have =
          o.kind === "Job"
            ? (w.status?.active ?? 0) + (w.status?.succeeded ?? 0) + (w.status?.failed ?? 0)
            : (w.status?.replicas ?? 0);
        if (have < Math.min(want, 1) || (o.kind !== "Job" && have < want)) return undefined;
        out.push({ ...w, kind: o.kind });
      }
      return out;
    },
    300_000,
  );
  const podsMs = Date.now() - started;
  const pods = JSON.parse(
    (await cluster.kubectl(["get", "pods", "-n", ns, "-l", ARCHITECTURE_LABEL, "-o", "json"]))
      .stdout,
  ) as { items: { metadata: { name: string } }[] };
  const failures = podSecurityFailures(await events()).filter(
    (e) => !e.involvedObject.name.startsWith("control-privileged"),
  );
  assert.deepEqual(
    failures.map(
      (e) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message.slice(0, 200)}`,
    ),
    [],
  );
  // The operator has not marked anything Degraded for an admission reason either.
  for (const a of archs) {
    const stored = await client.get<Obj>(ARCHITECTURES, ns, a.metadata.name);
    assert.doesNotMatch(JSON.stringify(stored.status ?? {}), /PodSecurity|forbidden/);
  }
  t.diagnostic(
    `restricted namespace: ${workloads.length} workloads of 5 blueprints (dev) created ${pods.items.length} pods in ${podsMs} ms, 0 PodSecurity refusals; control: privileged pod refused, privileged Deployment got FailedCreate`,
  );
});

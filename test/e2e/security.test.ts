// Data safety and least privilege on the whole local cluster (kwok tier):
// generated credentials and application secrets (generated, rotated, a team's
// own Secret) never change by themselves and never leak (operator stderr, events,
// status, every non-Secret object, archctl's own output, `apply --wait`'s
// progress lines included), and every pod the five reference blueprints
// produce, in their dev and prod environments, is admitted under the
// `restricted` Pod Security Standard: Deployments, StatefulSets, Jobs, and a
// run of every CronJob (backups and cron components).
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { render } from "../../operator/render/index.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import {
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  startOperator,
} from "../support/operator.ts";
import { runOperatorProcess } from "../support/operator-process.ts";
import { teamSecretsOf } from "../support/team-secrets.ts";
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

type Event = {
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
};

test("every pod of the five blueprints (dev and prod, CronJob pods included) is admitted under the restricted Pod Security Standard; a privileged pod is refused", async (t) => {
  const ENVS = ["dev", "prod"] as const;
  const nsOf: Record<(typeof ENVS)[number], string> = {
    dev: await cluster.namespace(t, { prefix: "sec-restricted-dev" }),
    prod: await cluster.namespace(t, { prefix: "sec-restricted-prod" }),
  };
  for (const ns of Object.values(nsOf))
    await cluster.kubectl([
      "label",
      "namespace",
      ns,
      "pod-security.kubernetes.io/enforce=restricted",
      "pod-security.kubernetes.io/enforce-version=latest",
    ]);
  const client = clientFor(cluster);
  await startOperator(t, cluster, nsOf.dev, { workers: 2, namespaces: Object.values(nsOf) });
  const names = ["post", "task-queue", "chat", "trading", "rag"];
  const archs: { env: (typeof ENVS)[number]; arch: Architecture }[] = [];
  for (const env of ENVS)
    for (const name of names) {
      const text = readFileSync(join(REPO_ROOT, "blueprints", `${name}.yaml`), "utf8");
      const loaded = loadBlueprint(text, { file: `${name}.yaml`, env });
      assert.ok(loaded.architecture, `${name} (${env})`);
      const arch = {
        ...loaded.architecture,
        metadata: { ...loaded.architecture.metadata, namespace: nsOf[env] },
      };
      archs.push({ env, arch });
      for (const secret of teamSecretsOf(arch, nsOf[env]))
        await client.apply(secret, { fieldManager: "team", force: true });
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
    metadata: { name: "control-privileged", namespace: nsOf.dev },
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
      metadata: { name: "control-privileged", namespace: nsOf.dev },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "control" } },
        template: { metadata: { labels: { app: "control" } }, spec: privileged.spec },
      },
    }),
  });

  const events = async () => {
    const out: (Event & { namespace: string })[] = [];
    for (const ns of Object.values(nsOf))
      for (const e of (
        JSON.parse((await cluster.kubectl(["get", "events", "-n", ns, "-o", "json"])).stdout) as {
          items: Event[];
        }
      ).items)
        out.push({ ...e, namespace: ns });
    return out;
  };
  const podSecurityFailures = <E extends Event>(list: E[]) =>
    list.filter((e) => e.reason === "FailedCreate" && /PodSecurity/.test(e.message));
  await cluster.eventually(
    "the control Deployment's FailedCreate event",
    async () =>
      podSecurityFailures(await events()).some((e) =>
        e.involvedObject.name.startsWith("control-privileged"),
      ),
    60_000,
  );

  // CronJobs (backups, cron components) make pods only on their schedule: run
  // each one now, as `kubectl create job --from=cronjob/...` does, so that the
  // pods of its jobTemplate go through admission like the others.
  const rendered = archs.map(({ env, arch }) => ({
    env,
    ns: arch.metadata.namespace as string,
    objects: render(arch, { keda: false, serviceMonitors: false }).objects,
  }));
  const cronJobs = rendered.flatMap((r) =>
    r.objects.filter((o) => o.kind === "CronJob").map((o) => ({ ...r, cron: o })),
  );
  const manualJobs: { ns: string; name: string; cron: string }[] = [];
  for (const [i, c] of cronJobs.entries()) {
    await cluster.eventually(
      `CronJob ${c.cron.metadata.name} (${c.env})`,
      async () => client.find<Obj>(resourceFor("batch/v1", "CronJob"), c.ns, c.cron.metadata.name),
      120_000,
    );
    const name = `manual-${i}`;
    await cluster.kubectl([
      "create",
      "job",
      name,
      `--from=cronjob/${c.cron.metadata.name}`,
      "-n",
      c.ns,
    ]);
    manualJobs.push({ ns: c.ns, name, cron: `${c.env}/${c.cron.metadata.name}` });
  }
  // Both kinds: datastore backups (prod only) and cron components.
  const isBackup = (c: (typeof cronJobs)[number]) => /-backup$/.test(c.cron.metadata.name);
  assert.ok(
    cronJobs.some((c) => c.env === "prod" && isBackup(c)) && cronJobs.some((c) => !isBackup(c)),
    `CronJobs: ${manualJobs.map((j) => j.cron)}`,
  );

  // Every workload the operator creates, and every manual Job, gets its pods.
  // A dev workload must have all its replicas; a prod one at least its first
  // pod (prod asks for more CPU, memory and GPUs than the simulated nodes have,
  // so a StatefulSet may wait on an unschedulable pod 0; admission is per pod
  // template, and every replica has the same one).
  type Workload = Obj & {
    kind: string;
    spec: { replicas?: number };
    status?: { replicas?: number; active?: number; succeeded?: number; failed?: number };
  };
  const expected = [
    ...rendered.flatMap((r) =>
      r.objects
        .filter((o) => ["Deployment", "StatefulSet", "Job"].includes(o.kind))
        .map((o) => ({
          env: r.env,
          ns: r.ns,
          kind: o.kind,
          apiVersion: o.apiVersion,
          name: o.metadata.name,
          want: (o.spec as { replicas?: number }).replicas ?? 1,
        })),
    ),
    ...manualJobs.map((j) => ({
      env: "manual",
      ns: j.ns,
      kind: "Job",
      apiVersion: "batch/v1",
      name: j.name,
      want: 1,
    })),
  ];
  const started = Date.now();
  const workloads = await cluster.eventually(
    "every Deployment, StatefulSet and Job has its pods",
    async () => {
      const out: Workload[] = [];
      for (const o of expected) {
        const w = await client.find<Workload>(resourceFor(o.apiVersion, o.kind), o.ns, o.name);
        if (!w) return undefined;
        const have =
          o.kind === "Job"
            ? (w.status?.active ?? 0) + (w.status?.succeeded ?? 0) + (w.status?.failed ?? 0)
            : (w.status?.replicas ?? 0);
        const need = o.kind === "Job" || o.env === "prod" ? Math.min(o.want, 1) : o.want;
        if (have < need) return undefined;
        out.push({ ...w, kind: o.kind });
      }
      return out;
    },
    300_000,
  );
  const podsMs = Date.now() - started;
  let podCount = 0;
  for (const ns of Object.values(nsOf))
    podCount += (
      JSON.parse((await cluster.kubectl(["get", "pods", "-n", ns, "-o", "json"])).stdout) as {
        items: unknown[];
      }
    ).items.length;
  const failures = podSecurityFailures(await events()).filter(
    (e) => !e.involvedObject.name.startsWith("control-privileged"),
  );
  assert.deepEqual(
    failures.map(
      (e) =>
        `${e.namespace} ${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message.slice(0, 200)}`,
    ),
    [],
  );
  // The operator has not marked anything Degraded for an admission reason either.
  for (const { arch } of archs) {
    const stored = await client.get<Obj>(
      ARCHITECTURES,
      arch.metadata.namespace as string,
      arch.metadata.name,
    );
    assert.doesNotMatch(JSON.stringify(stored.status ?? {}), /PodSecurity|forbidden/);
  }
  const per = (env: string) => workloads.filter((_, i) => expected[i]?.env === env).length;
  t.diagnostic(
    `restricted namespaces: ${workloads.length} workloads with pods (dev ${per("dev")}, prod ${per("prod")}, ${per("manual")} Jobs run from the ${cronJobs.length} CronJobs: ${manualJobs.map((j) => j.cron).join(", ")}), ${podCount} pods in ${podsMs} ms, 0 PodSecurity refusals; control: privileged pod refused, privileged Deployment got FailedCreate`,
  );
});

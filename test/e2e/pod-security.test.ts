// Least privilege on the whole local cluster (kwok tier): every pod the five
// reference blueprints produce, in their dev and prod environments, is admitted
// under the `restricted` Pod Security Standard: Deployments, StatefulSets, Jobs,
// and a run of every CronJob (backups and cron components).
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { render } from "../../operator/render/index.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { clientFor, installCrd, startOperator } from "../support/operator.ts";
import { teamSecretsOf } from "../support/team-secrets.ts";

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

type Obj = KubeObject & {
  metadata: KubeObject["metadata"] & { resourceVersion?: string; uid?: string };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

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

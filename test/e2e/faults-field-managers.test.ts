// Faults on the whole local cluster (kwok tier), one of four files
// (faults-*.test.ts): another field manager editing what the operator owns,
// and two Architectures whose derived names meet. Each test prints its
// figures with t.diagnostic.
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import { resourceFor } from "../../operator/kube/resources.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { isReady, small } from "../support/fault-architectures.ts";
import { gcWatchesArchitectures } from "../support/gc-watches-architectures.ts";
import type { LiveObject } from "../support/live-object.ts";
import {
  applyArch,
  architecture,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  settle,
  startOperator,
} from "../support/operator.ts";

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
  await gcWatchesArchitectures(cluster);
});

const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");

test("another field manager's edits to fields the operator owns are taken back; fields it does not own are left alone", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "fault-intruder" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, small("shop", ns, 2, false)); // api replicas 1, VERSION=2
  await converged(cluster, client, ns, "shop", 60_000);
  await settle(op);

  type Deployment = LiveObject & {
    spec: {
      replicas?: number;
      revisionHistoryLimit?: number;
      progressDeadlineSeconds?: number;
      template: {
        metadata?: { annotations?: Record<string, string> };
        spec: {
          dnsPolicy?: string;
          containers: {
            name: string;
            image?: string;
            env?: { name: string; value?: string }[];
            securityContext?: { readOnlyRootFilesystem?: boolean };
          }[];
        };
      };
    };
  };
  const api = (d: Deployment) => d.spec.template.spec.containers.find((c) => c.name === "api");
  // Each field: how to read it, what the intruder writes, and (for the
  // operator's) what the operator wants; `owner` is its managedFields path.
  const K_API = 'k:{"name":"api"}';
  const CONTAINER = ["f:spec", "f:template", "f:spec", "f:containers", K_API];
  const operatorOwned = [
    {
      field: "spec.replicas",
      read: (d: Deployment) => d.spec.replicas,
      intruder: 7,
      desired: 1,
      owner: ["f:spec", "f:replicas"],
    },
    {
      field: "spec.revisionHistoryLimit",
      read: (d: Deployment) => d.spec.revisionHistoryLimit,
      intruder: 50,
      desired: 5,
      owner: ["f:spec", "f:revisionHistoryLimit"],
    },
    {
      field: "metadata.labels[app.kubernetes.io/part-of]",
      read: (d: Deployment) => d.metadata.labels?.["app.kubernetes.io/part-of"],
      intruder: "intruder",
      desired: "archctl",
      owner: ["f:metadata", "f:labels", "f:app.kubernetes.io/part-of"],
    },
    {
      field: "containers[api].image",
      read: (d: Deployment) => api(d)?.image,
      intruder: "ghcr.io/evil/api:6",
      desired: "ghcr.io/example/api:1",
      owner: [...CONTAINER, "f:image"],
    },
    {
      field: "containers[api].env[VERSION]",
      read: (d: Deployment) => api(d)?.env?.find((e) => e.name === "VERSION")?.value,
      intruder: "hacked",
      desired: "2",
      owner: [...CONTAINER, "f:env", 'k:{"name":"VERSION"}', "f:value"],
    },
    {
      field: "containers[api].securityContext.readOnlyRootFilesystem",
      read: (d: Deployment) => api(d)?.securityContext?.readOnlyRootFilesystem,
      intruder: false,
      desired: true,
      owner: [...CONTAINER, "f:securityContext", "f:readOnlyRootFilesystem"],
    },
  ];
  const intruderOwned = [
    {
      field: "metadata.annotations[team.io/note]",
      read: (d: Deployment) => d.metadata.annotations?.["team.io/note"],
      intruder: "owned by the team",
      owner: ["f:metadata", "f:annotations", "f:team.io/note"],
    },
    {
      field: "metadata.labels[team.io/owner]",
      read: (d: Deployment) => d.metadata.labels?.["team.io/owner"],
      intruder: "payments",
      owner: ["f:metadata", "f:labels", "f:team.io/owner"],
    },
    {
      field: "spec.template.spec.dnsPolicy",
      read: (d: Deployment) => d.spec.template.spec.dnsPolicy,
      intruder: "Default",
      owner: ["f:spec", "f:template", "f:spec", "f:dnsPolicy"],
    },
    {
      field: "spec.progressDeadlineSeconds",
      read: (d: Deployment) => d.spec.progressDeadlineSeconds,
      intruder: 300,
      owner: ["f:spec", "f:progressDeadlineSeconds"],
    },
    {
      field: "spec.template.metadata.annotations[team.io/scrape]",
      read: (d: Deployment) => d.spec.template.metadata?.annotations?.["team.io/scrape"],
      intruder: "true",
      owner: ["f:spec", "f:template", "f:metadata", "f:annotations", "f:team.io/scrape"],
    },
  ];
  const before = await client.get<Deployment>(DEPLOYMENTS, ns, "shop-api");
  for (const f of operatorOwned) assert.equal(f.read(before), f.desired, `${f.field} before`);

  const selector = { "app.kubernetes.io/instance": "shop-api", [ARCHITECTURE_LABEL]: "shop" };
  const started = Date.now();
  const intruded = await cluster.kubectl(
    [
      "apply",
      "--server-side",
      "--force-conflicts",
      "--field-manager=intruder",
      "-o",
      "json",
      "-n",
      ns,
      "-f",
      "-",
    ],
    {
      input: JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: "shop-api",
          annotations: { "team.io/note": "owned by the team" },
          labels: { "team.io/owner": "payments", "app.kubernetes.io/part-of": "intruder" },
        },
        spec: {
          replicas: 7,
          revisionHistoryLimit: 50,
          progressDeadlineSeconds: 300,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: selector, annotations: { "team.io/scrape": "true" } },
            spec: {
              dnsPolicy: "Default",
              containers: [
                {
                  name: "api",
                  image: "ghcr.io/evil/api:6",
                  env: [{ name: "VERSION", value: "hacked" }],
                  securityContext: { readOnlyRootFilesystem: false },
                },
              ],
            },
          },
        },
      }),
    },
  );
  // The intrusion landed in full (the API server's answer to it), so what
  // follows is the operator's doing.
  const hit = JSON.parse(intruded.stdout) as Deployment;
  for (const f of [...operatorOwned, ...intruderOwned])
    assert.equal(f.read(hit), f.intruder, `the intruder's ${f.field} did not land`);

  const back = await cluster.eventually(
    "every operator-owned field taken back",
    async () => {
      const d = await client.get<Deployment>(DEPLOYMENTS, ns, "shop-api");
      return operatorOwned.every((f) => f.read(d) === f.desired) ? d : undefined;
    },
    60_000,
  );
  const restoredMs = Date.now() - started;
  const managers = back.metadata.managedFields ?? [];
  const intruder = managers.find((m) => m.manager === "intruder");
  const operator = managers.find(
    (m) => m.manager === "archctl-operator" && m.operation === "Apply",
  );
  const owns = (fields: unknown, path: string[]) =>
    path.reduce<unknown>(
      (node, key) =>
        node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined,
      fields,
    ) !== undefined;
  const takenBack: string[] = [];
  for (const f of operatorOwned) {
    assert.ok(owns(operator?.fieldsV1, f.owner), `the operator does not own ${f.field}`);
    assert.ok(!owns(intruder?.fieldsV1, f.owner), `the intruder still owns ${f.field}`);
    takenBack.push(f.field);
  }
  const leftAlone: string[] = [];
  for (const f of intruderOwned) {
    assert.equal(f.read(back), f.intruder, `${f.field} was changed`);
    assert.ok(owns(intruder?.fieldsV1, f.owner), `the intruder lost ${f.field}`);
    assert.ok(!owns(operator?.fieldsV1, f.owner), `the operator took ${f.field}`);
    leftAlone.push(f.field);
  }
  await settle(op);
  // Not a fight: after taking them back, the operator writes no object again
  // (its status may still follow the rollout the intrusion started).
  const objectWrites = async () =>
    (await op.metrics.apiWrites.get()).values
      .filter((v) => v.labels.verb !== "status")
      .reduce((n, v) => n + v.value, 0);
  const quiet = await objectWrites();
  await sleep(3000);
  assert.equal(await objectWrites(), quiet, "the operator kept writing");
  const still = await client.get<Deployment>(DEPLOYMENTS, ns, "shop-api");
  for (const f of intruderOwned) assert.equal(f.read(still), f.intruder, `${f.field} later`);
  const events = JSON.parse(
    (await cluster.kubectl(["get", "events", "-n", ns, "-o", "json"])).stdout,
  ) as {
    items: { reason: string; message: string }[];
  };
  assert.ok(
    events.items.some((e) => e.reason === "Restored" && e.message.includes("shop-api")),
    "a Restored event",
  );
  t.diagnostic(
    `fields taken back: ${takenBack.length} of ${operatorOwned.length} operator-owned fields the intruder changed (${takenBack.join(", ")}) in ${restoredMs} ms; fields left alone: ${leftAlone.length} of ${intruderOwned.length} the intruder added (${leftAlone.join(", ")}); object writes by the operator in the 3 s after settling: ${(await objectWrites()) - quiet}`,
  );
});

test("two Architectures whose derived names meet (a/b-c and a-b/c) do not take over each other's objects", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "fault-names" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  const one = (name: string, component: string, image: string) =>
    architecture(name, ns, {
      components: [{ name: component, type: "service", image }],
      monitoring: { serviceMonitors: false, dashboard: false },
    });
  await applyArch(cluster, one("a", "b-c", "ghcr.io/example/one:1"));
  await cluster.eventually(
    "a Ready",
    async () => {
      const a = await getArchitecture(client, ns, "a");
      return a && isReady(a);
    },
    60_000,
  );
  await applyArch(cluster, one("a-b", "c", "ghcr.io/example/two:2"));
  const second = await cluster.eventually(
    "a-b Degraded",
    async () => {
      const a = await converged(cluster, client, ns, "a-b");
      return a.status?.phase === "Degraded" ? a : undefined;
    },
    60_000,
  );
  const degraded = second.status?.conditions?.find((c) => c.type === "Degraded");
  assert.equal(degraded?.reason, "NameTaken");
  assert.match(degraded?.message ?? "", /a-b-c: belongs to Architecture 'a' in this namespace/);
  await settle(op);
  const quiet = op.writes;
  await sleep(3000);
  assert.equal(op.writes, quiet, "the two Architectures fight over the objects");
  const first = await getArchitecture(client, ns, "a");
  assert.ok(first && isReady(first), "a is still Ready");
  for (const r of [DEPLOYMENTS, resourceFor("v1", "Service")]) {
    const o = await client.get<LiveObject>(r, ns, "a-b-c");
    assert.equal(o.metadata.labels?.[ARCHITECTURE_LABEL], "a", `${r.kind} relabelled`);
    assert.deepEqual(
      o.metadata.ownerReferences?.map((x) => x.uid),
      [first.metadata.uid],
      `${r.kind} owners`,
    );
  }
  const d = await client.get<LiveObject>(DEPLOYMENTS, ns, "a-b-c");
  const image = (d.spec as { template: { spec: { containers: { image: string }[] } } }).template
    .spec.containers[0]?.image;
  assert.equal(image, "ghcr.io/example/one:1");
  t.diagnostic(`a-b refused with: ${degraded?.message.slice(0, 160)}`);
});

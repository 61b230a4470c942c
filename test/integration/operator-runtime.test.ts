// The operator's runtime against a real kube-apiserver + etcd: optional
// integrations that appear while it runs, failure Events, health endpoints and
// metrics. Signals, shutdown and leader election are in operator-lifecycle.test.ts.
//
// Faults are made in the network, never by faking the API server: a TCP proxy
// between one operator and the API server can freeze (connections stay open,
// nothing moves) or cut (every connection reset, new ones refused), and a
// "black hole" accepts connections and never answers.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { EVENTS, resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { waitEstablished } from "../cluster/kubectl.ts";
import { applyArch } from "../support/apply-architecture.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import { httpGet } from "../support/http-get.ts";
import {
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  logLines,
  startOperator,
} from "../support/operator.ts";
import { apiServerAddress, kubeconfigFor } from "../support/proxied-kubeconfig.ts";
import { quotaOfNoServices } from "../support/quota.ts";
import { namedShop } from "../support/shop-architecture.ts";
import { tcpProxy } from "../support/tcp-proxy.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const HPAS = resourceFor("autoscaling/v2", "HorizontalPodAutoscaler");
const SCALED_OBJECTS = resourceFor("keda.sh/v1alpha1", "ScaledObject");
const TRIGGER_AUTHS = resourceFor("keda.sh/v1alpha1", "TriggerAuthentication");

test("KEDA installed while the operator runs: ScaledObject replaces the CPU HPA and KedaMissing clears; removed again, the HPA returns", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-keda" });
  const client = clientFor(cluster);
  await startOperator(t, cluster, ns, { discoverySeconds: 1 });
  const arch = namedShop("jobs", ns, {
    autoscaling: [
      {
        component: "worker",
        minReplicas: 1,
        maxReplicas: 5,
        queue: { component: "cache", name: "jobs:pending", targetLength: 5 },
      },
    ],
  });
  await applyArch(cluster, arch);
  const kedaMissing = (a: Awaited<ReturnType<typeof getArchitecture>>) =>
    a?.status?.conditions?.find((c) => c.type === "KedaMissing")?.status === "True";
  await cluster.eventually(
    "CPU HPA and KedaMissing",
    async () =>
      kedaMissing(await converged(cluster, client, ns, "jobs")) &&
      (await client.find(HPAS, ns, "jobs-worker")) !== undefined,
    30_000,
  );

  const crd = (plural: string, kind: string) => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.keda.sh` },
    spec: {
      group: "keda.sh",
      scope: "Namespaced",
      names: { plural, kind, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          },
        },
      ],
    },
  });
  const crds = ["scaledobjects.keda.sh", "triggerauthentications.keda.sh"];
  const deleteCrds = async () => {
    await cluster.kubectl(["delete", "crd", ...crds, "--ignore-not-found", "--wait=true"], {
      reject: false,
      timeoutMs: 60_000,
    });
  };
  t.after(deleteCrds);
  const installed = Date.now();
  await cluster.apply(undefined, [
    crd("scaledobjects", "ScaledObject"),
    crd("triggerauthentications", "TriggerAuthentication"),
  ]);
  await waitEstablished(cluster.kubectl, crds);
  await cluster.eventually(
    "ScaledObject instead of the HPA, KedaMissing gone",
    async () =>
      (await client.find(SCALED_OBJECTS, ns, "jobs-worker")) !== undefined &&
      (await client.find(TRIGGER_AUTHS, ns, "jobs-worker-queue")) !== undefined &&
      (await client.find(HPAS, ns, "jobs-worker")) === undefined &&
      !kedaMissing(await getArchitecture(client, ns, "jobs")),
    30_000,
  );
  const noticedMs = Date.now() - installed;

  await deleteCrds();
  const removed = Date.now();
  await cluster.eventually(
    "the CPU HPA and KedaMissing back",
    async () =>
      (await client.find(HPAS, ns, "jobs-worker")) !== undefined &&
      kedaMissing(await getArchitecture(client, ns, "jobs")),
    30_000,
  );
  t.diagnostic(
    `KEDA noticed and used ${noticedMs} ms after its CRDs were created; their removal handled in ${Date.now() - removed} ms (discovery every 1 s here, 30 s by default)`,
  );
});

test("a reconcile the API server refuses gets one Warning Event ReconcileFailed, not one per retry", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-failed" });
  const client = clientFor(cluster);
  // No Service may exist in this namespace: admission refuses each one (403).
  await quotaOfNoServices(cluster, ns);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, namedShop("shop", ns));
  const failures = () => logLines(op).filter((l) => l.includes('"reconcile failed; will retry"'));
  await cluster.eventually("several failed reconciles", async () => failures().length >= 5, 30_000);
  const events = async () =>
    (await client.list<KubeObject>(EVENTS, ns)).items.filter(
      (e) =>
        (e.regarding as { name?: string } | undefined)?.name === "shop" &&
        e.reason === "ReconcileFailed",
    );
  const first = await cluster.eventually("a ReconcileFailed Event", async () => {
    const list = await events();
    return list.length > 0 ? list : undefined;
  });
  assert.equal(first[0]?.type, "Warning");
  assert.match(
    String(first[0]?.note),
    /reconcile failed \(\d+ in a row; retrying in .*\): .*exceeded quota: no-services/,
  );
  const seen = failures().length;
  await sleep(3_000);
  assert.ok(failures().length > seen, "still retrying");
  assert.equal((await events()).length, 1, `one Event for ${failures().length} failed reconciles`);
  // And the Architecture's status says which child and why: it was left with none.
  const arch = await getArchitecture(client, ns, "shop");
  const degraded = arch?.status?.conditions?.find((c) => c.type === "Degraded");
  assert.equal(degraded?.reason, "ApplyFailed");
  assert.match(degraded?.message ?? "", /Service shop-\w+: .*exceeded quota: no-services/);
  t.diagnostic(`${failures().length} failed reconciles, 1 ReconcileFailed Event`);
});

test("/healthz fails when the caches cannot list or watch for too long and recovers with them; /readyz after sync; /metrics has process and reconcile metrics; a TTL reconcile counts as success", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-health" });
  const client = clientFor(cluster);
  const proxy = await tcpProxy(apiServerAddress(cluster));
  t.after(() => proxy.close());
  const port = await freePort();
  await startOperator(t, cluster, ns, {
    kubeconfig: kubeconfigFor(t, cluster, proxy.url),
    metricsAddress: `127.0.0.1:${port}`,
    processMetrics: true,
    unhealthyAfterSeconds: 2,
  });
  assert.equal((await httpGet(port, "/readyz")).status, 200);
  assert.equal((await httpGet(port, "/healthz")).status, 200);

  await applyArch(cluster, namedShop("brief", ns, { ttl: "1h" }));
  await converged(cluster, client, ns, "brief");
  const metrics = (await httpGet(port, "/metrics")).body;
  assert.match(metrics, /^process_resident_memory_bytes \d+/m);
  assert.match(metrics, /^archctl_reconcile_total\{result="success"\} [1-9]/m);
  assert.doesNotMatch(metrics, /archctl_reconcile_total\{result="(requeue|error)"\}/);

  proxy.cut();
  const cutAt = Date.now();
  const sick = await cluster.eventually(
    "/healthz 503",
    async () => {
      const r = await httpGet(port, "/healthz");
      return r.status === 503 ? r : undefined;
    },
    20_000,
  );
  const sickAfterMs = Date.now() - cutAt;
  assert.match(sick.body, /the cache of .* has failed to list or watch for \d+ s \(last error: /);
  assert.ok(Date.now() - cutAt >= 2_000, "not before unhealthyAfterSeconds");
  assert.equal((await httpGet(port, "/readyz")).status, 200, "synced caches stay ready");

  proxy.open();
  const openedAt = Date.now();
  await cluster.eventually(
    "/healthz 200 again",
    async () => (await httpGet(port, "/healthz")).status === 200,
    45_000,
  );
  t.diagnostic(
    `/healthz 503 ${sickAfterMs} ms after the API server was cut off (limit 2 s); 200 again ${Date.now() - openedAt} ms after it was reachable`,
  );
});

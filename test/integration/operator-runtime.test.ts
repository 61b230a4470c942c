// The operator's runtime against a real kube-apiserver + etcd: signals and
// shutdown of the real `archctl operator run` process, leader election when
// the leader's connection hangs, optional integrations that appear while it
// runs, failure Events, health endpoints and metrics.
//
// Faults are made in the network, never by faking the API server: a TCP proxy
// between one operator and the API server can freeze (connections stay open,
// nothing moves) or cut (every connection reset, new ones refused), and a
// "black hole" accepts connections and never answers.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { connect, createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Watch } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import type { Architecture } from "../../operator/api/schema.ts";
import { EVENTS, LEASES, resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { Lease } from "../../operator/runtime/leader.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import {
  architecture,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  logLines,
  startOperator,
} from "../support/operator.ts";
import type { OperatorProcess } from "../support/operator-process.ts";
import { runOperatorProcess } from "../support/operator-process.ts";
import { quotaOfNoServices } from "../support/quota.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const HPAS = resourceFor("autoscaling/v2", "HorizontalPodAutoscaler");
const SCALED_OBJECTS = resourceFor("keda.sh/v1alpha1", "ScaledObject");
const TRIGGER_AUTHS = resourceFor("keda.sh/v1alpha1", "TriggerAuthentication");

function shop(name: string, ns: string, extra: Partial<Architecture["spec"]> = {}): Architecture {
  return architecture(name, ns, {
    components: [
      { name: "api", type: "service", image: "ghcr.io/example/shop-api:1.0", uses: ["cache"] },
      { name: "cache", type: "redis" },
      { name: "worker", type: "worker", image: "ghcr.io/example/shop-worker:1.0", uses: ["cache"] },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
    ...extra,
  });
}

async function applyArch(arch: Architecture): Promise<void> {
  await clientFor(cluster).apply(arch as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

const tmp = mkdtempSync(join(tmpdir(), "archctl-runtime-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the test cluster's kubeconfig that points at `server`. */
function kubeconfigFor(t: TestContext, server: string): string {
  const doc = parse(readFileSync(cluster.kubeconfig, "utf8")) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of doc.clusters) c.cluster.server = server;
  const file = join(tmp, `${t.name.replace(/\W+/g, "-").slice(0, 40)}.kubeconfig`);
  writeFileSync(file, stringify(doc));
  t.after(() => rmSync(file, { force: true }));
  return file;
}

function apiServerAddress(): { host: string; port: number } {
  const url = new URL(cluster.kc.getCurrentCluster()?.server ?? "");
  return { host: url.hostname, port: Number(url.port) };
}

type ProxyMode = "open" | "frozen" | "cut";

/** A TCP proxy to the API server whose connections can be frozen or cut. */
async function tcpProxy(target: { host: string; port: number }) {
  let mode: ProxyMode = "open";
  const pairs = new Set<[Socket, Socket | undefined]>();
  const server = createServer((client) => {
    client.on("error", () => {});
    if (mode === "cut") {
      client.resetAndDestroy();
      return;
    }
    if (mode === "frozen") {
      client.pause();
      pairs.add([client, undefined]);
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.add([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    /** Connections stay open and nothing passes: requests hang until they time out. */
    freeze() {
      mode = "frozen";
      for (const [client, upstream] of pairs) {
        if (!upstream) continue;
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    /** Every connection reset, new ones refused. */
    cut() {
      mode = "cut";
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream?.destroy();
      }
      pairs.clear();
    },
    open() {
      mode = "open";
    },
    async close() {
      this.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Watches one Lease and records each holder change with the time it was seen. */
async function watchLease(t: TestContext, ns: string, name: string) {
  const seen: { at: number; holder: string }[] = [];
  const abort = await new Watch(cluster.kc).watch(
    `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
    { fieldSelector: `metadata.name=${name}` },
    (_phase, obj: Lease) => {
      const holder = obj.spec?.holderIdentity ?? "";
      if (seen.at(-1)?.holder !== holder) seen.push({ at: Date.now(), holder });
    },
    () => {},
  );
  t.after(() => abort.abort());
  return seen;
}

const identityOf = (p: OperatorProcess) => `${hostname()}-${p.child.pid}`;

async function exitWithin(
  p: OperatorProcess,
  ms: number,
): Promise<number | null | "still running"> {
  return Promise.race([p.exited, sleep(ms).then(() => "still running" as const)]);
}

test("SIGTERM while reconciling: in-flight work finishes, the lease is released, exit 0; the follower takes over at once and Ctrl-C stops it with exit 0 too", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-signals" });
  const client = clientFor(cluster);
  const leaseName = "archctl-signals";
  const args = ["--leader-elect", "--lease-namespace", ns, "--lease-name", leaseName];
  const holders = await watchLease(t, ns, leaseName);

  const a = runOperatorProcess(cluster.kubeconfig, ns, { extra: args });
  t.after(() => a.child.kill("SIGKILL"));
  await cluster.eventually("a leads", async () => holders.at(-1)?.holder === identityOf(a), 30_000);
  const b = runOperatorProcess(cluster.kubeconfig, ns, { extra: args });
  t.after(() => b.child.kill("SIGKILL"));
  await cluster.eventually(
    "b synced (a follower)",
    async () => b.lines.some((l) => l.includes('"caches synced"')),
    30_000,
  );

  const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
  await Promise.all(names.map((n) => applyArch(shop(n, ns))));
  // Signal as soon as a reconcile is half way: it has applied one object.
  // (Polled tightly: the whole batch takes about a second.)
  const deadline = Date.now() + 30_000;
  while (!a.lines.some((l) => l.includes('"msg":"applied"')) && Date.now() < deadline)
    await sleep(10);
  a.child.kill("SIGTERM");
  const code = await exitWithin(a, 30_000);
  assert.equal(code, 0, `SIGTERM exit code; output:\n${a.output().slice(-3000)}`);
  const aLog = a.lines.map((l) => JSON.parse(l) as { msg: string });
  const msgs = aLog.map((l) => l.msg);
  assert.ok(msgs.includes("signal received; shutting down"), "graceful path taken");
  const signalAt = msgs.indexOf("signal received; shutting down");
  assert.ok(
    msgs.slice(signalAt).includes("applied"),
    "reconciles in flight at the signal went on applying",
  );
  assert.ok(msgs.includes("released the lease"), "lease released");
  assert.ok(
    msgs.indexOf("released the lease") > msgs.lastIndexOf("applied"),
    "the lease is released after the last write",
  );
  assert.equal(msgs.at(-1), "stopped");
  assert.ok(
    !msgs.includes("reconcile failed; will retry"),
    "in-flight reconciles finished cleanly",
  );
  assert.ok(!msgs.includes("reconcile cut short: no longer the leader"));

  // Released means: the Lease was seen with no holder, then b took it.
  await cluster.eventually("b leads", async () => holders.at(-1)?.holder === identityOf(b), 20_000);
  const released = holders.findIndex((h) => h.holder === "");
  assert.ok(released > 0, `holders seen: ${JSON.stringify(holders)}`);
  const takeover = holders.find((h, i) => i > released && h.holder === identityOf(b));
  const takeoverMs = (takeover?.at ?? 0) - (holders[released]?.at ?? 0);
  // A released lease is taken at the follower's next retry (2 s). The bound is
  // the behaviour, not a speed: waiting the lease out would take its whole
  // duration (15 s) after the release, however quiet the machine.
  assert.ok(
    takeoverMs < 15_000,
    `takeover ${takeoverMs} ms after the release: the follower waited for the lease to expire`,
  );
  t.diagnostic(`takeover ${takeoverMs} ms after the lease was released (lease 15 s, retry 2 s)`);

  for (const n of names) await converged(cluster, client, ns, n, 30_000);
  b.child.kill("SIGINT");
  assert.equal(
    await exitWithin(b, 30_000),
    0,
    `Ctrl-C exit code; output:\n${b.output().slice(-3000)}`,
  );
  const lease = await client.get<Lease>(LEASES, ns, leaseName);
  assert.equal(lease.spec?.holderIdentity ?? null, null, "b released it too");
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} during start-up (API server not answering yet) exits 0 at once; probes answer meanwhile`, async (t) => {
    const held: Socket[] = [];
    const hole = createServer((s) => {
      s.on("error", () => {});
      held.push(s);
    });
    await new Promise<void>((resolve) => hole.listen(0, "127.0.0.1", resolve));
    t.after(() => {
      for (const s of held) s.destroy();
      hole.close();
    });
    const kubeconfig = kubeconfigFor(
      t,
      `https://127.0.0.1:${(hole.address() as { port: number }).port}`,
    );
    const port = await freePort();
    const op = runOperatorProcess(kubeconfig, "default", { metricsPort: port });
    t.after(() => op.child.kill("SIGKILL"));
    await cluster
      .eventually("the operator's first request", async () => held.length > 0, 30_000)
      .catch((e) => {
        throw new Error(`${e.message}\n${op.output()}`);
      });

    const health = await get(port, "/healthz");
    const ready = await get(port, "/readyz");
    assert.equal(health.status, 200, "alive while waiting for the API server");
    assert.equal(ready.status, 503);
    assert.match(ready.body, /caches not synced yet/);

    const sent = Date.now();
    op.child.kill(signal);
    const code = await exitWithin(op, 10_000);
    assert.equal(code, 0, `exit code after ${signal}; output:\n${op.output().slice(-2000)}`);
    assert.match(op.output(), /"msg":"shutting down"/);
    t.diagnostic(`exited ${Date.now() - sent} ms after ${signal}`);
  });
}

test("a leader whose connection hangs steps down at the renew deadline, before anyone can take over; never two leaders", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-hung-renew" });
  const client = clientFor(cluster);
  const proxy = await tcpProxy(apiServerAddress());
  t.after(() => proxy.close());
  const timing = { leaseDurationSeconds: 6, renewDeadlineMs: 4_000, retryPeriodMs: 1_000 };
  const lease = { leaderElection: true, leaseNamespace: ns, leaseName: "archctl-hung", ...timing };
  let lost: { at: number; why: string } | undefined;
  const a = await startOperator(t, cluster, ns, {
    ...lease,
    identity: "a",
    kubeconfig: kubeconfigFor(t, proxy.url),
    onLostLeadership: (why) => {
      lost = { at: Date.now(), why };
    },
  });
  await cluster.eventually("a leads", async () => a.isLeader, 20_000);
  const b = await startOperator(t, cluster, ns, { ...lease, identity: "b" });
  await applyArch(shop("shop", ns));
  await converged(cluster, client, ns, "shop");
  assert.ok(a.writes > 0 && b.writes === 0, "a does the work");

  proxy.freeze();
  const frozenAt = Date.now();
  let aSteppedDown: number | undefined;
  let bLeads: number | undefined;
  while (Date.now() - frozenAt < 20_000 && bLeads === undefined) {
    const [al, bl] = [a.isLeader, b.isLeader];
    assert.ok(!(al && bl), `two leaders ${Date.now() - frozenAt} ms after the freeze`);
    if (!al && aSteppedDown === undefined) aSteppedDown = Date.now() - frozenAt;
    if (bl) bLeads = Date.now() - frozenAt;
    await sleep(25);
  }
  // Order and cause, not speed: that a steps down at the deadline to the
  // millisecond is test/unit/operator/leader.test.ts's, on an injected clock.
  assert.ok(aSteppedDown !== undefined, "a never stepped down");
  assert.ok(bLeads !== undefined, "b never took over");
  assert.ok(bLeads > aSteppedDown, `b led ${bLeads} ms, a stepped down ${aSteppedDown} ms`);
  assert.match(lost?.why ?? "", /not renewed within the renew deadline \(4000 ms\)/);
  t.diagnostic(
    `a stepped down ${aSteppedDown} ms after its connection froze (renew deadline 4 s); b took over after ${bLeads} ms (lease 6 s)`,
  );

  // The new leader does the work.
  const before = b.writes;
  await applyArch(shop("shop", ns, { components: shop("shop", ns).spec.components.slice(0, 2) }));
  await converged(cluster, client, ns, "shop");
  await cluster.eventually("b wrote", async () => b.writes > before);
  await a.stop();
});

test("operator run exits 1 as soon as it can no longer renew its lease (client-go's choice), within the renew deadline", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-lost-exit" });
  const proxy = await tcpProxy(apiServerAddress());
  t.after(() => proxy.close());
  const leaseName = "archctl-lost";
  const holders = await watchLease(t, ns, leaseName);
  const a = runOperatorProcess(kubeconfigFor(t, proxy.url), ns, {
    extra: ["--leader-elect", "--lease-namespace", ns, "--lease-name", leaseName],
  });
  t.after(() => a.child.kill("SIGKILL"));
  await cluster.eventually("a leads", async () => holders.at(-1)?.holder === identityOf(a), 30_000);
  proxy.freeze();
  const frozenAt = Date.now();
  const code = await exitWithin(a, 20_000);
  const exitedMs = Date.now() - frozenAt;
  assert.equal(code, 1, `exit code; output:\n${a.output().slice(-2000)}`);
  // Renew deadline: 10 s from the start of the last successful renew (at most
  // the freeze itself); a successor could take over 15 s after it. The bound
  // is that lease duration (the behaviour: gone before anyone may take over),
  // not a speed; the deadline itself is tested on an injected clock
  // (test/unit/operator/leader.test.ts).
  assert.ok(
    exitedMs < 15_000,
    `exited ${exitedMs} ms after its connection froze: a successor could have taken over`,
  );
  assert.match(
    a.output(),
    /"msg":"lost leadership; exiting so that a restart rejoins as a follower"/,
  );
  t.diagnostic(`exited 1 ${exitedMs} ms after its connection froze (renew deadline 10 s)`);
});

test("KEDA installed while the operator runs: ScaledObject replaces the CPU HPA and KedaMissing clears; removed again, the HPA returns", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-keda" });
  const client = clientFor(cluster);
  await startOperator(t, cluster, ns, { discoverySeconds: 1 });
  const arch = shop("jobs", ns, {
    autoscaling: [
      {
        component: "worker",
        minReplicas: 1,
        maxReplicas: 5,
        queue: { component: "cache", name: "jobs:pending", targetLength: 5 },
      },
    ],
  });
  await applyArch(arch);
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
  await cluster.kubectl(["wait", "--for=condition=Established", ...crds.map((c) => `crd/${c}`)]);
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
  await applyArch(shop("shop", ns));
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
  const proxy = await tcpProxy(apiServerAddress());
  t.after(() => proxy.close());
  const port = await freePort();
  await startOperator(t, cluster, ns, {
    kubeconfig: kubeconfigFor(t, proxy.url),
    metricsAddress: `127.0.0.1:${port}`,
    processMetrics: true,
    unhealthyAfterSeconds: 2,
  });
  assert.equal((await get(port, "/readyz")).status, 200);
  assert.equal((await get(port, "/healthz")).status, 200);

  await applyArch(shop("brief", ns, { ttl: "1h" }));
  await converged(cluster, client, ns, "brief");
  const metrics = (await get(port, "/metrics")).body;
  assert.match(metrics, /^process_resident_memory_bytes \d+/m);
  assert.match(metrics, /^archctl_reconcile_total\{result="success"\} [1-9]/m);
  assert.doesNotMatch(metrics, /archctl_reconcile_total\{result="(requeue|error)"\}/);

  proxy.cut();
  const cutAt = Date.now();
  const sick = await cluster.eventually(
    "/healthz 503",
    async () => {
      const r = await get(port, "/healthz");
      return r.status === 503 ? r : undefined;
    },
    20_000,
  );
  const sickAfterMs = Date.now() - cutAt;
  assert.match(sick.body, /the cache of .* has failed to list or watch for \d+ s \(last error: /);
  assert.ok(Date.now() - cutAt >= 2_000, "not before unhealthyAfterSeconds");
  assert.equal((await get(port, "/readyz")).status, 200, "synced caches stay ready");

  proxy.open();
  const openedAt = Date.now();
  await cluster.eventually(
    "/healthz 200 again",
    async () => (await get(port, "/healthz")).status === 200,
    45_000,
  );
  t.diagnostic(
    `/healthz 503 ${sickAfterMs} ms after the API server was cut off (limit 2 s); 200 again ${Date.now() - openedAt} ms after it was reachable`,
  );
});

// The operator's lifecycle against a real kube-apiserver + etcd: signals and
// shutdown of the real `archctl operator run` process, and leader election when
// the leader's connection hangs. Integrations, Events, health and metrics are
// in operator-runtime.test.ts.
//
// Faults are made in the network, never by faking the API server: a TCP proxy
// between one operator and the API server can freeze (connections stay open,
// nothing moves) or cut (every connection reset, new ones refused), and a
// "black hole" accepts connections and never answers.
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { createServer } from "node:net";
import { hostname } from "node:os";
import type { TestContext } from "node:test";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Watch } from "@kubernetes/client-node";
import { LEASES } from "../../operator/kube/resources.ts";
import type { Lease } from "../../operator/runtime/leader.ts";
import { applyArch } from "../support/apply-architecture.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import { httpGet } from "../support/http-get.ts";
import { clientFor, converged, installCrd, startOperator } from "../support/operator.ts";
import type { OperatorProcess } from "../support/operator-process.ts";
import { runOperatorProcess } from "../support/operator-process.ts";
import { apiServerAddress, kubeconfigFor } from "../support/proxied-kubeconfig.ts";
import { namedShop } from "../support/shop-architecture.ts";
import { tcpProxy } from "../support/tcp-proxy.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

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
  await Promise.all(names.map((n) => applyArch(cluster, namedShop(n, ns))));
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
      cluster,
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

    const health = await httpGet(port, "/healthz");
    const ready = await httpGet(port, "/readyz");
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
  const proxy = await tcpProxy(apiServerAddress(cluster));
  t.after(() => proxy.close());
  const timing = { leaseDurationSeconds: 6, renewDeadlineMs: 4_000, retryPeriodMs: 1_000 };
  const lease = { leaderElection: true, leaseNamespace: ns, leaseName: "archctl-hung", ...timing };
  let lost: { at: number; why: string } | undefined;
  const a = await startOperator(t, cluster, ns, {
    ...lease,
    identity: "a",
    kubeconfig: kubeconfigFor(t, cluster, proxy.url),
    onLostLeadership: (why) => {
      lost = { at: Date.now(), why };
    },
  });
  await cluster.eventually("a leads", async () => a.isLeader, 20_000);
  const b = await startOperator(t, cluster, ns, { ...lease, identity: "b" });
  await applyArch(cluster, namedShop("shop", ns));
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
  await applyArch(
    cluster,
    namedShop("shop", ns, { components: namedShop("shop", ns).spec.components.slice(0, 2) }),
  );
  await converged(cluster, client, ns, "shop");
  await cluster.eventually("b wrote", async () => b.writes > before);
  await a.stop();
});

test("operator run exits 1 as soon as it can no longer renew its lease (client-go's choice), within the renew deadline", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "rt-lost-exit" });
  const proxy = await tcpProxy(apiServerAddress(cluster));
  t.after(() => proxy.close());
  const leaseName = "archctl-lost";
  const holders = await watchLease(t, ns, leaseName);
  const a = runOperatorProcess(kubeconfigFor(t, cluster, proxy.url), ns, {
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

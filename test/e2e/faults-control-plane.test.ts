// Faults on the whole local cluster (kwok tier), one of four files
// (faults-*.test.ts): the API server and etcd restarted under a running
// operator, and an API server blip under `apply --wait`. Each test prints its
// figures with t.diagnostic.
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { resourceFor } from "../../operator/kube/resources.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { restartControlPlane } from "../support/control-plane-restart.ts";
import { isReady, small } from "../support/fault-architectures.ts";
import { gcWatchesArchitectures } from "../support/gc-watches-architectures.ts";
import type { LiveObject } from "../support/live-object.ts";
import {
  applyArch,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  settle,
  startOperator,
} from "../support/operator.ts";
import { MAIN, tempDir } from "../unit/cli/helpers.ts";

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
  await gcWatchesArchitectures(cluster);
});

const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");

test("API server and etcd restarted under a running operator: watches resume, an Architecture created and one changed right after the restart are reconciled", async (t) => {
  if (!cluster.local) {
    t.skip("needs the local cluster (restarts its processes)");
    return;
  }
  const ns = await cluster.namespace(t, { prefix: "fault-api" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, small("steady", ns, 1, false));
  await cluster.eventually(
    "steady Ready",
    async () => {
      const a = await getArchitecture(client, ns, "steady");
      return a && isReady(a);
    },
    120_000,
  );
  await settle(op);
  const restartsBefore = (await op.metrics.watchRestarts.get()).values.reduce(
    (s, v) => s + v.value,
    0,
  );

  // Only etcd and kube-apiserver go down (SIGKILL) and come back with the same
  // command lines: `kwokctl stop/start cluster` restarts every component, and
  // its restarted kwok controller no longer moves new pods to Running (seen on
  // kwok 0.8.0), which would make "Ready" unreachable for reasons of the test bed.
  const down = Date.now();
  // Restarted at once: while its ports are free, another cluster created on this
  // machine may take them (kwokctl picks free ports; seen happen with a 3 s gap).
  await restartControlPlane(cluster.local.name, ["kube-apiserver", "etcd"], 0);
  // As soon as the API answers again (a second client, not the operator): create
  // one Architecture and change another, before the operator's watches are back.
  const newcomer = small("newcomer", ns, 1, true);
  let up = 0;
  for (let i = 0; i < 600; i++) {
    try {
      await applyArch(cluster, newcomer);
      up = Date.now();
      break;
    } catch {
      await sleep(100);
    }
  }
  assert.ok(up > 0, "the API server did not come back");
  await applyArch(cluster, small("steady", ns, 2, false)); // replicas 1 -> 2... (version 2: replicas 1, VERSION=2)
  const restartsAtUp = (await op.metrics.watchRestarts.get()).values.reduce(
    (s, v) => s + v.value,
    0,
  );

  const changed = await cluster.eventually(
    "the change made during the restart lands",
    async () => {
      const d = await client.find<LiveObject>(DEPLOYMENTS, ns, "steady-api");
      const env0 = (
        (
          d?.spec?.template as {
            spec: { containers: { env?: { name: string; value?: string }[] }[] };
          }
        )?.spec.containers[0]?.env ?? []
      ).find((e) => e.name === "VERSION");
      return env0?.value === "2";
    },
    180_000,
  );
  assert.ok(changed);
  const changeMs = Date.now() - up;
  await converged(cluster, client, ns, "steady", 120_000);
  await cluster.eventually(
    "the newcomer Ready",
    async () => {
      const a = await getArchitecture(client, ns, "newcomer");
      return a && isReady(a);
    },
    180_000,
  );
  const newcomerMs = Date.now() - up;
  await cluster.eventually(
    "steady Ready again",
    async () => {
      const a = await getArchitecture(client, ns, "steady");
      return a && isReady(a);
    },
    120_000,
  );
  const restartsAfter = (await op.metrics.watchRestarts.get()).values.reduce(
    (s, v) => s + v.value,
    0,
  );
  t.diagnostic(
    `API server down ${up - down} ms (stop -> first successful write); after it answered: the change landed in ${changeMs} ms, the newcomer was Ready in ${newcomerMs} ms; archctl_watch_restarts_total ${restartsBefore} -> ${restartsAtUp} (when it answered) -> ${restartsAfter}`,
  );
  assert.ok(restartsAfter > restartsBefore, "archctl_watch_restarts_total did not go up");
  // Backoff, not a hot loop: while the API server is down, each informer retries
  // 250 ms, 500 ms, 1 s, ... apart, not every 250 ms.
  const informers = (await op.metrics.watchRestarts.get()).values.length;
  const perInformer = (restartsAtUp - restartsBefore) / Math.max(1, informers);
  assert.ok(
    perInformer <= Math.log2(Math.max(1, (up - down) / 250)) + 3,
    `${perInformer.toFixed(1)} watch restarts per informer in a ${up - down} ms outage: no backoff`,
  );
});

test("apply --wait rides out an API server blip: exit 0, and its plain output says once that it lost contact and once that the API server answers again", async (t) => {
  if (!cluster.local) {
    t.skip("needs the local cluster (restarts its API server)");
    return;
  }
  const ns = await cluster.namespace(t, { prefix: "fault-blip" });
  const client = clientFor(cluster);
  await startOperator(t, cluster, ns);
  // A gate, so that the CLI is still waiting when the API server goes: the pod
  // needs a GPU node labelled for this test, and the label comes after the blip.
  const gpu = (await cluster.gpuNodes())[0];
  assert.ok(gpu, "no GPU node in the cluster");
  const GATE = "archctl.io/blip-gate";
  t.after(async () => {
    await cluster.kubectl(["label", "node", gpu, `${GATE}-`], { reject: false });
  });
  const file = join(tempDir(), "blip.yaml");
  writeFileSync(
    file,
    `apiVersion: archctl.io/v1alpha1
kind: Architecture
metadata:
  name: blip
spec:
  components:
    - name: api
      type: service
      image: ghcr.io/example/api:1
      replicas: 1
      gpu: { pool: gated, count: 1 }
  gpuPools:
    - name: gated
      nodeSelector: { ${GATE}: ${ns} }
  monitoring: { serviceMonitors: false, dashboard: false }
`,
  );
  const started = Date.now();
  const cli = spawn(
    process.execPath,
    [MAIN, "--kubeconfig", cluster.kubeconfig, "-n", ns, "apply", "-f", file, "--wait"],
    {
      env: { ...process.env, NO_COLOR: "1", ARCHCTL_DEBUG: "", CI: "" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 240_000,
      killSignal: "SIGKILL",
    },
  );
  let stdout = "";
  let stderr = "";
  cli.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  cli.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((r) => cli.once("exit", (code) => r(code)));
  t.after(() => cli.kill("SIGKILL"));

  // The CLI is following a reconciled, not yet Ready Architecture.
  await cluster.eventually(
    "blip reconciled and the CLI following it",
    async () => {
      const a = await getArchitecture(client, ns, "blip");
      return (
        a?.status?.observedGeneration === a?.metadata.generation &&
        a?.status?.phase !== "Ready" &&
        /^\d{4}-\d\d-\d\dT\S+Z /m.test(stderr)
      );
    },
    60_000,
  );
  // Down for 4 s (connections to its port reset meanwhile): longer than the
  // CLI's 1 s between reads, so that it must notice.
  const down = Date.now();
  await restartControlPlane(cluster.local.name, ["kube-apiserver"], 4_000);
  await cluster.eventually(
    "the API server answers again",
    async () =>
      (await cluster.kubectl(["get", "--raw=/readyz"], { reject: false, timeoutMs: 5_000 }))
        .exitCode === 0,
    120_000,
  );
  const downMs = Date.now() - down;
  await cluster.kubectl(["label", "node", gpu, `${GATE}=${ns}`, "--overwrite"]);
  const code = await exited;
  const tookMs = Date.now() - started;

  const lines = stderr.split("\n");
  const lost = lines.filter((l) => /^\S+Z lost contact with the API server \(/.test(l));
  const back = lines.filter((l) => /^\S+Z the API server answers again$/.test(l));
  t.diagnostic(
    `API server down ${downMs} ms (SIGKILL -> /readyz ok) while apply --wait ran; apply --wait exit ${code} after ${tookMs} ms; ${lost.length} 'lost contact' line(s), ${back.length} 'answers again' line(s): ${[...lost, ...back].map((l) => JSON.stringify(l.slice(0, 140))).join(" / ")}`,
  );
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  assert.match(stdout, /✓ blip is Ready \(1\/1 components\)/);
  assert.equal(lost.length, 1, stderr);
  assert.equal(back.length, 1, stderr);
  assert.ok(
    stderr.indexOf(lost[0] as string) < stderr.indexOf(back[0] as string),
    "'answers again' before 'lost contact'",
  );
  assert.ok(!stderr.includes("\u001b["), "escape codes in the plain output");
});

// The local cluster's own lifecycle, on throw-away clusters (never the shared
// test cluster): `up` is idempotent, every process it starts listens on
// 127.0.0.1 only, `down` stops exactly the processes it recorded and nothing
// else, and `node test/cluster/cli.ts up|status|kubeconfig|down` does the same
// from the command line. Skipped when the suites run against an existing
// cluster: then nothing local may be started.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  type ClusterInfo,
  type ClusterTier,
  clusterDir,
  clusterDown,
  clusterPids,
  clusterStatus,
  clusterUp,
  kubectl,
} from "../cluster/kwok-cluster.ts";
import {
  listenersOf,
  processesMentioning,
  processRunning,
  processState,
} from "../cluster/procfs.ts";
import { existingClusterKubeconfig } from "../support/cluster.ts";
import { ROOT, runNode } from "../unit/cli/helpers.ts";

const skip = existingClusterKubeconfig()
  ? "an existing cluster is in use (ARCHCTL_TEST_KUBECONFIG / ARCHCTL_USE_EXISTING_CLUSTER): no local cluster is started"
  : false;

const COMPONENTS: Record<ClusterTier, string[]> = {
  apiserver: ["etcd", "kube-apiserver"],
  kwok: ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"],
};

const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);
const progressTo = (lines: string[]) => (line: string) => {
  lines.push(line);
  process.stderr.write(`# ${line}\n`);
};

/** A process whose command line names the cluster's folder but that the cluster did not start. */
async function bystander(dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["-e", 'process.stdout.write("up"); setInterval(() => {}, 60000)', `${dir}/bystander`],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  await new Promise((resolve) => child.stdout?.once("data", resolve));
  return child;
}

// One cluster per tier; the kwok tier gets a small node set (the node code
// itself is proven in cluster.test.ts).
for (const tier of ["apiserver", "kwok"] as const) {
  describe(`cluster lifecycle, ${tier} tier`, { skip, timeout: 10 * 60_000 }, () => {
    const name = `archctl-test-life-${tier === "kwok" ? "kwok-" : ""}${process.pid}`;
    const dir = skip ? "" : clusterDir(name);
    const opts = {
      name,
      tier,
      ...(tier === "kwok" ? { nodes: { workers: 1, gpuNodes: 1 } } : {}),
      timeoutMs: 5 * 60_000,
    };
    let first: ClusterInfo;

    after(async () => {
      // Whatever failed above, leave no cluster behind.
      await clusterDown({ name });
    });

    test("up creates it; up again says 'already running', same server, no new processes", async () => {
      assert.equal(existsSync(dir), false, `${dir} exists before the test: a leftover?`);
      const lines1: string[] = [];
      first = await clusterUp({ ...opts, onProgress: progressTo(lines1) });
      assert.equal(first.started, true);
      assert.match(first.server, /^https:\/\/127\.0\.0\.1:\d+$/);
      const pids = clusterPids(name);
      assert.deepEqual([...pids.keys()].sort(), [...COMPONENTS[tier]].sort());

      const lines2: string[] = [];
      const second = await clusterUp({ ...opts, onProgress: progressTo(lines2) });
      assert.equal(second.started, false);
      assert.ok(
        lines2.some((l) => l === `cluster ${name} is already running`),
        lines2.join("\n"),
      );
      assert.equal(second.server, first.server);
      assert.equal(second.kubeconfig, first.kubeconfig);
      assert.deepEqual(clusterPids(name), pids, "the second up started or lost processes");
      const ready = await kubectl(second.kubeconfig, ["get", "--raw=/readyz"]);
      assert.equal(ready.stdout.trim(), "ok");
    });

    test("every process it started listens on 127.0.0.1 only, and none is unrecorded", () => {
      const pids = clusterPids(name);
      const port = Number(new URL(first.server).port);
      for (const [component, pid] of pids) {
        assert.ok(processRunning(pid), `${component} (pid ${pid}) is not running`);
        const listeners = listenersOf(pid);
        const shown = listeners.map((l) => `${l.proto} ${l.address}:${l.port}`).join(", ");
        assert.ok(listeners.length > 0, `${component} (pid ${pid}) listens on nothing`);
        for (const l of listeners)
          assert.equal(l.address, "127.0.0.1", `${component} (pid ${pid}) listens on ${shown}`);
        if (component === "kube-apiserver")
          assert.ok(
            listeners.some((l) => l.proto === "tcp" && l.port === port),
            `kube-apiserver does not serve ${first.server}: ${shown}`,
          );
      }
      // Processes naming the folder are the recorded ones (kwokctl itself has exited).
      assert.deepEqual(processesMentioning(`${dir}/`), sorted(pids.values()));
    });

    test("down stops exactly the PIDs it recorded, all of them, and nothing else", async () => {
      const byPid = new Map([...clusterPids(name)].map(([c, pid]) => [pid, c]));
      const recorded = sorted(byPid.keys());
      assert.equal(recorded.length, COMPONENTS[tier].length);
      // Names the folder like the components do: a kill by pattern would take it too.
      const other = await bystander(dir);
      try {
        const result = await clusterDown({ name });
        assert.equal(result.existed, true);
        assert.deepEqual(sorted(result.stopped), recorded);
        // Checked at once: down must not return while one is still exiting.
        for (const pid of recorded)
          assert.equal(
            processRunning(pid),
            false,
            `${byPid.get(pid)} (pid ${pid}, state ${processState(pid)}) still runs after down`,
          );
        assert.equal(
          processRunning(other.pid ?? 0),
          true,
          "down stopped a process it did not start",
        );
        assert.equal(existsSync(dir), false, `${dir} is still there`);
        const s = await clusterStatus({ name });
        assert.deepEqual(
          { exists: s.exists, running: s.running, pids: s.pids },
          {
            exists: false,
            running: false,
            pids: {},
          },
        );
      } finally {
        other.kill("SIGKILL");
      }
    });
  });
}

/** The cluster command line, with room for a cluster start (the helper's default is 60 s). */
const clusterCli = (args: string[]) =>
  runNode(join(ROOT, "test/cluster/cli.ts"), args, { timeoutMs: 5 * 60_000 });

describe("test/cluster/cli.ts up|status|kubeconfig|down", { skip, timeout: 10 * 60_000 }, () => {
  const name = `archctl-test-life-cli-${process.pid}`;
  const flags = ["--tier", "apiserver", "--name", name];
  after(async () => {
    await clusterDown({ name });
  });

  test("one round through the command line", async () => {
    const kubeconfig = join(clusterDir(name), "kubeconfig.yaml");

    const up = await clusterCli(["up", ...flags]);
    assert.equal(up.code, 0, up.stderr);
    // stdout is the kubeconfig path alone, so $(node test/cluster/cli.ts up) works.
    assert.equal(up.stdout, `${kubeconfig}\n`);
    assert.match(up.stderr, new RegExp(`\\[cluster\\] cluster ${name} ready in`));
    const ready = await kubectl(kubeconfig, ["get", "--raw=/readyz"]);
    assert.equal(ready.stdout.trim(), "ok");

    const status = await clusterCli(["status", ...flags]);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as {
      name: string;
      exists: boolean;
      running: boolean;
      tier: string;
      kubeconfig: string;
      pids: Record<string, number>;
    };
    assert.deepEqual(
      {
        name: s.name,
        exists: s.exists,
        running: s.running,
        tier: s.tier,
        kubeconfig: s.kubeconfig,
      },
      { name, exists: true, running: true, tier: "apiserver", kubeconfig },
    );
    assert.deepEqual(Object.keys(s.pids).sort(), ["etcd", "kube-apiserver"]);

    const kc = await clusterCli(["kubeconfig", ...flags]);
    assert.equal(kc.code, 0, kc.stderr);
    assert.equal(kc.stdout, `${kubeconfig}\n`);

    const down = await clusterCli(["down", ...flags]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, new RegExp(`cluster ${name} deleted \\(2 processes stopped\\)`));
    for (const [component, pid] of Object.entries(s.pids))
      assert.equal(processRunning(pid), false, `${component} (pid ${pid}) runs after down`);

    const gone = await clusterCli(["status", ...flags]);
    assert.equal(gone.code, 1, gone.stderr);
    assert.equal((JSON.parse(gone.stdout) as { exists: boolean }).exists, false);
    const noKc = await clusterCli(["kubeconfig", ...flags]);
    assert.equal(noKc.code, 1, noKc.stderr);
    assert.match(noKc.stderr, /is not up/);
  });
});

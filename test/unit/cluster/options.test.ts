// `node test/cluster/cli.ts ...` (the npm cluster:* scripts) flags: counts,
// names, tiers and timeouts are checked before anything starts, and the
// default names per tier reach the cluster code.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DEFAULT_APISERVER_CLUSTER_NAME } from "../../cluster/apiserver-only.ts";
import { DEFAULT_CLUSTER_NAME } from "../../cluster/kwok-cluster.ts";
import {
  ClusterOptionError,
  clusterName,
  DEV_CLUSTER_NAMES,
  MAX_SIMULATED_NODES,
  parseCount,
  parseTier,
  parseTimeoutSeconds,
  parseUpOptions,
} from "../../cluster/options.ts";
import { ROOT, type Run, runNode, tempDir } from "../cli/helpers.ts";

/** Asserts fn throws a ClusterOptionError (the command exits 2) whose message matches. */
function refuses(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ClusterOptionError, `not a ClusterOptionError: ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe("dev cluster option parsing", () => {
  test("default names per tier are test/cluster's, and differ", () => {
    assert.equal(DEV_CLUSTER_NAMES.kwok, DEFAULT_CLUSTER_NAME);
    assert.equal(DEV_CLUSTER_NAMES.apiserver, DEFAULT_APISERVER_CLUSTER_NAME);
    assert.notEqual(DEV_CLUSTER_NAMES.kwok, DEV_CLUSTER_NAMES.apiserver);
    assert.equal(clusterName(undefined, "kwok"), "archctl-dev");
    assert.equal(clusterName(undefined, "apiserver"), "archctl-api");
    assert.equal(clusterName("scratch", "apiserver"), "scratch");
  });

  test("tiers: kwok (default) and apiserver only", () => {
    assert.equal(parseTier(undefined), "kwok");
    assert.equal(parseTier("apiserver"), "apiserver");
    refuses(() => parseTier("full"), /--tier: unknown tier 'full': use kwok or apiserver/);
  });

  test("counts: whole numbers from 0 to the limit", () => {
    assert.equal(parseCount("--workers", "0"), 0);
    assert.equal(parseCount("--workers", "5"), 5);
    assert.equal(parseCount("--workers", String(MAX_SIMULATED_NODES)), MAX_SIMULATED_NODES);
    for (const bad of ["abc", "", "-1", "1.5", "2e3", "0x10", "3 nodes", "Infinity", "1001"])
      refuses(
        () => parseCount("--workers", bad),
        new RegExp(
          `--workers: '${bad.replace(/[.+]/g, "\\$&")}' is not a node count: give a whole number from 0 to 1000, e.g. --workers 3`,
        ),
      );
  });

  test("--timeout: whole seconds, at least 1", () => {
    assert.equal(parseTimeoutSeconds("300"), 300);
    for (const bad of ["0", "-5", "abc", "1.5", "5m", ""])
      refuses(() => parseTimeoutSeconds(bad), /--timeout: '.*' is not a number of seconds/);
  });

  test("names must be DNS labels (the folder `down` deletes is named after them)", () => {
    for (const bad of ["../..", "a/b", "Dev", "-x", "x-", "a_b", "a".repeat(64)])
      refuses(() => clusterName(bad, "kwok"), /--name: '.*' is not a valid cluster name/);
    assert.equal(clusterName("a".repeat(63), "kwok"), "a".repeat(63));
  });

  test("up: flags become clusterUp options", () => {
    assert.deepEqual(parseUpOptions({ tier: "kwok" }), {
      name: "archctl-dev",
      tier: "kwok",
      nodes: {},
    });
    assert.deepEqual(
      parseUpOptions({ tier: "kwok", workers: "5", gpuNodes: "0", timeout: "120", name: "s" }),
      { name: "s", tier: "kwok", nodes: { workers: 5, gpuNodes: 0 }, timeoutMs: 120_000 },
    );
    assert.deepEqual(parseUpOptions({ tier: "apiserver" }), {
      name: "archctl-api",
      tier: "apiserver",
      nodes: {},
    });
  });

  test("up: a node count for the apiserver tier (which has no nodes) is refused", () => {
    refuses(
      () => parseUpOptions({ tier: "apiserver", workers: "2" }),
      /--workers: the apiserver tier has no nodes; drop --workers or use --tier kwok/,
    );
    refuses(() => parseUpOptions({ tier: "apiserver", gpuNodes: "1" }), /--gpu-nodes: .* no nodes/);
  });
});

// The command lines themselves. ARCHCTL_CACHE_DIR is a regular file, so if a
// bad flag ever got past the parsing, the build or cluster start it triggered
// would fail at once (exit 1) instead of running for minutes.
const dir = tempDir();
const NO_CACHE = join(dir, "not-a-dir");
writeFileSync(NO_CACHE, "");
const EMPTY_CACHE = join(dir, "empty-cache");

function clusterCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runNode(join(ROOT, "test/cluster/cli.ts"), args, {
    env: { ...process.env, ARCHCTL_CACHE_DIR: NO_CACHE, ...env },
  });
}

describe("test/cluster/cli.ts: bad flags exit 2 before anything starts", () => {
  const cases: [string[], RegExp][] = [
    [["--workers", "abc"], /--workers: 'abc' is not a node count/],
    // "=" so that node:util parseArgs takes "-1" as the value, not as a flag.
    [["--gpu-nodes=-1"], /--gpu-nodes: '-1' is not a node count/],
    [["--timeout", "soon"], /--timeout: 'soon' is not a number of seconds/],
    [["--tier", "full"], /unknown tier 'full'/],
    [["--name", "../.."], /--name: '\.\.\/\.\.' is not a valid cluster name/],
    [["--tier", "apiserver", "--workers", "2"], /apiserver tier has no nodes/],
  ];
  for (const [args, message] of cases) {
    test(`up ${args.join(" ")}`, async () => {
      const r = await clusterCli(["up", ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "");
    });
  }
  test("down, kubeconfig and status check --name and --tier too", async () => {
    for (const sub of ["down", "kubeconfig", "status"]) {
      const bad = await clusterCli([sub, "--name", "a/b"]);
      assert.equal(bad.code, 2, `${sub}: ${bad.stderr}`);
      assert.match(bad.stderr, /not a valid cluster name/);
      const tier = await clusterCli([sub, "--tier", "x"]);
      assert.equal(tier.code, 2, `${sub}: ${tier.stderr}`);
      assert.match(tier.stderr, /unknown tier 'x'/);
    }
  });
});

describe("test/cluster/cli.ts: default names reach the cluster code", () => {
  // An empty cache: no cluster exists, and status/kubeconfig/down only look.
  const empty = { ARCHCTL_CACHE_DIR: EMPTY_CACHE };
  test("status --tier apiserver reports archctl-api, not running (exit 1)", async () => {
    const r = await clusterCli(["status", "--tier", "apiserver"], empty);
    assert.equal(r.code, 1, r.stderr);
    const s = JSON.parse(r.stdout) as { name: string; exists: boolean; running: boolean };
    assert.deepEqual(
      { name: s.name, exists: s.exists, running: s.running },
      { name: "archctl-api", exists: false, running: false },
    );
  });
  test("kubeconfig of a cluster that is not up: exit 1 and the command that starts it", async () => {
    const r = await clusterCli(["kubeconfig", "--tier", "apiserver"], empty);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /cluster archctl-api is not up \(no .*empty-cache\/kwok\/clusters\/archctl-api\/kubeconfig\.yaml\): run `node test\/cluster\/cli\.ts up --tier apiserver`/,
    );
  });
  test("down of a cluster that does not exist changes nothing and says so", async () => {
    const r = await clusterCli(["down"], empty);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /cluster archctl-dev does not exist/);
  });
});

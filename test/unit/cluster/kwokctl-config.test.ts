// The kwokctl configuration the local cluster is created from: every component
// on 127.0.0.1, our own binaries, and exactly the components of each tier.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import type { BinaryPaths } from "../../cluster/binaries.ts";
import { clusterDir, kwokctlConfig } from "../../cluster/kwok-cluster.ts";
import { CRASH_LOOP_IMAGE, TEST_STAGES } from "../../cluster/stages.ts";

function bins(root: string): BinaryPaths {
  const k8sDir = `${root}/k8s-v1.36.3`;
  const kwokDir = `${root}/kwok-v0.8.0`;
  return {
    k8sDir,
    kwokDir,
    etcd: `${k8sDir}/etcd`,
    kubeApiserver: `${k8sDir}/kube-apiserver`,
    kubeControllerManager: `${k8sDir}/kube-controller-manager`,
    kubeScheduler: `${k8sDir}/kube-scheduler`,
    kubectl: `${k8sDir}/kubectl`,
    kwok: `${kwokDir}/kwok`,
    kwokctl: `${kwokDir}/kwokctl`,
  };
}

type Patch = { name: string; extraArgs: { key: string; value: string }[] };
type Config = {
  apiVersion: string;
  kind: string;
  options: Record<string, unknown> & { components: string[] };
  componentsPatches: Patch[];
};

function config(tier: "kwok" | "apiserver", root = "/cache/bin"): Config {
  return parse(kwokctlConfig(bins(root), tier)) as Config;
}

/** extraArgs of one component as key -> value. */
function args(cfg: Config, component: string): Record<string, string> {
  const patch = cfg.componentsPatches.find((p) => p.name === component);
  return Object.fromEntries((patch?.extraArgs ?? []).map((a) => [a.key, a.value]));
}

describe("kwokctlConfig", () => {
  for (const tier of ["kwok", "apiserver"] as const) {
    test(`${tier} tier: binary runtime on 127.0.0.1 with our binaries and the real admission chain`, () => {
      const cfg = config(tier);
      assert.equal(cfg.apiVersion, "config.kwok.x-k8s.io/v1alpha1");
      assert.equal(cfg.kind, "KwokctlConfiguration");
      assert.equal(cfg.options.runtime, "binary");
      assert.equal(cfg.options.bindAddress, "127.0.0.1");
      assert.equal(cfg.options.securePort, true);
      assert.equal(cfg.options.kubeAuthorization, true);
      assert.equal(cfg.options.kubeAdmission, true);
      assert.deepEqual(
        {
          etcd: cfg.options.etcdBinary,
          apiserver: cfg.options.kubeApiserverBinary,
          cm: cfg.options.kubeControllerManagerBinary,
          scheduler: cfg.options.kubeSchedulerBinary,
          kwok: cfg.options.kwokControllerBinary,
          kubectl: cfg.options.kubectlBinary,
        },
        {
          etcd: "/cache/bin/k8s-v1.36.3/etcd",
          apiserver: "/cache/bin/k8s-v1.36.3/kube-apiserver",
          cm: "/cache/bin/k8s-v1.36.3/kube-controller-manager",
          scheduler: "/cache/bin/k8s-v1.36.3/kube-scheduler",
          kwok: "/cache/bin/kwok-v0.8.0/kwok",
          kubectl: "/cache/bin/k8s-v1.36.3/kubectl",
        },
      );
      assert.equal(args(cfg, "kube-apiserver")["advertise-address"], "127.0.0.1");
      // Room for the Services of a few hundred Architectures (the default /24 has 254).
      assert.equal(args(cfg, "kube-apiserver")["service-cluster-ip-range"], "10.96.0.0/16");
      assert.equal(args(cfg, "etcd")["unsafe-no-fsync"], "true");
      // No wildcard address anywhere in what we pass.
      assert.doesNotMatch(kwokctlConfig(bins("/cache/bin"), tier), /0\.0\.0\.0|::/);
    });
  }

  test("kwok tier: the whole control plane plus the kwok controller, hostPath provisioner on", () => {
    const cfg = config("kwok");
    assert.deepEqual(cfg.options.components, [
      "etcd",
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kwok-controller",
    ]);
    assert.equal(args(cfg, "kube-controller-manager")["enable-hostpath-provisioner"], "true");
    // Leaders that outlive an API-server restart on a loaded machine (nothing restarts them).
    for (const c of ["kube-controller-manager", "kube-scheduler"]) {
      assert.equal(args(cfg, c)["leader-elect-renew-deadline"], "60s", c);
      assert.equal(args(cfg, c)["leader-elect-lease-duration"], "75s", c);
    }
    // The controller manager creates ServiceAccounts here, so admission keeps that plugin.
    assert.equal(args(cfg, "kube-apiserver")["disable-admission-plugins"], undefined);
  });

  test("kwok tier: node heartbeats as Kubernetes' defaults, not scaled by kwokctl", () => {
    const cfg = config("kwok");
    // kwokctl's default factor 5 made a lost node NotReady only after 3m20s.
    assert.equal(cfg.options.heartbeatFactor, 1);
    assert.equal(cfg.options.nodeLeaseDurationSeconds, 40);
    assert.equal(cfg.options.kubeControllerManagerNodeMonitorPeriodMilliseconds, 5000);
    assert.equal(cfg.options.kubeControllerManagerNodeMonitorGracePeriodMilliseconds, 50000);
  });

  test("apiserver tier: etcd and kube-apiserver only, ServiceAccount admission off", () => {
    const cfg = config("apiserver");
    assert.deepEqual(cfg.options.components, ["etcd", "kube-apiserver"]);
    assert.equal(args(cfg, "kube-apiserver")["disable-admission-plugins"], "ServiceAccount");
    assert.equal(
      cfg.componentsPatches.find((p) => p.name === "kube-controller-manager"),
      undefined,
      "a patch for a component the tier does not run",
    );
  });

  test("kwok tier: the test Stages go to kwok-controller as a second config file", () => {
    const cfg = parse(
      kwokctlConfig(bins("/cache/bin"), "kwok", "/cache/kwok/configs/x.stages.yaml"),
    ) as Config;
    assert.equal(args(cfg, "kwok-controller").config, "/cache/kwok/configs/x.stages.yaml");
    const api = parse(kwokctlConfig(bins("/cache/bin"), "apiserver", "/s.yaml")) as Config;
    assert.equal(args(api, "kwok-controller").config, undefined, "no kwok-controller there");
    // A Stage kwok picks over its weightless defaults, for the test image only.
    const stage = parse(TEST_STAGES) as {
      kind: string;
      spec: {
        weight: number;
        selector: { matchExpressions: { key: string; values?: string[] }[] };
      };
    };
    assert.equal(stage.kind, "Stage");
    assert.ok(stage.spec.weight > 0);
    assert.deepEqual(
      stage.spec.selector.matchExpressions.find((e) => e.key === ".spec.containers.[0].image")
        ?.values,
      [CRASH_LOOP_IMAGE],
    );
  });

  test("binary paths survive characters YAML would otherwise read as a comment or a mapping", () => {
    const root = "/home/a b/cache #1/x: y";
    const cfg = config("kwok", root);
    assert.equal(cfg.options.etcdBinary, `${root}/k8s-v1.36.3/etcd`);
    assert.equal(cfg.options.kwokControllerBinary, `${root}/kwok-v0.8.0/kwok`);
    assert.equal(cfg.options.bindAddress, "127.0.0.1");
  });
});

describe("clusterDir", () => {
  const env = { ARCHCTL_CACHE_DIR: "/cache" };
  test("one folder per cluster under <cache>/kwok/clusters", () => {
    assert.equal(clusterDir("archctl-dev", env), "/cache/kwok/clusters/archctl-dev");
  });
  test("refuses names that would point outside it (clusterDown deletes this folder)", () => {
    for (const bad of ["..", "../..", "a/b", "", "Dev", "-a", "a-", "a".repeat(64)])
      assert.throws(() => clusterDir(bad, env), /invalid cluster name/, JSON.stringify(bad));
  });
});

// Which kubeconfig the test suites use instead of starting a local cluster
// (ARCHCTL_TEST_KUBECONFIG, ARCHCTL_USE_EXISTING_CLUSTER + KUBECONFIG).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { existingClusterKubeconfig } from "../../support/cluster.ts";

const HOME = "/home/dev";
const pick = (env: NodeJS.ProcessEnv) => existingClusterKubeconfig(env, HOME);

describe("existingClusterKubeconfig", () => {
  test("nothing set: undefined (a local cluster is started)", () => {
    assert.equal(pick({}), undefined);
    assert.equal(pick({ KUBECONFIG: "/k/config" }), undefined, "KUBECONFIG alone is not a request");
  });

  test("ARCHCTL_TEST_KUBECONFIG wins over everything else", () => {
    assert.equal(pick({ ARCHCTL_TEST_KUBECONFIG: "/t/kc" }), "/t/kc");
    assert.equal(
      pick({
        ARCHCTL_TEST_KUBECONFIG: "/t/kc",
        ARCHCTL_USE_EXISTING_CLUSTER: "1",
        KUBECONFIG: "/k/config",
      }),
      "/t/kc",
    );
  });

  test("an empty ARCHCTL_TEST_KUBECONFIG counts as unset", () => {
    assert.equal(pick({ ARCHCTL_TEST_KUBECONFIG: "" }), undefined);
    assert.equal(
      pick({ ARCHCTL_TEST_KUBECONFIG: "", ARCHCTL_USE_EXISTING_CLUSTER: "1", KUBECONFIG: "/k" }),
      "/k",
    );
  });

  test("ARCHCTL_USE_EXISTING_CLUSTER=1|true: the first non-empty KUBECONFIG entry", () => {
    for (const on of ["1", "true"]) {
      const env = { ARCHCTL_USE_EXISTING_CLUSTER: on };
      assert.equal(pick({ ...env, KUBECONFIG: "/a/config" }), "/a/config");
      assert.equal(pick({ ...env, KUBECONFIG: "/a/config:/b/config" }), "/a/config");
      assert.equal(pick({ ...env, KUBECONFIG: "::/b/config" }), "/b/config");
    }
  });

  test("ARCHCTL_USE_EXISTING_CLUSTER=1 without a usable KUBECONFIG: ~/.kube/config", () => {
    const env = { ARCHCTL_USE_EXISTING_CLUSTER: "1" };
    assert.equal(pick(env), "/home/dev/.kube/config");
    assert.equal(pick({ ...env, KUBECONFIG: "" }), "/home/dev/.kube/config");
    assert.equal(pick({ ...env, KUBECONFIG: ":" }), "/home/dev/.kube/config");
  });

  test("ARCHCTL_USE_EXISTING_CLUSTER=0|false|empty: undefined", () => {
    for (const off of ["0", "false", ""])
      assert.equal(pick({ ARCHCTL_USE_EXISTING_CLUSTER: off, KUBECONFIG: "/k" }), undefined, off);
  });

  test("any other value is an error that says what to set, not a silent local cluster", () => {
    for (const odd of ["yes", "on", "TRUE", " 1"])
      assert.throws(
        () => pick({ ARCHCTL_USE_EXISTING_CLUSTER: odd }),
        /ARCHCTL_USE_EXISTING_CLUSTER=.* is not understood: set it to 1 .* or 0, or set ARCHCTL_TEST_KUBECONFIG/,
        odd,
      );
  });
});

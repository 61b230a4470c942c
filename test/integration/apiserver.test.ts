// The API-server-only tier (etcd + kube-apiserver): schema validation of a CRD
// (OpenAPI and CEL) happens at the API server, and server-side apply tracks
// field ownership. Runs against an existing cluster with ARCHCTL_TEST_KUBECONFIG.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { waitEstablished } from "../cluster/kubectl.ts";
import { getCluster, type TestCluster } from "../support/cluster.ts";

const GROUP = "it.archctl.io";
const CRD = `gadgets.${GROUP}`;

let cluster: TestCluster;
let custom: CustomObjectsApi;

before(
  async () => {
    cluster = await getCluster("apiserver");
    custom = cluster.kc.makeApiClient(CustomObjectsApi);
    await cluster.apply(undefined, [
      {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: CRD },
        spec: {
          group: GROUP,
          names: { kind: "Gadget", plural: "gadgets", singular: "gadget", listKind: "GadgetList" },
          scope: "Namespaced",
          versions: [
            {
              name: "v1alpha1",
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  properties: {
                    spec: {
                      type: "object",
                      required: ["size"],
                      "x-kubernetes-validations": [
                        {
                          rule: "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
                          message: "minReplicas must not exceed maxReplicas",
                        },
                      ],
                      properties: {
                        size: { type: "string", enum: ["small", "large"] },
                        minReplicas: { type: "integer", minimum: 1 },
                        maxReplicas: { type: "integer", maximum: 100 },
                        owner: { type: "string" },
                      },
                    },
                    status: {
                      type: "object",
                      properties: { phase: { type: "string" } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    ]);
    await waitEstablished(cluster.kubectl, [CRD]);
  },
  { timeout: 40 * 60_000 },
);

after(async () => {
  // Leave nothing behind in an existing cluster.
  if (cluster?.existing)
    await cluster.kubectl(["delete", "crd", CRD, "--wait=false", "--ignore-not-found"], {
      reject: false,
    });
});

const gadget = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: `${GROUP}/v1alpha1`,
  kind: "Gadget",
  metadata: { name, namespace: ns },
  spec,
});

async function create(ns: string, obj: object): Promise<{ ok: boolean; message: string }> {
  try {
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: "v1alpha1",
      namespace: ns,
      plural: "gadgets",
      body: obj,
    });
    return { ok: true, message: "" };
  } catch (err) {
    const e = err as { code?: number; body?: string; message?: string };
    return { ok: false, message: `${e.code ?? ""} ${e.body ?? e.message ?? String(err)}` };
  }
}

describe("API server tier", { timeout: 5 * 60_000 }, () => {
  test("a CRD with a schema rejects invalid objects at the API server", async (t) => {
    const ns = await cluster.namespace(t);

    const enumBad = await create(ns, gadget(ns, "bad-enum", { size: "huge" }));
    assert.equal(enumBad.ok, false);
    assert.match(enumBad.message, /422/);
    assert.match(enumBad.message, /spec\.size: Unsupported value: \\?"huge\\?"/);

    const missing = await create(ns, gadget(ns, "bad-missing", { minReplicas: 1 }));
    assert.equal(missing.ok, false);
    assert.match(missing.message, /spec\.size: Required value/);

    const cel = await create(
      ns,
      gadget(ns, "bad-cel", { size: "small", minReplicas: 5, maxReplicas: 2 }),
    );
    assert.equal(cel.ok, false);
    assert.match(cel.message, /minReplicas must not exceed maxReplicas/);

    const good = await create(
      ns,
      gadget(ns, "good", { size: "large", minReplicas: 1, maxReplicas: 3 }),
    );
    assert.equal(good.ok, true, good.message);

    const listed = await cluster.kubectl(["get", "gadgets", "-n", ns, "-o", "name"]);
    assert.equal(listed.stdout.trim(), `gadget.${GROUP}/good`);
  });

  test("server-side apply merges field managers and reports conflicts", async (t) => {
    const ns = await cluster.namespace(t);
    const apply = (manager: string, spec: Record<string, unknown>, force = false) =>
      custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: "v1alpha1",
          namespace: ns,
          plural: "gadgets",
          name: "ssa",
          body: gadget(ns, "ssa", spec),
          fieldManager: manager,
          force,
        },
        setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
      );

    await apply("archctl-operator", { size: "small", minReplicas: 1 });
    await apply("someone-else", { size: "small", owner: "team-a" });
    const conflict = await apply("someone-else", { size: "large", owner: "team-a" }).then(
      () => undefined,
      (err: { code?: number; body?: string }) => err,
    );
    assert.ok(conflict, "conflicting apply was accepted without force");
    assert.equal(conflict.code, 409);
    assert.match(String(conflict.body), /conflict/i);

    await apply("someone-else", { size: "large", owner: "team-a" }, true);
    const obj = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: "v1alpha1",
      namespace: ns,
      plural: "gadgets",
      name: "ssa",
    })) as {
      spec: Record<string, unknown>;
      metadata: { managedFields?: { manager?: string; operation?: string }[] };
    };
    assert.deepEqual(obj.spec, { size: "large", minReplicas: 1, owner: "team-a" });
    const managers = (obj.metadata.managedFields ?? [])
      .filter((f) => f.operation === "Apply")
      .map((f) => f.manager);
    assert.deepEqual(managers.sort(), ["archctl-operator", "someone-else"]);

    // Status is a subresource: applying it does not touch spec.
    await custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: "v1alpha1",
        namespace: ns,
        plural: "gadgets",
        name: "ssa",
        body: {
          apiVersion: `${GROUP}/v1alpha1`,
          kind: "Gadget",
          metadata: { name: "ssa", namespace: ns },
          status: { phase: "Ready" },
        },
        fieldManager: "archctl-operator",
        force: true,
      },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
    const phase = await cluster.kubectl([
      "get",
      "gadget",
      "ssa",
      "-n",
      ns,
      "-o",
      "jsonpath={.status.phase}/{.spec.size}",
    ]);
    assert.equal(phase.stdout, "Ready/large");
  });
});

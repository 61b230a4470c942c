// The operator against a real kube-apiserver + etcd: deleting an Architecture
// (the Deleting phase, Retain and Delete policies, TTL expiry, foreground order).
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { childLabels, FINALIZER } from "../../operator/api/names.ts";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import type { LiveObject } from "../support/live-object.ts";
import {
  applyArch,
  architecture,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  logLines,
  settle,
  startOperator,
  writesOf,
} from "../support/operator.ts";
import { shop } from "../support/shop-architecture.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const SECRETS = resourceFor("v1", "Secret");
const STATEFULSETS = resourceFor("apps/v1", "StatefulSet");

const HOLD = "test.archctl.io/hold";
const PVCS = resourceFor("v1", "PersistentVolumeClaim");
type Deletable = LiveObject & { metadata: { deletionTimestamp?: string } };

/** Another controller's finalizer, so the object outlives the operator's part of the deletion. */
async function hold(ns: string, name: string): Promise<void> {
  await clientFor(cluster).jsonPatch(ARCHITECTURES, ns, name, [
    { op: "add", path: "/metadata/finalizers/-", value: HOLD },
  ]);
}

/** Removes one finalizer, as the controller that owns it would. */
async function release(
  resource: typeof ARCHITECTURES,
  ns: string,
  name: string,
  finalizer: string,
): Promise<void> {
  const client = clientFor(cluster);
  const finalizers = (await client.get<LiveObject>(resource, ns, name)).metadata.finalizers ?? [];
  await client.jsonPatch(resource, ns, name, [
    { op: "test", path: "/metadata/finalizers", value: finalizers },
    {
      op: "replace",
      path: "/metadata/finalizers",
      value: finalizers.filter((f) => f !== finalizer),
    },
  ]);
}

test("deletion: phase Deleting is written once; Retain keeps credentials (orphaned), removes the finalizer; TTL deletes an expired Architecture", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-delete" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(op);
  // A Secret the External Secrets Operator wrote: our labels, its ExternalSecret's.
  await client.create(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "shop-token",
        namespace: ns,
        // The labels archctl puts on every child, as the rendered ExternalSecret's template asks.
        labels: childLabels("shop", "token"),
        ownerReferences: [
          {
            apiVersion: "external-secrets.io/v1",
            kind: "ExternalSecret",
            name: "shop-token",
            uid: "00000000-0000-0000-0000-000000000001",
            controller: true,
          },
        ],
      },
      stringData: { value: "from-the-store" },
    } as unknown as KubeObject,
    "external-secrets",
  );
  await settle(op);
  await hold(ns, "shop");
  const statusBefore = await writesOf(op, "Architecture", "status");
  await client.delete(ARCHITECTURES, ns, "shop");
  const going = await cluster.eventually("operator's finalizer removed", async () => {
    const a = await getArchitecture(client, ns, "shop");
    return a && !a.metadata.finalizers?.includes(FINALIZER) ? a : undefined;
  });
  assert.deepEqual(going.metadata.finalizers, [HOLD]);
  assert.equal(going.status?.phase, "Deleting");
  assert.equal(going.status?.observedGeneration, going.metadata.generation);
  const ready = going.status?.conditions?.find((c) => c.type === "Ready");
  assert.deepEqual([ready?.status, ready?.reason], ["False", "Deleting"]);
  assert.match(
    ready?.message ?? "",
    /deletionPolicy Retain: its data volumes and credentials are kept/,
  );
  await settle(op);
  assert.equal((await writesOf(op, "Architecture", "status")) - statusBefore, 1);
  const secret = await client.get<LiveObject>(SECRETS, ns, "shop-cache-credentials");
  assert.equal(
    secret.metadata.ownerReferences,
    undefined,
    "kept credentials must not be garbage-collected",
  );
  const external = await client.get<LiveObject>(SECRETS, ns, "shop-token");
  assert.deepEqual(
    external.metadata.ownerReferences?.map((o) => o.kind),
    ["ExternalSecret"],
    "a Secret of the External Secrets Operator keeps its owner, and goes with it",
  );
  await release(ARCHITECTURES, ns, "shop", HOLD);
  await cluster.eventually(
    "architecture gone",
    async () => (await getArchitecture(client, ns, "shop")) === undefined,
  );

  await applyArch(
    cluster,
    architecture("brief", ns, {
      ttl: "4s",
      components: [{ name: "api", type: "service", image: "ghcr.io/example/a:1" }],
    }),
  );
  const brief = await converged(cluster, client, ns, "brief");
  assert.ok(brief.status?.expiresAt, "expiresAt shown");
  await cluster.eventually(
    "expired architecture deleted",
    async () => (await getArchitecture(client, ns, "brief")) === undefined,
    30_000,
  );
});

test("deletion with deletionPolicy Delete: StatefulSets go first (foreground), the volumes only once they are gone; Deleting is written once while it waits", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-delete-data" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns, { deletionPolicy: "Delete" }));
  await converged(cluster, client, ns, "shop");
  await settle(op);
  // No StatefulSet controller on this tier: make the claim it would make from
  // the template (same labels).
  const sts = await client.get<
    LiveObject & {
      spec: { volumeClaimTemplates: { metadata: { labels: Record<string, string> } }[] };
    }
  >(STATEFULSETS, ns, "shop-cache");
  await client.create(
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: "data-shop-cache-0",
        namespace: ns,
        labels: sts.spec.volumeClaimTemplates[0]?.metadata.labels ?? {},
      },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    } as KubeObject,
    "archctl-test",
  );
  // The claim wakes the Architecture (its status may now name the Pending
  // claim): let that pass finish before counting the deletion's writes.
  await settle(op);
  const statusBefore = await writesOf(op, "Architecture", "status");
  await client.delete(ARCHITECTURES, ns, "shop");
  const deleting = await cluster.eventually("StatefulSet deleted in the foreground", async () => {
    const s = await client.get<Deletable>(STATEFULSETS, ns, "shop-cache");
    return s.metadata.deletionTimestamp ? s : undefined;
  });
  assert.ok(deleting.metadata.finalizers?.includes("foregroundDeletion"), "foreground deletion");
  assert.equal(deleting.metadata.uid, sts.metadata.uid);
  // Passes while it waits (a touch, then the 5 s safety requeue) change nothing.
  await client.mergePatch(ARCHITECTURES, ns, "shop", {
    metadata: { annotations: { touched: "1" } },
  });
  await sleep(6000);
  await settle(op);
  const pvc = await client.get<Deletable>(PVCS, ns, "data-shop-cache-0");
  assert.equal(
    pvc.metadata.deletionTimestamp,
    undefined,
    "claim deleted while its StatefulSet exists",
  );
  const arch = await getArchitecture(client, ns, "shop");
  assert.ok(arch?.metadata.finalizers?.includes(FINALIZER), "released before the volumes went");
  assert.equal(arch?.status?.phase, "Deleting");
  const ready = arch?.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.reason, "Deleting");
  assert.match(ready?.message ?? "", /deletionPolicy Delete/);
  assert.equal(
    (await writesOf(op, "Architecture", "status")) - statusBefore,
    1,
    "Deleting written once",
  );
  assert.ok(logLines(op).some((l) => l.includes("waiting for datastores to stop")));

  // The garbage collector's part, by hand: the pods are gone, so the StatefulSet goes.
  await release(STATEFULSETS, ns, "shop-cache", "foregroundDeletion");
  await cluster.eventually(
    "architecture gone",
    async () => (await getArchitecture(client, ns, "shop")) === undefined,
  );
  // No pvc-protection controller here either: the claim may stay Terminating.
  const claim = await client.find<Deletable>(PVCS, ns, "data-shop-cache-0");
  assert.ok(claim === undefined || claim.metadata.deletionTimestamp, "the claim is being deleted");
});

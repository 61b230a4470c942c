// The operator against a real kube-apiserver + etcd (no controllers run here,
// so workloads never become ready: readiness is the kwok tier's business).
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ARCHITECTURE_LABEL, FINALIZER } from "../../operator/api/names.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { ARCHITECTURES, EVENTS, resourceFor } from "../../operator/kube/resources.ts";
import type { Operator } from "../../operator/operator.ts";
import type { KubeObject } from "../../operator/render/types.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import {
  architecture,
  clientFor,
  converged,
  getArchitecture,
  installCrd,
  logLines,
  settle,
  startOperator,
} from "../support/operator.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");
const SERVICES = resourceFor("v1", "Service");
const SECRETS = resourceFor("v1", "Secret");
const STATEFULSETS = resourceFor("apps/v1", "StatefulSet");

type Obj = KubeObject & {
  metadata: KubeObject["metadata"] & {
    uid?: string;
    ownerReferences?: { uid: string; kind: string }[];
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};

function shop(
  ns: string,
  extra: Partial<Architecture["spec"]> = {},
  apiReplicas = 2,
): Architecture {
  return architecture("shop", ns, {
    components: [
      {
        name: "api",
        type: "service",
        image: "ghcr.io/example/shop-api:1.0",
        replicas: apiReplicas,
        uses: ["cache"],
      },
      { name: "cache", type: "redis" },
      { name: "worker", type: "worker", image: "ghcr.io/example/shop-worker:1.0", uses: ["cache"] },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
    ...extra,
  });
}

async function applyArch(cluster: TestCluster, arch: Architecture): Promise<void> {
  await clientFor(cluster).apply(arch as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
}

type Event = KubeObject & { reason: string; note: string; regarding: { name: string } };

/** The operator's Events about Architecture `name`, with `reason`. */
async function eventsOf(ns: string, name: string, reason: string): Promise<Event[]> {
  const list = await clientFor(cluster).list<Event>(EVENTS, ns);
  return list.items.filter((e) => e.regarding.name === name && e.reason === reason);
}

/** Waits for exactly one Event with `reason` (Events are written after the reconcile's other writes). */
async function oneEvent(ns: string, name: string, reason: string): Promise<Event> {
  await cluster.eventually(
    `${reason} Event`,
    async () => (await eventsOf(ns, name, reason)).length,
  );
  await sleep(500);
  const events = await eventsOf(ns, name, reason);
  assert.equal(events.length, 1, `${reason} Events: ${events.map((e) => e.note).join(" | ")}`);
  return events[0] as Event;
}

test("apply creates every child with owner references, labels, credentials and status; a no-op reconcile writes nothing", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-apply" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  const arch = await converged(cluster, client, ns, "shop");
  await settle(op);

  assert.ok(arch.metadata.finalizers?.includes(FINALIZER), "finalizer added");
  const api = await client.get<Obj>(DEPLOYMENTS, ns, "shop-api");
  assert.equal(api.metadata.ownerReferences?.[0]?.uid, arch.metadata.uid);
  assert.equal(api.metadata.labels?.[ARCHITECTURE_LABEL], "shop");
  assert.equal(api.metadata.labels?.["app.kubernetes.io/managed-by"], "archctl-operator");
  await client.get<Obj>(SERVICES, ns, "shop-api");
  await client.get<Obj>(STATEFULSETS, ns, "shop-cache");
  await client.get<Obj>(DEPLOYMENTS, ns, "shop-worker");
  const secret = await client.get<Obj>(SECRETS, ns, "shop-cache-credentials");
  const password = Buffer.from(secret.data?.password ?? "", "base64").toString();
  assert.equal(password.length, 32);
  assert.equal(arch.status?.phase, "Pending", "no controllers here: nothing becomes ready");
  assert.equal(arch.status?.ready, "0/3");
  assert.deepEqual(
    arch.status?.components?.map((c) => c.name),
    ["api", "cache", "worker"],
  );
  const ready = arch.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.status, "False");
  assert.match(ready?.message ?? "", /waiting for api/);

  // No secret value in the operator's logs or in the status.
  assert.ok(!logLines(op).some((l) => l.includes(password)), "password in a log line");
  assert.ok(!JSON.stringify(arch.status).includes(password), "password in status");

  // A touch that is not a spec change wakes the reconcile; it must write nothing.
  const before = op.writes;
  await client.mergePatch(ARCHITECTURES, ns, "shop", {
    metadata: { annotations: { touched: String(Date.now()) } },
  });
  await sleep(1500);
  await settle(op);
  assert.equal(op.writes - before, 0, "a no-op reconcile wrote to the API server");
});

test("a one-field change applies only the affected object; removed components are pruned; credentials stay", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-change" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(op);
  const password = (await client.get<Obj>(SECRETS, ns, "shop-cache-credentials")).data?.password;
  const created = await oneEvent(ns, "shop", "Created");
  assert.match(created.note, /^created \d+ objects: .*Deployment\/shop-api/);

  const applied: string[] = [];
  const lines = logLines(op);
  const mark = lines.length;
  await applyArch(cluster, shop(ns, {}, 5));
  await converged(cluster, client, ns, "shop");
  await settle(op);
  for (const l of lines.slice(mark)) {
    const e = JSON.parse(l) as { msg: string; kind?: string; name?: string };
    if (e.msg === "applied") applied.push(`${e.kind}/${e.name}`);
  }
  assert.deepEqual(applied, ["Deployment/shop-api"]);
  assert.equal((await client.get<Obj>(DEPLOYMENTS, ns, "shop-api")).spec?.replicas, 5);
  assert.equal(
    (await oneEvent(ns, "shop", "Updated")).note,
    "updated 1 object: Deployment/shop-api",
  );

  const spec = shop(ns).spec;
  spec.components = spec.components.filter((c) => c.name !== "worker");
  await applyArch(cluster, { ...shop(ns), spec });
  await converged(cluster, client, ns, "shop");
  await cluster.eventually(
    "worker pruned",
    async () => (await client.find(DEPLOYMENTS, ns, "shop-worker")) === undefined,
  );
  const pruned = await oneEvent(ns, "shop", "Pruned");
  assert.match(
    pruned.note,
    /^pruned what is no longer part of the Architecture: (1 object|\d+ objects): /,
  );
  assert.match(pruned.note, /Deployment\/shop-worker/);
  assert.doesNotMatch(pruned.note, /shop-api|shop-cache/, "only the worker's objects");
  assert.equal(
    (await client.get<Obj>(SECRETS, ns, "shop-cache-credentials")).data?.password,
    password,
    "credentials never rotate",
  );
});

/** The operator's own write counter for one kind and verb. */
async function writesOf(op: Operator, kind: string, verb: string): Promise<number> {
  const { values } = await op.metrics.apiWrites.get();
  return values.find((v) => v.labels.kind === kind && v.labels.verb === verb)?.value ?? 0;
}

test("a one-field change writes status exactly once, even when a child's watch event re-queues the Architecture mid-reconcile", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-onestatus" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  const names = Array.from({ length: 20 }, (_, i) => `shop${i}`);
  const make = (name: string, replicas: number) => ({
    ...shop(ns, {}, replicas),
    metadata: { name, namespace: ns },
  });
  await Promise.all(names.map((n) => applyArch(cluster, make(n, 2))));
  await Promise.all(names.map((n) => converged(cluster, client, ns, n)));
  await settle(op);
  // Creation too: the finalizer patch's watch event can reach the cache
  // before the status write's does.
  assert.equal(
    await writesOf(op, "Architecture", "status"),
    names.length,
    "status writes on create",
  );

  // Each round: the Architecture's update and then the applied Deployment's
  // watch event queue the key; the second reconcile often starts before the
  // watch event of the status write has reached the cache.
  const rounds = 4;
  for (let round = 1; round <= rounds; round++) {
    const statusBefore = await writesOf(op, "Architecture", "status");
    const appliesBefore = await writesOf(op, "Deployment", "apply");
    const conditionsBefore = new Map(
      await Promise.all(
        names.map(
          async (n) => [n, (await getArchitecture(client, ns, n))?.status?.conditions] as const,
        ),
      ),
    );
    await Promise.all(names.map((n) => applyArch(cluster, make(n, 2 + round))));
    await Promise.all(names.map((n) => converged(cluster, client, ns, n)));
    await settle(op);
    assert.equal(
      (await writesOf(op, "Deployment", "apply")) - appliesBefore,
      names.length,
      `round ${round}: one Deployment apply per Architecture`,
    );
    assert.equal(
      (await writesOf(op, "Architecture", "status")) - statusBefore,
      names.length,
      `round ${round}: one status write per Architecture`,
    );
    for (const n of names) {
      const a = await getArchitecture(client, ns, n);
      assert.equal(a?.status?.components?.find((c) => c.name === "api")?.desired, 2 + round);
      // Nothing flipped (Ready stays False here), so no transition time moves.
      assert.deepEqual(
        a?.status?.conditions?.map((c) => [c.type, c.lastTransitionTime]),
        conditionsBefore.get(n)?.map((c) => [c.type, c.lastTransitionTime]),
        `${n}: lastTransitionTime changed without a transition`,
      );
    }
  }
});

test("children deleted or edited by hand are restored", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-restore" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(op);

  await client.delete(SERVICES, ns, "shop-api");
  await cluster.eventually("service restored", async () => client.find(SERVICES, ns, "shop-api"));

  await cluster.kubectl(["scale", "deployment/shop-api", "-n", ns, "--replicas=9"]);
  await cluster.eventually(
    "replicas restored",
    async () => (await client.get<Obj>(DEPLOYMENTS, ns, "shop-api")).spec?.replicas === 2,
  );

  await client.delete(SECRETS, ns, "shop-cache-credentials");
  await cluster.eventually("credentials re-created", async () =>
    client.find(SECRETS, ns, "shop-cache-credentials"),
  );
});

test("a destructive datastore change is refused with a Degraded condition that says what to do; nothing is recreated", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-immutable" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(op);
  type Sts = Obj & {
    spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] };
  };
  const stsBefore = await client.get<Sts>(STATEFULSETS, ns, "shop-cache");
  const secretBefore = await client.get<Obj>(SECRETS, ns, "shop-cache-credentials");
  const sizeBefore = stsBefore.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage;

  const spec = shop(ns).spec;
  spec.components = spec.components.map((c) =>
    c.name === "cache" ? { ...c, storage: { size: "50Gi" } } : c,
  );
  await applyArch(cluster, { ...shop(ns), spec });
  const arch = await cluster.eventually("Degraded", async () => {
    const a = await converged(cluster, client, ns, "shop");
    return a.status?.phase === "Degraded" ? a : undefined;
  });
  const degraded = arch.status?.conditions?.find((c) => c.type === "Degraded");
  assert.equal(degraded?.reason, "DestructiveChangeRefused");
  // The component first, what changed, then what to do about it.
  assert.match(
    degraded?.message ?? "",
    new RegExp(
      `^cache: StatefulSet shop-cache: the data volume template changed \\(data=${sizeBefore} -> data=50Gi\\)`,
    ),
  );
  assert.match(degraded?.message ?? "", /Revert the storage change of component cache, or resize/);
  assert.match(degraded?.message ?? "", /--cascade=orphan/);
  assert.equal(
    arch.status?.conditions?.find((c) => c.type === "Ready")?.reason,
    "DestructiveChangeRefused",
  );
  const warning = await oneEvent(ns, "shop", "Degraded");
  assert.match(warning.note, /^cache: StatefulSet shop-cache/);

  const sts = await client.get<Sts>(STATEFULSETS, ns, "shop-cache");
  assert.equal(sts.metadata.uid, stsBefore.metadata.uid, "the StatefulSet was recreated");
  assert.equal(sts.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage, sizeBefore);
  const secret = await client.get<Obj>(SECRETS, ns, "shop-cache-credentials");
  assert.equal(secret.metadata.uid, secretBefore.metadata.uid);
  assert.deepEqual(secret.data, secretBefore.data, "the credentials changed");

  // Reverting clears the refusal; the StatefulSet is still the same one.
  await applyArch(cluster, shop(ns));
  const back = await cluster.eventually("no longer Degraded", async () => {
    const a = await converged(cluster, client, ns, "shop");
    return a.status?.phase !== "Degraded" ? a : undefined;
  });
  assert.equal(back.status?.conditions?.find((c) => c.type === "Degraded")?.status, "False");
  assert.equal(
    (await client.get<Sts>(STATEFULSETS, ns, "shop-cache")).metadata.uid,
    stsBefore.metadata.uid,
  );
});

test("objects made by hand are never applied over: NameTaken names their field manager; annotated for adoption, one is taken over; deleted, one is replaced", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-taken" });
  const client = clientFor(cluster);
  // Made with kubectl, as a user would, before the Architecture exists.
  await cluster.kubectl(["create", "deployment", "shop-api", "-n", ns, "--image=nginx:1.27"]);
  await cluster.kubectl(["create", "service", "clusterip", "shop-api", "-n", ns, "--tcp=80:80"]);
  const version = (o: Obj) => (o.metadata as { resourceVersion?: string }).resourceVersion;
  const deployment = await client.get<Obj>(DEPLOYMENTS, ns, "shop-api");
  const service = await client.get<Obj>(SERVICES, ns, "shop-api");
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  const arch = await cluster.eventually("Degraded", async () => {
    const a = await converged(cluster, client, ns, "shop");
    return a.status?.phase === "Degraded" ? a : undefined;
  });
  const degraded = arch.status?.conditions?.find((c) => c.type === "Degraded");
  assert.equal(degraded?.reason, "NameTaken");
  const message = degraded?.message ?? "";
  assert.match(
    message,
    /Service shop-api: already exists and is not part of Architecture 'shop' \(field manager kubectl-create\)/,
  );
  assert.match(
    message,
    /Deployment shop-api: already exists and is not part of Architecture 'shop' \(field manager kubectl-create\)/,
  );
  assert.doesNotMatch(message, /archctl validate/, "the blueprint is not at fault");
  await settle(op);
  assert.equal(version(await client.get<Obj>(DEPLOYMENTS, ns, "shop-api")), version(deployment));
  assert.equal(version(await client.get<Obj>(SERVICES, ns, "shop-api")), version(service));
  // The rest of the Architecture is built.
  assert.ok(await client.find(DEPLOYMENTS, ns, "shop-worker"));

  // The explicit hand-over of the Service; objects archctl does not watch
  // are looked at again within 30 s.
  await cluster.kubectl(["annotate", "service", "shop-api", "-n", ns, "archctl.io/adopt=shop"]);
  const adopted = await cluster.eventually(
    "the Service adopted",
    async () => {
      const s = await client.get<Obj>(SERVICES, ns, "shop-api");
      return s.metadata.labels?.[ARCHITECTURE_LABEL] === "shop" ? s : undefined;
    },
    90_000,
  );
  assert.equal(adopted.metadata.uid, service.metadata.uid, "recreated instead of adopted");
  const owner = (await getArchitecture(client, ns, "shop"))?.metadata.uid;
  assert.deepEqual(
    adopted.metadata.ownerReferences?.map((o) => o.uid),
    [owner],
  );
  // The Deployment's selector cannot change in place, so it is not a candidate
  // for adoption: deleted by its owner, it is replaced by archctl's own.
  await cluster.kubectl(["delete", "deployment", "shop-api", "-n", ns]);
  const healed = await cluster.eventually(
    "no longer Degraded",
    async () => {
      const a = await converged(cluster, client, ns, "shop");
      const d = a.status?.conditions?.find((c) => c.type === "Degraded");
      return d?.status === "False" ? a : undefined;
    },
    90_000,
  );
  assert.notEqual(healed.status?.phase, "Degraded");
  const ours = await client.get<Obj>(DEPLOYMENTS, ns, "shop-api");
  assert.equal(ours.metadata.labels?.[ARCHITECTURE_LABEL], "shop");
});

test("an invalid spec that slipped past the CRD becomes a condition, not a hot loop", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-invalid" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  // A bad cron schedule passes the CRD (CEL cannot parse cron) but not the operator.
  await applyArch(
    cluster,
    architecture("bad", ns, {
      components: [{ name: "tick", type: "cron", image: "busybox:1.36", schedule: "every minute" }],
    }),
  );
  const arch = await converged(cluster, client, ns, "bad");
  assert.equal(arch.status?.phase, "Degraded");
  assert.equal(arch.status?.conditions?.find((c) => c.type === "Degraded")?.reason, "InvalidSpec");
  await settle(op);
  const errors = logLines(op).filter((l) => l.includes('"reconcile failed'));
  assert.equal(errors.length, 0);
});

const HOLD = "test.archctl.io/hold";
const PVCS = resourceFor("v1", "PersistentVolumeClaim");
type Deletable = Obj & { metadata: { deletionTimestamp?: string } };

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
  const finalizers = (await client.get<Obj>(resource, ns, name)).metadata.finalizers ?? [];
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
  const secret = await client.get<Obj>(SECRETS, ns, "shop-cache-credentials");
  assert.equal(
    secret.metadata.ownerReferences,
    undefined,
    "kept credentials must not be garbage-collected",
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
    Obj & { spec: { volumeClaimTemplates: { metadata: { labels: Record<string, string> } }[] } }
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

test("with two operators and leader election exactly one writes, and the other takes over", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-leader" });
  const client = clientFor(cluster);
  const lease = { leaderElection: true, leaseNamespace: ns, leaseName: "archctl-test" };
  const a = await startOperator(t, cluster, ns, { ...lease, identity: "a" });
  const b = await startOperator(t, cluster, ns, { ...lease, identity: "b" });
  await cluster.eventually("a leader", async () => a.isLeader || b.isLeader);
  await sleep(2500);
  assert.equal(Number(a.isLeader) + Number(b.isLeader), 1, "exactly one leader");
  const [leader, follower] = a.isLeader ? [a, b] : [b, a];
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(leader);
  assert.equal(follower.writes, 0, "the follower wrote");
  const started = Date.now();
  await leader.stop(); // releases the lease
  await cluster.eventually("failover", async () => follower.isLeader, 20_000);
  const failoverMs = Date.now() - started;
  // The lease was released, so it is taken at the next retry: the bound is the
  // lease duration (what waiting it out would take), not a speed.
  assert.ok(
    failoverMs < 15_000,
    `failover took ${failoverMs} ms, the lease duration: the lease was not released`,
  );
  t.diagnostic(`failover ${failoverMs} ms after the leader stopped (lease 15 s, retry 2 s)`);
});

// The operator against a real kube-apiserver + etcd: what it refuses (a
// destructive datastore change, objects made by hand, an invalid spec that
// slipped past the CRD) and how it says so.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import { resourceFor } from "../../operator/kube/resources.ts";
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
} from "../support/operator.ts";
import { oneEvent } from "../support/operator-events.ts";
import { shop } from "../support/shop-architecture.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const DEPLOYMENTS = resourceFor("apps/v1", "Deployment");
const SERVICES = resourceFor("v1", "Service");
const SECRETS = resourceFor("v1", "Secret");
const STATEFULSETS = resourceFor("apps/v1", "StatefulSet");

test("a destructive datastore change is refused with a Degraded condition that says what to do; nothing is recreated", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "op-immutable" });
  const client = clientFor(cluster);
  const op = await startOperator(t, cluster, ns);
  await applyArch(cluster, shop(ns));
  await converged(cluster, client, ns, "shop");
  await settle(op);
  type Sts = LiveObject & {
    spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] };
  };
  const stsBefore = await client.get<Sts>(STATEFULSETS, ns, "shop-cache");
  const secretBefore = await client.get<LiveObject>(SECRETS, ns, "shop-cache-credentials");
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
  const warning = await oneEvent(cluster, ns, "shop", "Degraded");
  assert.match(warning.note, /^cache: StatefulSet shop-cache/);

  const sts = await client.get<Sts>(STATEFULSETS, ns, "shop-cache");
  assert.equal(sts.metadata.uid, stsBefore.metadata.uid, "the StatefulSet was recreated");
  assert.equal(sts.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage, sizeBefore);
  const secret = await client.get<LiveObject>(SECRETS, ns, "shop-cache-credentials");
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
  const version = (o: LiveObject) => (o.metadata as { resourceVersion?: string }).resourceVersion;
  const deployment = await client.get<LiveObject>(DEPLOYMENTS, ns, "shop-api");
  const service = await client.get<LiveObject>(SERVICES, ns, "shop-api");
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
  assert.equal(
    version(await client.get<LiveObject>(DEPLOYMENTS, ns, "shop-api")),
    version(deployment),
  );
  assert.equal(version(await client.get<LiveObject>(SERVICES, ns, "shop-api")), version(service));
  // The rest of the Architecture is built.
  assert.ok(await client.find(DEPLOYMENTS, ns, "shop-worker"));

  // The explicit hand-over of the Service; objects archctl does not watch
  // are looked at again within 30 s.
  await cluster.kubectl(["annotate", "service", "shop-api", "-n", ns, "archctl.io/adopt=shop"]);
  const adopted = await cluster.eventually(
    "the Service adopted",
    async () => {
      const s = await client.get<LiveObject>(SERVICES, ns, "shop-api");
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
  const ours = await client.get<LiveObject>(DEPLOYMENTS, ns, "shop-api");
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

// The operator on a whole local cluster (controllers, scheduler, kwok nodes):
// workloads roll out and become ready, so status, printer columns, GPU
// placement, volumes and garbage collection can be checked for real.
// Over 400 lines on purpose: four checks that share one cluster and its
// operator (set up once in before()); a file each would start both again.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { ARCHITECTURE_LABEL } from "../../operator/api/names.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { ARCHITECTURES, PODS, resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import { render } from "../../operator/render/index.ts";
import { REPO_ROOT } from "../cluster/binaries.ts";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster } from "../support/cluster.ts";
import { clientFor, getArchitecture, installCrd, startOperator } from "../support/operator.ts";
import { runOperatorProcess } from "../support/operator-process.ts";

let cluster: TestCluster;
before(async () => {
  cluster = await getCluster("kwok");
  await installCrd(cluster);
});

const PVCS = resourceFor("v1", "PersistentVolumeClaim");
const SECRETS = resourceFor("v1", "Secret");

type Obj = KubeObject & {
  metadata: KubeObject["metadata"] & {
    uid?: string;
    deletionTimestamp?: string;
    ownerReferences?: { uid: string; kind: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};
type Claim = Obj & { spec: { volumeName?: string }; status: { phase?: string } };
type Pod = Obj & {
  spec: { volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
};

/** What a printer-column reader sees of an Architecture's status at one moment. */
interface Snapshot {
  phase: string | undefined;
  ready: string | undefined;
  readyCondition: { status?: string; reason?: string; message?: string } | undefined;
  components: { name: string; ready: number; desired: number }[];
}

/**
 * Polls an Architecture's status until stopped, keeping each distinct one:
 * every phase a user running `kubectl get -w` would see (one poll every 100 ms,
 * and a phase lasts at least as long as a pod takes to become ready).
 */
function recordStatuses(ns: string, name: string): { stop: () => Promise<Snapshot[]> } {
  const client = clientFor(cluster);
  const seen: Snapshot[] = [];
  let lastVersion: string | undefined;
  let running = true;
  const snapshot = async () => {
    const a = await getArchitecture(client, ns, name).catch(() => undefined);
    if (a?.status && a.metadata.resourceVersion !== lastVersion) {
      lastVersion = a.metadata.resourceVersion;
      seen.push({
        phase: a.status.phase,
        ready: a.status.ready,
        readyCondition: a.status.conditions?.find((c) => c.type === "Ready"),
        components: (a.status.components ?? []).map((c) => ({
          name: c.name,
          ready: c.ready,
          desired: c.desired,
        })),
      });
    }
  };
  const loop = (async () => {
    while (running) {
      await snapshot();
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      // The status the caller just waited for: the loop's last read may have
      // begun before it was written (seen on a loaded machine: no Ready).
      await snapshot();
      return seen;
    },
  };
}

/** A reference blueprint resolved for `env`, placed in `namespace`. */
function blueprint(name: string, namespace: string, env = "dev", set: string[] = []): Architecture {
  const text = readFileSync(join(REPO_ROOT, "blueprints", `${name}.yaml`), "utf8");
  const loaded = loadBlueprint(text, { file: `${name}.yaml`, env, set });
  assert.ok(loaded.architecture, `${name}: ${loaded.problems.map((p) => p.message).join("; ")}`);
  return { ...loaded.architecture, metadata: { ...loaded.architecture.metadata, namespace } };
}

async function apply(arch: Architecture): Promise<void> {
  await clientFor(cluster).apply(arch as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
}

async function waitReady(ns: string, name: string, timeoutMs = 120_000) {
  const client = clientFor(cluster);
  return cluster.eventually(
    `${ns}/${name} Ready`,
    async () => {
      const a = await getArchitecture(client, ns, name);
      return a?.status?.phase === "Ready" && a.status.observedGeneration === a.metadata.generation
        ? a
        : undefined;
    },
    timeoutMs,
  );
}

test("post: Pending, then Progressing, then Ready as its pods are admitted; status and printer columns say who it waits for", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "e2e-post" });
  const client = clientFor(cluster);
  // kwok makes pods Ready in well under a second, before the first status
  // write. A pod quota in the test's namespace holds them back instead: none,
  // then one, then all.
  const quota = (pods: string) => ({
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "hold-pods", namespace: ns },
    spec: { hard: { pods } },
  });
  await cluster.apply(ns, [quota("0")]);
  await startOperator(t, cluster, ns);
  const recorder = recordStatuses(ns, "post");
  await apply(blueprint("post", ns));
  const phaseIs = (phase: string) => async () => {
    const a = await getArchitecture(client, ns, "post");
    return a?.status?.phase === phase && a.status.observedGeneration === a.metadata.generation
      ? a
      : undefined;
  };
  await cluster.eventually("Pending", phaseIs("Pending"));
  const table = async (wide = false) =>
    (await cluster.kubectl(["get", "architectures", "-n", ns, ...(wide ? ["-o", "wide"] : [])]))
      .stdout;
  assert.match(await table(), /\npost\s+Pending\s+0\/3\s/);
  assert.match(await table(true), /ComponentsNotReady/);
  await cluster.apply(ns, [quota("1")]);
  await cluster.eventually("Progressing", phaseIs("Progressing"));
  assert.match(await table(), /\npost\s+Progressing\s+1\/3\s/);
  await cluster.kubectl(["delete", "resourcequota", "hold-pods", "-n", ns]);
  const arch = await waitReady(ns, "post");
  const seen = await recorder.stop();

  // Pending (nothing ready), Progressing (some of it), Ready: never back,
  // never Degraded; each step before Ready says whom it waits for.
  const order = ["Pending", "Progressing", "Ready"];
  const phases = seen.map((s) => s.phase).filter((p, i, all) => p !== all[i - 1]);
  assert.deepEqual(phases, order, `phases seen: ${phases.join(" -> ")}`);
  for (const s of seen.filter((x) => x.phase !== "Ready")) {
    const waiting = s.components.filter((c) => c.ready < c.desired);
    const what = JSON.stringify(s);
    assert.ok(waiting.length > 0, `not Ready, yet every component is: ${what}`);
    assert.equal(
      s.phase,
      s.components.every((c) => c.ready === 0) ? "Pending" : "Progressing",
      what,
    );
    assert.equal(s.ready, `${s.components.length - waiting.length}/${s.components.length}`, what);
    assert.equal(s.readyCondition?.status, "False", what);
    assert.equal(s.readyCondition?.reason, "ComponentsNotReady", what);
    for (const c of waiting)
      assert.match(s.readyCondition?.message ?? "", new RegExp(`\\b${c.name} \\(`), what);
  }

  const ready = arch.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.status, "True");
  assert.equal(ready?.reason, "AllComponentsReady");
  for (const c of arch.status?.components ?? [])
    assert.ok(c.ready >= c.desired, `${c.name}: ${c.ready}/${c.desired} ${c.message}`);
  assert.ok(
    arch.status?.endpoints?.some((e) => e.url.startsWith("http")),
    "endpoints listed",
  );

  const [header, row] = (await table()).trim().split("\n");
  assert.match(header ?? "", /^NAME\s+PHASE\s+READY\s+AGE\s+EXPIRES/);
  assert.match(row ?? "", /^post\s+Ready\s+(\d+)\/\1\s+\d+s/);
  assert.match(await table(true), /AllComponentsReady/);
});

test("task-queue: GPU workers land on GPU nodes only; nothing else does", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "e2e-gpu" });
  await startOperator(t, cluster, ns);
  // Fixed worker replicas: without KEDA the queue scaler falls back to CPU.
  await apply(blueprint("task-queue", ns));
  await waitReady(ns, "task-queue");
  const gpuNodes = new Set(await cluster.gpuNodes());
  assert.ok(gpuNodes.size > 0);
  const pods = JSON.parse(
    (await cluster.kubectl(["get", "pods", "-n", ns, "-o", "json"])).stdout,
  ) as {
    items: {
      metadata: { name: string; labels: Record<string, string> };
      spec: {
        nodeName?: string;
        containers: { resources?: { limits?: Record<string, string> } }[];
      };
    }[];
  };
  const gpuPods = pods.items.filter((p) =>
    p.spec.containers.some((c) => c.resources?.limits?.["nvidia.com/gpu"]),
  );
  assert.ok(gpuPods.length > 0, "some pods request GPUs");
  for (const p of pods.items) {
    const onGpu = gpuNodes.has(p.spec.nodeName ?? "");
    const wantsGpu = gpuPods.includes(p);
    assert.equal(onGpu, wantsGpu, `${p.metadata.name} on ${p.spec.nodeName}: wantsGpu=${wantsGpu}`);
  }
});

test("data volumes: a refused storage change leaves the claim bound; Retain keeps PVCs and credentials and a re-apply binds the same ones; Delete removes them", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "e2e-data" });
  const client = clientFor(cluster);
  await startOperator(t, cluster, ns);
  const arch: Architecture = {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "notes", namespace: ns },
    spec: {
      components: [
        { name: "api", type: "service", image: "ghcr.io/example/notes:1", uses: ["db"] },
        { name: "db", type: "postgres", storage: { size: "1Gi" } },
      ],
      monitoring: { serviceMonitors: false, dashboard: false },
    },
  };
  const STATEFULSETS = resourceFor("apps/v1", "StatefulSet");
  await apply(arch);
  await waitReady(ns, "notes");
  // The PV controller writes the claim's phase on its own schedule, after the
  // scheduler has bound the pod: on a loaded machine Ready can come first.
  const claims = await cluster.eventually("the data claim Bound", async () => {
    const items = (await client.list<Claim>(PVCS, ns)).items;
    return items.length === 1 && items[0]?.status.phase === "Bound" ? items : undefined;
  });
  assert.equal(claims.length, 1);
  const claim = claims[0] as Claim;
  assert.equal(claim.status.phase, "Bound");
  assert.ok(claim.spec.volumeName, "bound to a volume");
  const claimName = claim.metadata.name;
  const firstPod = await client.get<Pod>(PODS, ns, "notes-db-0");
  const firstSet = await client.get<Obj>(STATEFULSETS, ns, "notes-db");
  const password = (
    await client.get<Obj & { data: Record<string, string> }>(SECRETS, ns, "notes-db-credentials")
  ).data.password;

  // A storage change Kubernetes cannot make in place: refused, nothing moves.
  const bigger = {
    ...arch,
    spec: {
      ...arch.spec,
      components: arch.spec.components.map((c) =>
        c.name === "db" ? { ...c, storage: { size: "50Gi" } } : c,
      ),
    },
  };
  await apply(bigger);
  const refused = await cluster.eventually("Degraded", async () => {
    const a = await getArchitecture(client, ns, "notes");
    return a?.status?.phase === "Degraded" && a.status.observedGeneration === a.metadata.generation
      ? a
      : undefined;
  });
  assert.match(
    refused.status?.conditions?.find((c) => c.type === "Degraded")?.message ?? "",
    /^db: StatefulSet notes-db: the data volume template changed \(data=1Gi -> data=50Gi\).*Revert the storage change of component db/,
  );
  await sleep(2000); // give a wrongful delete or recreate time to show
  const still = await client.get<Claim>(PVCS, ns, claimName);
  assert.deepEqual(
    [
      still.metadata.uid,
      still.status.phase,
      still.spec.volumeName,
      still.metadata.deletionTimestamp,
    ],
    [claim.metadata.uid, "Bound", claim.spec.volumeName, undefined],
    "the claim is untouched",
  );
  assert.equal(
    (await client.get<Obj>(STATEFULSETS, ns, "notes-db")).metadata.uid,
    firstSet.metadata.uid,
  );
  assert.equal((await client.get<Pod>(PODS, ns, "notes-db-0")).metadata.uid, firstPod.metadata.uid);
  await apply(arch);
  await waitReady(ns, "notes");

  await client.delete(ARCHITECTURES, ns, "notes");
  await cluster.eventually(
    "architecture gone",
    async () => (await getArchitecture(client, ns, "notes")) === undefined,
  );
  await cluster.eventually(
    "StatefulSet collected",
    async () => (await client.find(STATEFULSETS, ns, "notes-db")) === undefined,
  );
  const kept = (await client.list<Obj>(PVCS, ns)).items;
  assert.deepEqual(
    kept.map((c) => c.metadata.uid),
    [claim.metadata.uid],
    "the claim is kept",
  );
  assert.ok(await client.find(SECRETS, ns, "notes-db-credentials"), "the credentials are kept");

  await apply(arch);
  await waitReady(ns, "notes");
  const again = (await client.list<Claim>(PVCS, ns)).items;
  assert.deepEqual(
    again.map((c) => [c.metadata.uid, c.status.phase, c.spec.volumeName]),
    [[claim.metadata.uid, "Bound", claim.spec.volumeName]],
    "the same claim is bound again, to the same volume",
  );
  const newPod = await client.get<Pod>(PODS, ns, "notes-db-0");
  assert.notEqual(newPod.metadata.uid, firstPod.metadata.uid, "a new pod");
  assert.deepEqual(
    newPod.spec.volumes
      ?.filter((v) => v.persistentVolumeClaim)
      .map((v) => v.persistentVolumeClaim?.claimName),
    [claimName],
    "the new pod mounts the kept claim",
  );
  assert.equal(
    (await client.get<Obj & { data: Record<string, string> }>(SECRETS, ns, "notes-db-credentials"))
      .data.password,
    password,
    "same credentials",
  );

  await apply({ ...arch, spec: { ...arch.spec, deletionPolicy: "Delete" } });
  await sleep(500);
  await client.delete(ARCHITECTURES, ns, "notes");
  // Gone, not just Terminating, and never deleted under a running pod: the
  // StatefulSet and its pod go first.
  const deletedUnderPod = new Set<string>();
  const deadline = Date.now() + 90_000;
  for (;;) {
    const [claimsNow, pods] = await Promise.all([
      client.list<Obj>(PVCS, ns),
      client.list<Pod>(PODS, ns),
    ]);
    for (const c of claimsNow.items) {
      if (!c.metadata.deletionTimestamp) continue;
      for (const p of pods.items)
        if (p.spec.volumes?.some((v) => v.persistentVolumeClaim?.claimName === c.metadata.name))
          deletedUnderPod.add(`${c.metadata.name} Terminating while ${p.metadata.name} exists`);
    }
    if (claimsNow.items.length === 0) break;
    assert.ok(Date.now() < deadline, "claims not gone after 90 s");
    await sleep(25); // the window to catch is a garbage-collector round trip
  }
  assert.deepEqual([...deletedUnderPod], []);
  assert.equal(await getArchitecture(client, ns, "notes"), undefined);
});

test("an operator killed with SIGKILL mid-reconcile converges after a restart, with nothing duplicated or orphaned", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "e2e-kill" });
  const client = clientFor(cluster);
  const run = () => runOperatorProcess(cluster.kubeconfig, ns).child;
  let op = run();
  t.after(() => op.kill("SIGKILL"));
  await apply(blueprint("chat", ns));
  // Kill as soon as the first child shows up: the reconcile is half done.
  await cluster.eventually(
    "first child",
    async () => (await client.list<Obj>(resourceFor("v1", "Service"), ns)).items.length > 0,
    30_000,
  );
  op.kill("SIGKILL");
  await new Promise((r) => op.once("exit", r));
  op = run();
  const chat = await waitReady(ns, "chat");
  // Exactly what a render says, owned by this Architecture: nothing left over
  // from the killed pass, nothing orphaned, no credentials generated twice.
  // Rendered with what this cluster serves, as the operator does.
  const serves = async (groupVersion: string) =>
    client.rest.get(`/apis/${groupVersion}`).then(
      () => true,
      () => false,
    );
  const desired = render(blueprint("chat", ns), {
    keda: await serves("keda.sh/v1alpha1"),
    serviceMonitors: await serves("monitoring.coreos.com/v1"),
  });
  const byKind = new Map<string, string[]>([["v1/Secret", desired.secrets.map((x) => x.name)]]);
  for (const o of desired.objects) {
    if (o.kind === "PersistentVolumeClaim") continue; // kept and not owned under Retain
    const k = `${o.apiVersion}/${o.kind}`;
    byKind.set(k, [...(byKind.get(k) ?? []), o.metadata.name]);
  }
  for (const [k, names] of byKind) {
    const [apiVersion, kind] = [k.slice(0, k.lastIndexOf("/")), k.slice(k.lastIndexOf("/") + 1)];
    const live = (
      await client.list<Obj>(resourceFor(apiVersion, kind), ns, `${ARCHITECTURE_LABEL}=chat`)
    ).items;
    assert.deepEqual(live.map((o) => o.metadata.name).sort(), [...names].sort(), `${kind}s`);
    for (const o of live)
      assert.deepEqual(
        o.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]),
        [["Architecture", (chat as StoredArchitecture).metadata.uid, true]],
        `${kind} ${o.metadata.name} owned once, by chat`,
      );
  }
  const stop = new Promise((r) => op.once("exit", r));
  op.kill("SIGTERM");
  assert.equal(await stop, 0, "SIGTERM exits 0");
});

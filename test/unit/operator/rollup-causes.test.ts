// A component that is not ready says why, from its pods and claims: each
// cause the scheduler or the kubelet reports, and a stall after STALL_SECONDS.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture, ArchitectureStatus } from "../../../operator/api/schema.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import type { ClaimView, PodView } from "../../../operator/status/causes.ts";
import { STALL_SECONDS } from "../../../operator/status/causes.ts";
import type { RollupInput } from "../../../operator/status/rollup.ts";
import { rollupStatus, rollup as rollupWithRecheck } from "../../../operator/status/rollup.ts";

const arch: Architecture = {
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "tq", namespace: "ns" },
  spec: {
    gpuPools: [{ name: "l4", nodeSelector: { "gpu.example.com/model": "l4" } }],
    components: [
      {
        name: "worker",
        type: "worker",
        image: "ghcr.io/x/worker:1",
        gpu: { pool: "l4", count: 1 },
      },
      { name: "db", type: "postgres" },
      { name: "migrate", type: "job", image: "ghcr.io/x/migrate:1" },
    ],
  },
};

const NOW = new Date("2026-12-02T12:00:00Z");
const CREATED = "2026-12-02T11:58:00Z"; // two minutes before NOW: not stalled yet

const deployment: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "tq-worker", generation: 1 } as KubeObject["metadata"],
  spec: { replicas: 1 },
  status: { observedGeneration: 1, updatedReplicas: 1, readyReplicas: 0 },
};
const statefulset: KubeObject = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "tq-db", generation: 1 } as KubeObject["metadata"],
  spec: { replicas: 1 },
  status: { observedGeneration: 1, readyReplicas: 0, currentRevision: "r", updateRevision: "r" },
};
const job = (status: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "tq-migrate" },
  status,
});

const OWNERS: Record<string, { kind: string; name: string }> = {
  worker: { kind: "ReplicaSet", name: "tq-worker-5c7d9" },
  db: { kind: "StatefulSet", name: "tq-db" },
  migrate: { kind: "Job", name: "tq-migrate" },
};

function pod(component: string, status: PodView["status"], created = CREATED): PodView {
  const owner = OWNERS[component] as { kind: string; name: string };
  return {
    metadata: {
      name: `${owner.name}-x1`,
      creationTimestamp: created,
      ownerReferences: [owner],
    },
    spec: { containers: [{ name: "app", image: `ghcr.io/x/${component}:1` }] },
    status,
  };
}

function rollup(
  pods: PodView[],
  claims: ClaimView[] = [],
  over: Partial<RollupInput> = {},
): ArchitectureStatus {
  return rollupStatus(inputOf(pods, claims, over));
}

function inputOf(
  pods: PodView[],
  claims: ClaimView[] = [],
  over: Partial<RollupInput> = {},
): RollupInput {
  const children = [deployment, statefulset, job()];
  return {
    arch: applyDefaults(arch),
    generation: 1,
    child: (kind, name) => children.find((c) => c.kind === kind && c.metadata.name === name),
    pods: (component) =>
      pods.filter((p) => p.metadata.ownerReferences?.[0]?.name.includes(component)),
    claims: () => claims,
    notices: [],
    blocked: [],
    failures: [],
    now: NOW,
    ...over,
  };
}

const messageOf = (s: ArchitectureStatus, component: string) =>
  s.components?.find((c) => c.name === component)?.message ?? "";

const waiting = (reason: string, message: string) => [
  {
    name: "app",
    image: "ghcr.io/x/worker:1",
    ready: false,
    state: { waiting: { reason, message } },
  },
];

test("Unschedulable: the scheduler's message and the GPU pool's node labels", () => {
  const pods = [
    pod("worker", {
      phase: "Pending",
      conditions: [
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
        },
      ],
    }),
  ];
  const s = rollup(pods);
  const m = messageOf(s, "worker");
  assert.match(
    m,
    /^0\/1 replicas ready: pod tq-worker-5c7d9-x1 cannot be scheduled: 0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./,
  );
  assert.match(m, /GPU pool 'l4' needs nodes labelled gpu\.example\.com\/model=l4/);
  // Said in the Architecture's own conditions too, not only per component.
  assert.match(
    s.conditions?.find((c) => c.type === "Progressing")?.message ?? "",
    /cannot be scheduled/,
  );
  assert.equal(s.phase, "Pending", "two minutes in: still waiting, not stalled");
  // No event marks the moment it stalls: the roll-up asks to look again then.
  const { recheckAfterMs } = rollupWithRecheck(inputOf(pods));
  assert.equal(recheckAfterMs, (STALL_SECONDS - 120 + 1) * 1000);
});

test("ErrImagePull and ImagePullBackOff name the image", () => {
  for (const reason of ["ErrImagePull", "ImagePullBackOff"]) {
    const s = rollup([
      pod("worker", {
        phase: "Pending",
        containerStatuses: waiting(reason, "rpc error: manifest for ghcr.io/x/worker:1 not found"),
      }),
    ]);
    assert.match(
      messageOf(s, "worker"),
      new RegExp(
        `container 'app' cannot pull image 'ghcr\\.io/x/worker:1' \\(${reason}: rpc error`,
      ),
    );
  }
});

test("CrashLoopBackOff names the last exit code and reason", () => {
  const s = rollup([
    pod("worker", {
      phase: "Running",
      containerStatuses: [
        {
          name: "app",
          ready: false,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s" } },
          lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } },
        },
      ],
    }),
  ]);
  assert.match(
    messageOf(s, "worker"),
    /container 'app' keeps crashing \(CrashLoopBackOff\): last exit code 137 \(OOMKilled\)/,
  );
});

test("CreateContainerConfigError names the Secret and key", () => {
  const s = rollup([
    pod("worker", {
      phase: "Pending",
      containerStatuses: waiting(
        "CreateContainerConfigError",
        "couldn't find key password in Secret ns/tq-db-credentials",
      ),
    }),
  ]);
  assert.match(
    messageOf(s, "worker"),
    /CreateContainerConfigError\): couldn't find key password in Secret ns\/tq-db-credentials/,
  );
});

test("a Pending claim: no default StorageClass, or the named one provisions nothing", () => {
  const unbound = pod("db", {
    phase: "Pending",
    conditions: [
      {
        type: "PodScheduled",
        status: "False",
        reason: "Unschedulable",
        message: "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
      },
    ],
  });
  const claim = (storageClassName?: string): ClaimView => ({
    metadata: { name: "data-tq-db-0", creationTimestamp: CREATED },
    ...(storageClassName ? { spec: { storageClassName } } : {}),
    status: { phase: "Pending" },
  });
  assert.match(
    messageOf(rollup([unbound], [claim()]), "db"),
    /claim data-tq-db-0 is Pending: it names no StorageClass and the cluster has no default StorageClass/,
  );
  assert.match(
    messageOf(rollup([unbound], [claim("fast-ssd")]), "db"),
    /claim data-tq-db-0 is Pending: no volume provisioned by StorageClass 'fast-ssd'/,
  );
  // A claim of the backup target, not made from the StatefulSet's template, is not the cause.
  const backup: ClaimView = { metadata: { name: "tq-db-backups" }, status: { phase: "Pending" } };
  assert.doesNotMatch(messageOf(rollup([unbound], [backup]), "db"), /claim/);
});

test("a failed Job names its pod's exit code", () => {
  const failed = job({
    failed: 2,
    conditions: [
      {
        type: "Failed",
        status: "True",
        reason: "BackoffLimitExceeded",
        message: "Job has reached the specified backoff limit",
      },
    ],
  });
  const s = rollupStatus({
    arch: applyDefaults(arch),
    generation: 1,
    child: (kind, name) =>
      [deployment, statefulset, failed].find((c) => c.kind === kind && c.metadata.name === name),
    pods: (component) =>
      component === "migrate"
        ? [
            pod("migrate", {
              phase: "Failed",
              containerStatuses: [
                {
                  name: "app",
                  state: {
                    terminated: {
                      exitCode: 3,
                      reason: "Error",
                      message: 'relation "x" does not exist',
                    },
                  },
                },
              ],
            }),
          ]
        : [],
    notices: [],
    blocked: [],
    failures: [],
    now: NOW,
  });
  assert.equal(s.phase, "Degraded");
  assert.match(
    messageOf(s, "migrate"),
    /^failed: Job has reached the specified backoff limit: pod tq-migrate-x1: container 'app' failed: exit code 3 \(Error: relation "x" does not exist\)/,
  );
});

test(`a cause that holds a component back for ${STALL_SECONDS} s turns the Architecture Degraded, Stalled=True`, () => {
  const longAgo = new Date(NOW.getTime() - STALL_SECONDS * 1000).toISOString();
  const crash = (created: string) =>
    pod(
      "db",
      {
        phase: "Running",
        containerStatuses: [
          {
            name: "app",
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1, reason: "Error" } },
          },
        ],
      },
      created,
    );
  const fresh = rollup([crash(CREATED)]);
  assert.equal(fresh.conditions?.find((c) => c.type === "Stalled")?.status, "False");
  const old = rollup([crash(longAgo)]);
  assert.equal(old.phase, "Degraded");
  const cond = (t: string) => old.conditions?.find((c) => c.type === t);
  assert.equal(cond("Stalled")?.status, "True");
  assert.equal(cond("Degraded")?.reason, "ComponentStalled");
  assert.match(
    cond("Degraded")?.message ?? "",
    /^db: 0\/1 replicas ready: pod tq-db-x1: container 'app' keeps crashing/,
  );
  // A pod that is merely starting names no cause and never stalls.
  const starting = rollup([
    pod("db", { phase: "Pending", containerStatuses: waiting("ContainerCreating", "") }, longAgo),
  ]);
  assert.equal(starting.phase, "Pending");
  assert.equal(messageOf(starting, "db"), "0/1 replicas ready");
});

test("pods of other workloads of the component (its backup Job) are not read for it", () => {
  const backupPod: PodView = {
    metadata: {
      name: "tq-db-backup-29-abc",
      ownerReferences: [{ kind: "Job", name: "tq-db-backup-29" }],
    },
    status: {
      phase: "Failed",
      containerStatuses: [{ name: "dump", state: { terminated: { exitCode: 2 } } }],
    },
  };
  const s = rollup([], [], { pods: () => [backupPod] });
  assert.equal(messageOf(s, "db"), "0/1 replicas ready");
});

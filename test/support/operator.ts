// Runs the real operator in the test process against a test cluster, and the
// small helpers the operator tests share.
import type { TestContext } from "node:test";
import { buildCrd } from "../../operator/api/crd.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import { loadKubeConfig } from "../../operator/kube/config.ts";
import { ObjectClient } from "../../operator/kube/objects.ts";
import { ARCHITECTURES } from "../../operator/kube/resources.ts";
import { KubeRest } from "../../operator/kube/rest.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { OperatorOptions } from "../../operator/operator.ts";
import { Operator } from "../../operator/operator.ts";
import type { StoredArchitecture } from "../../operator/reconcile/reconciler.ts";
import { createLogger } from "../../operator/runtime/logger.ts";
import { waitEstablished } from "../cluster/kubectl.ts";
import type { TestCluster } from "./cluster.ts";

const installed = new WeakSet<TestCluster>();

/** Installs (or updates) the Architecture CRD and waits until it is served. */
export async function installCrd(cluster: TestCluster): Promise<void> {
  if (installed.has(cluster)) return;
  await cluster.apply(undefined, [buildCrd()]);
  await waitEstablished(cluster.kubectl, ["architectures.archctl.io"]);
  installed.add(cluster);
}

/** An object client for the test's own reads and writes. */
export function clientFor(cluster: TestCluster): ObjectClient {
  return new ObjectClient(new KubeRest(loadKubeConfig({ kubeconfig: cluster.kubeconfig })));
}

/** Starts an operator watching `namespace`; stopped when the test ends. */
export async function startOperator(
  t: TestContext,
  cluster: TestCluster,
  namespace: string,
  opts: Partial<OperatorOptions> = {},
): Promise<Operator> {
  const lines: string[] = [];
  const op = new Operator({
    kubeconfig: cluster.kubeconfig,
    namespaces: [namespace],
    metricsAddress: "",
    leaderElection: false,
    resyncSeconds: 3600,
    processMetrics: false,
    log: createLogger(process.env.ARCHCTL_TEST_LOG === "debug" ? "debug" : "info", {}, (l) => {
      lines.push(l);
      if (process.env.ARCHCTL_TEST_LOG) process.stderr.write(l);
    }),
    ...opts,
  });
  (op as Operator & { logLines: string[] }).logLines = lines;
  await op.start();
  t.after(() => op.stop());
  return op;
}

export function logLines(op: Operator): string[] {
  return (op as Operator & { logLines?: string[] }).logLines ?? [];
}

export async function getArchitecture(
  client: ObjectClient,
  ns: string,
  name: string,
): Promise<StoredArchitecture | undefined> {
  return client.find<StoredArchitecture>(ARCHITECTURES, ns, name);
}

/** Waits until the operator has observed the current generation. */
export async function converged(
  cluster: TestCluster,
  client: ObjectClient,
  ns: string,
  name: string,
  timeoutMs = 30_000,
): Promise<StoredArchitecture> {
  return cluster.eventually(
    `${ns}/${name} to be reconciled`,
    async () => {
      const a = await getArchitecture(client, ns, name);
      return a && a.status?.observedGeneration === a.metadata.generation ? a : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the operator's write counter has not moved for `quietMs`. */
export async function settle(op: Operator, quietMs = 1500, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = op.writes;
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (op.writes !== last) {
      last = op.writes;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return last;
  }
  throw new Error(`operator kept writing for ${timeoutMs} ms`);
}

export function architecture(
  name: string,
  namespace: string,
  spec: Architecture["spec"],
): Architecture {
  return {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name, namespace },
    spec,
  };
}

/** Server-side apply of an Architecture by the test (field manager archctl-test, forced). */
export async function applyArch(cluster: TestCluster, arch: Architecture): Promise<void> {
  await clientFor(cluster).apply(arch as unknown as KubeObject, {
    fieldManager: "archctl-test",
    force: true,
  });
}

/** The operator's own write counter for one kind and verb. */
export async function writesOf(op: Operator, kind: string, verb: string): Promise<number> {
  const { values } = await op.metrics.apiWrites.get();
  return values.find((v) => v.labels.kind === kind && v.labels.verb === verb)?.value ?? 0;
}

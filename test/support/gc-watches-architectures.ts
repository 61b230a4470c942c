// Before delete-heavy tests on a fresh cluster: wait until its garbage
// collector acts on Architectures (test/cluster/README.md says why).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ARCHITECTURES, resourceFor } from "../../operator/kube/resources.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import type { TestCluster } from "./cluster.ts";
import type { LiveObject } from "./live-object.ts";
import { architecture, clientFor } from "./operator.ts";

/**
 * Waits until the garbage collector watches Architectures. It picks up a new
 * CRD's kind on its next discovery resync (about 30 s later), and children of
 * an Architecture deleted before then can stay for good: seen once in the
 * operator SIGKILL test (faults-operator-kill.test.ts) on a fresh cluster (a PodDisruptionBudget whose owner was
 * deleted 15 s after the CRD was installed was still there 2 minutes later).
 * Probe: an Architecture in `default` (no operator watches it) owning a
 * ConfigMap; deleted; the ConfigMap must go within 5 s. Repeated until it does.
 */
export async function gcWatchesArchitectures(cluster: TestCluster): Promise<void> {
  const client = clientFor(cluster);
  const CONFIGMAPS = resourceFor("v1", "ConfigMap");
  const started = Date.now();
  const probes: string[] = [];
  try {
    for (let i = 0; ; i++) {
      const name = `gc-probe-${process.pid}-${i}`;
      probes.push(name);
      const owner = await client.apply<LiveObject>(
        architecture(name, "default", {
          components: [{ name: "api", type: "service", image: "ghcr.io/example/api:1" }],
        }) as unknown as KubeObject,
        { fieldManager: "archctl-test", force: true },
      );
      await client.apply(
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name,
            namespace: "default",
            ownerReferences: [
              {
                apiVersion: owner.apiVersion,
                kind: owner.kind,
                name,
                uid: owner.metadata.uid as string,
              },
            ],
          },
        } as KubeObject,
        { fieldManager: "archctl-test", force: true },
      );
      await client.delete(ARCHITECTURES, "default", name);
      for (let w = 0; w < 20; w++) {
        if (!(await client.find(CONFIGMAPS, "default", name))) return;
        await sleep(250);
      }
      assert.ok(Date.now() - started < 120_000, "the garbage collector ignores Architectures");
    }
  } finally {
    for (const name of probes) {
      await client.delete(CONFIGMAPS, "default", name).catch(() => undefined);
      await client.delete(ARCHITECTURES, "default", name).catch(() => undefined);
    }
    process.stderr.write(
      `# garbage collector watches Architectures: ${probes.length} probe(s), ${Date.now() - started} ms\n`,
    );
  }
}

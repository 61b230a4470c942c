// A datastore that starts from a backup (spec.components[].restore) is not
// ready until its restore Job has finished: the component says "restoring
// from ..." meanwhile, and a failed or refused restore makes it Degraded
// (reason RestoreFailed) with the Job's message. Redis restores in an init
// container, which holds its pod not-ready like any start-up. Pure.
import type { ResolvedComponent } from "../api/defaults.ts";
import { childName } from "../api/names.ts";
import type { ComponentStatus } from "../api/schema.ts";
import type { KubeObject } from "../kube/types.ts";

type Obj = KubeObject & {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
};

const JOB_RESTORED = new Set(["postgres", "mysql", "mongodb"]);

/** The component's state while its restore Job has not succeeded; undefined once it has (or none applies). */
export function restoreState(
  c: ResolvedComponent,
  arch: string,
  child: (kind: string, name: string) => KubeObject | undefined,
): { status: ComponentStatus; degraded?: string; reason?: string; restoring?: true } | undefined {
  const from = c.restore?.from;
  if (!from || !JOB_RESTORED.has(c.type)) return undefined;
  const source = `${from.namespace ? `${from.namespace}/` : ""}${from.architecture ?? arch}/${from.component}@${from.backup ?? "latest"}`;
  const base = { name: c.name, type: c.type, ready: 0, desired: c.replicas };
  const job = child("Job", childName(arch, c.name, "restore")) as Obj | undefined;
  if (!job)
    return {
      status: { ...base, message: `restoring from ${source}: Job not created yet` },
      restoring: true,
    };
  const is = (type: string) =>
    job.status?.conditions?.find((x) => x.type === type && x.status === "True");
  if (is("Complete")) return undefined;
  const failed = is("Failed");
  if (failed)
    return {
      status: {
        ...base,
        message:
          `restore from ${source} failed: ${failed.message ?? failed.reason ?? ""} (kubectl logs job/${job.metadata.name} says why)`.trim(),
      },
      degraded: `${c.name}: restore failed`,
      reason: "RestoreFailed",
    };
  return { status: { ...base, message: `restoring from ${source}` }, restoring: true };
}

/**
 * The datastores whose restore Job has not completed (running or failed), and
 * for each component that `uses` one of them, which: those are held back (not
 * applied) until the restore is done, since a client that writes first makes
 * the restore refuse a non-empty target. Pure.
 */
export function restoreHolds(
  components: readonly ResolvedComponent[],
  arch: string,
  child: (kind: string, name: string) => KubeObject | undefined,
): { restoring: Set<string>; held: Map<string, string[]> } {
  const restoring = new Set(
    components.filter((c) => restoreState(c, arch, child) !== undefined).map((c) => c.name),
  );
  const held = new Map<string, string[]>();
  for (const c of components) {
    const waits = (c.uses ?? []).filter((u) => restoring.has(u));
    if (waits.length) held.set(c.name, waits);
  }
  return { restoring, held };
}

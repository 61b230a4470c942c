// Secrets the team manages (spec.secrets[].fromSecret): read before the
// children are applied. A missing Secret or key is said in status, naming it,
// and the workloads of the components that read it are held back (not created,
// not updated, not pruned), so no pod starts half-configured. These Secrets are
// not archctl's, so no cache watches them: while one is missing the
// Architecture looks again every REFERENCED_SECRET_RECHECK_MS.
import { COMPONENT_LABEL } from "../api/names.ts";
import type { Architecture } from "../api/schema.ts";
import { secretsUsedBy } from "../api/secret-refs.ts";
import { resourceFor } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Pass } from "./pass.ts";
import type { ChildFailure } from "./types.ts";

export const REFERENCED_SECRET_RECHECK_MS = 30_000;
const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "Job", "CronJob"]);

export interface ReferenceProblem {
  /** The Secret's name in the namespace. */
  secret: string;
  /** The spec.secrets entry. */
  entry: string;
  missingKeys: string[] | "all";
  /** Components that read it. */
  components: string[];
}

/**
 * What is wrong with the referenced Secrets, given the keys each live one holds
 * (undefined: it does not exist). Pure.
 */
export function referenceProblems(
  arch: Architecture,
  keysOf: (secret: string) => string[] | undefined,
): ReferenceProblem[] {
  const out: ReferenceProblem[] = [];
  for (const s of arch.spec.secrets ?? []) {
    if (!s.fromSecret) continue;
    const components = arch.spec.components
      .filter((c) => secretsUsedBy(c).includes(s.name))
      .map((c) => c.name);
    if (components.length === 0) continue;
    const have = keysOf(s.fromSecret.name);
    const missing = have ? s.fromSecret.keys.filter((k) => !have.includes(k)) : "all";
    if (missing === "all" || missing.length)
      out.push({ secret: s.fromSecret.name, entry: s.name, missingKeys: missing, components });
  }
  return out;
}

/** The status line of a problem: names the Secret and keys, never a value. */
export function problemMessage(p: ReferenceProblem, namespace: string): string {
  const held = `${p.components.join(", ")} ${p.components.length === 1 ? "is" : "are"} held back until it is`;
  if (p.missingKeys === "all")
    return `Secret '${p.secret}' (spec.secrets '${p.entry}') does not exist in namespace ${namespace}: create it; ${held}`;
  return `Secret '${p.secret}' (spec.secrets '${p.entry}') has no key ${p.missingKeys.map((k) => `'${k}'`).join(", ")}: add it; ${held}`;
}

/** "Kind/name" of the workloads of held components among the rendered objects. */
export function heldWorkloads(objects: KubeObject[], components: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    const component = o.metadata.labels?.[COMPONENT_LABEL];
    if (WORKLOAD_KINDS.has(o.kind) && component !== undefined && components.has(component))
      out.add(`${o.kind}/${o.metadata.name}`);
  }
  return out;
}

export interface ReferencesOutcome {
  failures: ChildFailure[];
  /** "Kind/name" of workloads not to apply nor prune this pass. */
  held: Set<string>;
  recheckAfterMs?: number;
}

export async function checkReferencedSecrets(
  pass: Pass,
  arch: Architecture,
  objects: KubeObject[],
): Promise<ReferencesOutcome> {
  const names = new Set((arch.spec.secrets ?? []).flatMap((s) => s.fromSecret?.name ?? []));
  if (names.size === 0) return { failures: [], held: new Set() };
  const live = new Map<string, string[] | undefined>();
  const secrets = resourceFor("v1", "Secret");
  for (const name of names) {
    const found = await pass.deps.objects.find<KubeObject & { data?: Record<string, unknown> }>(
      secrets,
      pass.namespace,
      name,
    );
    live.set(name, found ? Object.keys(found.data ?? {}) : undefined);
  }
  const problems = referenceProblems(arch, (n) => live.get(n));
  const failures = problems.map((p) => ({
    kind: "Secret",
    name: p.secret,
    reason: p.missingKeys === "all" ? "SecretMissing" : "SecretKeyMissing",
    message: problemMessage(p, pass.namespace),
  }));
  for (const f of failures)
    pass.log.warn("referenced Secret not usable", { secret: f.name, reason: f.reason });
  const held = heldWorkloads(objects, new Set(problems.flatMap((p) => p.components)));
  return problems.length
    ? { failures, held, recheckAfterMs: REFERENCED_SECRET_RECHECK_MS }
    : { failures, held };
}

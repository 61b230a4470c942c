// archctl plan -f FILE (alias diff): what apply would change — the
// Architecture's spec (server-side dry run against the stored object) and every
// child object (rendered locally from the stored object, compared with the live
// ones through the operator's own drift rules, and those to write dry-run on
// the server) — with data risks and refusals on top.
import type { Command } from "commander";
import type { KubeObject } from "../../operator/kube/types.ts";
import { contextOf, debugEnabled, exitsWith, outputFormat, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { ExitCode } from "../exit-codes.ts";
import { ttlSet } from "./apply.ts";
import type { BlueprintFlags } from "./shared.ts";
import { blueprintOptions, loadArchitecture } from "./shared.ts";

export function register(program: Command, deps: CliDeps): void {
  blueprintOptions(
    program
      .command("plan")
      .alias("diff")
      .description("show what apply would change: the Architecture and every object it owns"),
  )
    .option("--ttl <duration>", "as apply --ttl (sets spec.ttl)")
    .option("--force-conflicts", "as apply --force-conflicts")
    .option("-v, --verbose", "also print the YAML of objects to create")
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText(
      "after",
      `
Nothing is changed. The Architecture is compared through a server-side dry-run
apply (so admission, CEL rules and defaults apply), its children by rendering
them exactly as the operator would and comparing with the live objects, so
fields the API server fills in are not reported as changes; the children to
write are dry-run on the server too, so what its validation or admission (Pod
Security, quotas, webhooks) would refuse shows now. Changes that put
data at risk (a StatefulSet volume change the operator refuses, a datastore
removed, deletionPolicy Delete, a ttl) are listed first, in a box.

Exit codes (like kubectl diff: 0 no changes, 1 changes, more than 1 an error):
  0  no changes     1  changes     2  invalid input
  4  cluster unreachable     5  archctl not installed     6  refused
  7  any other failure (an API server error, an internal error): never 1

Examples:
  archctl plan -f post.yaml --env prod
  archctl diff -f post.yaml --set apiMaxReplicas=40
  archctl plan -f post.yaml -o json | jq '.objects[] | select(.action != "unchanged")'`,
    )
    .action(
      exitsWith(async (opts: PlanFlags, cmd: Command) => {
        try {
          return await runPlan(opts, cmd, deps);
        } catch (err) {
          const trace = (text: string) => deps.io.err.write(text);
          throw planError(err, debugEnabled(deps.env) ? trace : undefined);
        }
      }),
    );
}

/**
 * Any failure of plan as an error whose exit code is never 1, since 1 means
 * "there are changes" (kubectl diff's contract): failures that other commands
 * report with 1 (a 5xx, an internal error) exit 7. With ARCHCTL_DEBUG the
 * caller passes `trace`, which gets an internal error's stack.
 */
export function planError(err: unknown, trace?: (text: string) => void): UserError {
  if (err instanceof UserError)
    return err.exitCode === ExitCode.FAILURE
      ? new UserError(err.message, ExitCode.PLAN_FAILED)
      : err;
  const message = err instanceof Error ? err.message : String(err);
  if (trace) trace(`${err instanceof Error ? err.stack : String(err)}\n`);
  return new UserError(
    `internal error: ${message}${trace ? "" : "\nrerun with ARCHCTL_DEBUG=1 for details"}`,
    ExitCode.PLAN_FAILED,
  );
}

type PlanFlags = BlueprintFlags & {
  ttl?: string;
  forceConflicts?: boolean;
  verbose?: boolean;
  output?: string;
};

async function runPlan(opts: PlanFlags, cmd: Command, deps: CliDeps): Promise<number> {
  const ctx = contextOf(cmd, deps);
  const format = outputFormat(opts.output, ["text", "json"] as const, "text");
  const set = [...(opts.set ?? []), ...ttlSet(opts.ttl)];
  const { architecture } = await loadArchitecture(ctx, { ...opts, set }, "plan");
  const c = await import("../cluster.ts");
  const { validateArchitecture, formatPath } = await import("../../operator/api/validate.ts");
  const { render } = await import("../../operator/render/index.ts");
  const { computePlan, formatPlan, hasChanges } = await import("../plan/plan.ts");
  const { OWNED, capabilityOf, resourceFor, resourcePath } = await import(
    "../../operator/kube/resources.ts"
  );
  const { capabilitiesFrom } = await import("../../operator/integrations.ts");
  const { isNotFound } = await import("../../operator/kube/errors.ts");
  const { ARCHITECTURE_LABEL } = await import("../../operator/api/names.ts");
  const { checkOnServer } = await import("../plan/server-check.ts");
  const { schedulableNodes } = await import("../plan/nodes.ts");
  const { checkMembersFitNodes } = await import("../../operator/api/semantics/membership.ts");
  const { connectionError } = await import("../kube-errors.ts");

  const conn = await deps.connect(ctx.globals);
  const local = structuredClone(architecture) as unknown as KubeObject;
  local.metadata.namespace ??= conn.namespace;
  const ns = local.metadata.namespace as string;
  const name = local.metadata.name;
  await c.requireInstalled(conn);
  const { requireGatewayNamespace } = await import("../gateway-check.ts");
  await requireGatewayNamespace(conn, architecture, ns);
  const stored = await c.kube(() => c.getArch(conn, ns, name));
  const notes: string[] = [];

  let applied: KubeObject & { spec?: unknown } = local;
  if (stored) {
    try {
      applied = await c.applyArch(conn, local, {
        dryRun: true,
        ...(opts.forceConflicts ? { force: true } : {}),
      });
    } catch (err) {
      if (!(err instanceof UserError) || !/fields set by another tool/.test(err.message)) throw err;
      notes.push(`apply would fail without --force-conflicts: ${err.message}`);
      applied = await c.applyArch(conn, local, { dryRun: true, force: true });
    }
  }
  // The operator's own rule (capabilitiesFrom) on what this cluster serves now.
  const served = new Map<string, string[] | undefined>();
  for (const gv of new Set(OWNED.filter((r) => r.optional).map((r) => r.apiVersion)))
    served.set(gv, await servedResources(conn, gv));
  const capabilities = capabilitiesFrom((gv) => served.get(gv));
  const renderFrom = (obj: KubeObject & { spec?: unknown }, meta: KubeObject["metadata"]) => {
    const { status: _s, ...rest } = obj as KubeObject & { status?: unknown };
    const v = validateArchitecture({
      ...rest,
      metadata: { name: meta.name, namespace: meta.namespace },
    });
    if (!v.architecture)
      return { problems: v.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) };
    return { result: render({ ...v.architecture, metadata: meta as never }, capabilities) };
  };
  const meta = (stored?.metadata ?? local.metadata) as KubeObject["metadata"];
  const next = renderFrom(applied, meta);
  if (!next.result)
    throw new UserError(
      `the Architecture after apply would be invalid: ${next.problems?.join("; ")}`,
      ExitCode.INVALID,
    );
  const old = stored ? renderFrom(stored, meta) : undefined;
  if (old && !old.result)
    notes.push("the stored Architecture is invalid; comparing with the live objects only");

  const selector = `${ARCHITECTURE_LABEL}=${name}`;
  const live: KubeObject[] = [];
  for (const r of OWNED) {
    if (r.optional && capabilities[capabilityOf(r)] !== true) continue;
    try {
      const list = await conn.rest.get<{ items: KubeObject[] }>(resourcePath(r, ns), {
        query: { labelSelector: selector },
      });
      for (const o of list.items) live.push({ ...o, apiVersion: r.apiVersion, kind: r.kind });
    } catch (err) {
      if (isNotFound(err) && r.optional) continue;
      throw connectionError(err);
    }
  }
  // The lists above see only what carries this Architecture's label: a name it
  // wants may be held by someone else (Helm, kubectl, another Architecture),
  // which the operator refuses to write over. Look each missing name up.
  const seen = new Set(live.map((o) => `${o.kind}/${o.metadata.name}`));
  const wanted = [
    ...next.result.objects.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
    })),
    ...next.result.secrets.map((s) => ({ apiVersion: "v1", kind: "Secret", name: s.name })),
  ].filter((w) => !seen.has(`${w.kind}/${w.name}`));
  const holders = await Promise.all(
    wanted.map((w) =>
      conn.objects
        .find<KubeObject>(resourceFor(w.apiVersion, w.kind), ns, w.name)
        .catch((err: unknown) => {
          if (isNotFound(err)) return undefined; // an optional kind not installed
          throw connectionError(err);
        }),
    ),
  );
  holders.forEach((h, i) => {
    const w = wanted[i];
    if (h && w) live.push({ ...h, apiVersion: w.apiVersion, kind: w.kind });
  });
  const storedMeta = stored?.metadata as { uid?: string; creationTimestamp?: string } | undefined;
  const plan = computePlan({
    name,
    namespace: ns,
    ...(stored ? { storedSpec: stored.spec } : {}),
    appliedSpec: applied.spec,
    ...(storedMeta?.uid ? { storedUid: storedMeta.uid } : {}),
    ...(storedMeta?.creationTimestamp ? { creationTimestamp: storedMeta.creationTimestamp } : {}),
    ...(old?.result ? { oldObjects: old.result.objects } : {}),
    newObjects: next.result.objects,
    secrets: next.result.secrets,
    live,
    now: new Date(deps.now()),
  });
  // Children the operator would write, dry-run on the server (a recreate, or
  // a change the operator refuses, is already flagged: the server refuses it
  // in place by design).
  const writes = new Set(
    plan.objects
      .filter(
        (o) =>
          !o.refused && (o.action === "create" || o.action === "change" || o.action === "restore"),
      )
      .map((o) => `${o.kind}/${o.name}`),
  );
  const toCheck = next.result.objects.filter((o) => writes.has(`${o.kind}/${o.metadata.name}`));
  const check = await checkOnServer(conn.objects, toCheck).catch((err: unknown) => {
    throw connectionError(err);
  });
  plan.risks.push(...check.refused.map((r) => `the API server would refuse ${r}`));
  if (check.skipped) notes.push(`children not checked on the API server: ${check.skipped}`);
  else if (toCheck.length)
    notes.push(
      `the API server accepted ${check.accepted} of ${toCheck.length} objects to write (dry run)`,
    );
  // Members beyond the schedulable nodes share one (nodes may not be listable: then unchecked).
  const nodes = await conn.rest
    .get<{ items: { spec?: { unschedulable?: boolean } }[] }>("/api/v1/nodes")
    .catch(() => undefined);
  if (nodes)
    for (const w of checkMembersFitNodes(architecture, schedulableNodes(nodes.items)))
      plan.risks.push(`${formatPath(w.path)}: ${w.message} (${w.hint})`);
  plan.notes.push(...notes);
  for (const n of next.result.notices)
    plan.notes.push(`${n.component ? `${n.component}: ` : ""}${n.message}`);
  if (format === "json") ctx.out(JSON.stringify({ ...plan, changes: hasChanges(plan) }, null, 2));
  else
    for (const l of formatPlan(plan, {
      style: ctx.style,
      ...(opts.verbose ? { verbose: true } : {}),
    }))
      ctx.out(l);
  return hasChanges(plan) ? ExitCode.CHANGES : ExitCode.OK;
}

/** The resources a group/version serves, or undefined when it is not served. */
async function servedResources(
  conn: { rest: { get<T>(path: string): Promise<T> } },
  groupVersion: string,
): Promise<string[] | undefined> {
  try {
    const list = await conn.rest.get<{ resources?: { name: string }[] }>(`/apis/${groupVersion}`);
    return list.resources?.map((r) => r.name) ?? [];
  } catch {
    return undefined;
  }
}

// What `archctl apply` would change, computed from objects alone: the stored
// Architecture and the server's dry-run result, the children rendered from
// each, and the live children. Uses the operator's own drift and immutability
// rules, so server defaults are not changes and a refused change is flagged.
// Pure: no I/O, no clock (the caller passes `now`).

import { durationSeconds, timestampAfter } from "../../operator/api/duration.ts";
import { ARCHITECTURE_LABEL, COMPONENT_LABEL } from "../../operator/api/names.ts";
import { isDatastoreType } from "../../operator/api/schema.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { containsDesired, HASH_ANNOTATION, withHash } from "../../operator/reconcile/drift.ts";
import type { Owner } from "../../operator/reconcile/plan.ts";
import {
  ADOPT_ANNOTATION,
  decideChild,
  decideSecret,
  prunable,
} from "../../operator/reconcile/plan.ts";
import { GENERATED_ENGINE } from "../../operator/render/app-secrets.ts";
import type { SecretSpec } from "../../operator/render/types.ts";
import { toYaml as writeYaml } from "../../operator/render/yaml-output.ts";
import type { Style } from "../context.ts";
import { unifiedDiff } from "./diff.ts";
import { configRolloutNote } from "./rollout.ts";

export type Action = "create" | "change" | "restore" | "recreate" | "prune" | "unchanged";

export interface ObjectChange {
  action: Action;
  kind: string;
  name: string;
  /** YAML before and after (change, restore, recreate). */
  before?: string;
  after?: string;
  note?: string;
  /** The operator will not make this change (a destructive one): it is flagged as a risk. */
  refused?: boolean;
}

export interface Plan {
  name: string;
  namespace: string;
  architecture: { action: "create" | "change" | "unchanged"; before?: string; after?: string };
  objects: ObjectChange[];
  /** Data put at risk, or changes the operator will refuse: shown first, in a box. */
  risks: string[];
  notes: string[];
}

type Live = KubeObject & {
  metadata: KubeObject["metadata"] & {
    uid?: string;
    ownerReferences?: { uid: string }[];
    deletionTimestamp?: string;
  };
};

interface SpecLike {
  components?: { name: string; type: string }[];
  deletionPolicy?: string;
  ttl?: string;
}

export interface PlanInput {
  name: string;
  namespace: string;
  /** The stored spec, undefined when the Architecture does not exist yet. */
  storedSpec?: unknown;
  /** The spec after the apply (server dry-run result, or the file's for a new object). */
  appliedSpec: unknown;
  storedUid?: string;
  creationTimestamp?: string;
  /** Children the operator wants now (rendered from the stored object), if it exists and is valid. */
  oldObjects?: KubeObject[];
  /** Children it will want after the apply. */
  newObjects: KubeObject[];
  /** Credential Secrets it will generate if missing (or refuse if taken). */
  secrets: SecretSpec[];
  /** Live objects labelled archctl.io/architecture=<name>, and any object holding a name it wants. */
  live: KubeObject[];
  now: Date;
}

export function toYaml(value: unknown): string {
  return value === undefined ? "" : writeYaml(value);
}

/** What a reader should compare: no hash annotation, owner references or status. */
export function displayed(obj: KubeObject): Record<string, unknown> {
  const { status: _s, ...rest } = obj as KubeObject & { status?: unknown };
  const meta = { ...obj.metadata } as Record<string, unknown>;
  delete meta.ownerReferences;
  const ann = { ...(obj.metadata.annotations ?? {}) };
  delete ann[HASH_ANNOTATION];
  if (Object.keys(ann).length) meta.annotations = ann;
  else delete meta.annotations;
  return { ...rest, metadata: meta };
}

/**
 * `live` cut down to the fields `desired` names, with values the API server only
 * normalised ("1000m" for "1") shown as desired: what is left differs for real.
 */
export function project(desired: unknown, live: unknown): unknown {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return live;
    return live.map((l, i) => (i < desired.length ? project(desired[i], l) : l));
  }
  if (desired !== null && typeof desired === "object") {
    if (live === null || typeof live !== "object" || Array.isArray(live)) return live;
    const out: Record<string, unknown> = {};
    const l = live as Record<string, unknown>;
    for (const [k, v] of Object.entries(desired as Record<string, unknown>)) {
      if (k in l) out[k] = project(v, l[k]);
    }
    return out;
  }
  return containsDesired(desired, live) ? desired : live;
}

const keyOf = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;

export function computePlan(input: PlanInput): Plan {
  const stored = input.storedSpec as SpecLike | undefined;
  const applied = input.appliedSpec as SpecLike;
  const plan: Plan = {
    name: input.name,
    namespace: input.namespace,
    architecture:
      stored === undefined
        ? { action: "create", after: toYaml({ spec: applied }) }
        : { action: "unchanged" },
    objects: [],
    risks: [],
    notes: [],
  };
  if (stored !== undefined) {
    const before = toYaml({ spec: stored });
    const after = toYaml({ spec: applied });
    if (before !== after) plan.architecture = { action: "change", before, after };
  }

  const live = new Map<string, Live>();
  for (const o of input.live) live.set(keyOf(o), o as Live);
  const old = new Map<string, KubeObject>();
  for (const o of input.oldObjects ?? []) old.set(keyOf(o), withHash(o));

  const owner: Owner = { name: input.name, ...(input.storedUid ? { uid: input.storedUid } : {}) };
  const wanted = new Set<string>();
  for (const obj of input.newObjects) {
    const desired = withHash(obj);
    const k = keyOf(desired);
    wanted.add(k);
    const have = live.get(k);
    const base = { kind: desired.kind, name: desired.metadata.name };
    // The operator's own decision, so that plan never promises what it refuses.
    const decision = decideChild(desired, have, owner);
    if (decision.action === "create") {
      plan.objects.push({ ...base, action: "create", after: toYaml(displayed(desired)) });
      continue;
    }
    if (decision.action === "unchanged") {
      plan.objects.push({ ...base, action: "unchanged" });
      continue;
    }
    if (decision.action === "refuse" && decision.reason === "NameTaken") {
      plan.risks.push(`${desired.kind} ${desired.metadata.name}: ${decision.message}.`);
      plan.objects.push({
        ...base,
        action: "change",
        note: "refused by the operator: the name is taken (see above)",
        refused: true,
      });
      continue;
    }
    const blocked = decision.action === "refuse" ? decision.blocked : undefined;
    if (blocked) plan.risks.push(`${blocked.message} The operator refuses this change.`);
    const current = have as Live;
    const wantHash = desired.metadata.annotations?.[HASH_ANNOTATION];
    const haveHash = current.metadata.annotations?.[HASH_ANNOTATION];
    // The exact change of intent when the live object is what the operator last
    // applied; otherwise the live object seen through the desired fields.
    const prev = old.get(k);
    const fromOld =
      wantHash !== haveHash && prev?.metadata.annotations?.[HASH_ANNOTATION] === haveHash;
    const before = fromOld
      ? toYaml(displayed(prev as KubeObject))
      : toYaml(displayed(project(desired, current) as KubeObject));
    const after = toYaml(displayed(desired));
    const action: Action =
      decision.action === "recreate"
        ? "recreate"
        : decision.action === "apply" && decision.reason === "drifted"
          ? "restore"
          : "change";
    const change: ObjectChange = { ...base, action, before, after };
    if (action === "restore") change.note = "changed outside archctl; the operator restores it";
    if (action === "recreate") change.note = "its pod template changed: deleted and run again";
    const rollout = action === "change" ? configRolloutNote(desired, current) : undefined;
    if (rollout) change.note = rollout;
    if (decision.action === "apply" && decision.reason === "adopted")
      change.note = `taken over by the operator (${ADOPT_ANNOTATION})`;
    if (blocked) {
      change.note = "refused by the operator (see above)";
      change.refused = true;
    }
    plan.objects.push(change);
  }
  for (const secret of input.secrets) {
    const k = `Secret/${secret.name}`;
    const decision = decideSecret(secret, live.get(k), owner);
    if (decision.action === "create")
      plan.objects.push({
        kind: "Secret",
        name: secret.name,
        action: "create",
        note:
          secret.engine === GENERATED_ENGINE
            ? "generated secret, made once (the value is never shown)"
            : "generated credentials (values are never shown)",
      });
    else if (decision.action === "refuse") {
      plan.risks.push(`Secret ${secret.name}: ${decision.message}.`);
      plan.objects.push({
        kind: "Secret",
        name: secret.name,
        action: "unchanged",
        note: "refused by the operator (see above)",
        refused: true,
      });
    }
  }
  const kinds = new Set(input.live.map((o) => `${o.apiVersion}/${o.kind}`));
  for (const o of input.live as Live[]) {
    if (o.metadata.labels?.[ARCHITECTURE_LABEL] !== input.name) continue;
    if (prunable(o, owner, wanted, kinds))
      plan.objects.push({ kind: o.kind, name: o.metadata.name, action: "prune" });
  }

  // Data at risk.
  const appliedNames = new Set((applied.components ?? []).map((c) => c.name));
  const pvcs = input.live.filter((o) => o.kind === "PersistentVolumeClaim");
  for (const c of stored?.components ?? []) {
    if (!isDatastoreType(c.type) || appliedNames.has(c.name)) continue;
    const claims = pvcs
      .filter((p) => p.metadata.labels?.[COMPONENT_LABEL] === c.name)
      .map((p) => p.metadata.name);
    plan.risks.push(
      `datastore ${c.name} (${c.type}) is removed: its StatefulSet goes, its data volumes${claims.length ? ` (${claims.join(", ")})` : ""} and credentials are kept; delete them by hand if the data is no longer needed.`,
    );
  }
  const wasDelete = stored?.deletionPolicy === "Delete";
  if (applied.deletionPolicy === "Delete" && !wasDelete) {
    plan.risks.push(
      `deletionPolicy becomes Delete: deleting this Architecture will also delete its ${pvcs.length || "datastore"} data volume${pvcs.length === 1 ? "" : "s"}${pvcs.length ? ` (${pvcs.map((p) => p.metadata.name).join(", ")})` : ""}.`,
    );
  }
  if (applied.ttl && applied.ttl !== stored?.ttl) {
    const created = input.creationTimestamp ?? input.now.toISOString();
    const at = timestampAfter(created, durationSeconds(applied.ttl) ?? 0);
    plan.risks.push(
      at === undefined || Date.parse(at) <= input.now.getTime()
        ? `spec.ttl ${applied.ttl} has already passed since creation: the operator deletes this Architecture as soon as it is applied.`
        : `spec.ttl ${applied.ttl}: the operator deletes this Architecture at ${at}.`,
    );
  }
  return plan;
}

export function hasChanges(plan: Plan): boolean {
  return (
    plan.architecture.action !== "unchanged" || plan.objects.some((o) => o.action !== "unchanged")
  );
}

const SYMBOL: Record<Action, string> = {
  create: "+",
  change: "~",
  restore: "~",
  recreate: "-/+",
  prune: "-",
  unchanged: " ",
};

/** A box around lines, for what must not be missed. */
export function box(title: string, lines: string[], width = 78): string[] {
  const inner = width - 4;
  const wrapped: string[] = [];
  for (const line of lines) {
    let rest = line;
    let first = true;
    while (rest.length > 0) {
      const room = first ? inner - 2 : inner - 2;
      let cut = rest.length <= room ? rest.length : rest.lastIndexOf(" ", room);
      if (cut <= 0) cut = Math.min(room, rest.length);
      wrapped.push(`${first ? "! " : "  "}${rest.slice(0, cut)}`);
      rest = rest.slice(cut).trimStart();
      first = false;
    }
  }
  const top = `┌─ ${title} ${"─".repeat(Math.max(0, width - title.length - 5))}┐`;
  return [
    top,
    ...wrapped.map((l) => `│ ${l}${" ".repeat(Math.max(0, inner - l.length))} │`),
    `└${"─".repeat(width - 2)}┘`,
  ];
}

export interface FormatOptions {
  style: Style;
  /** Show the YAML of objects to create, not only their names. */
  verbose?: boolean;
}

/** The plan as a person reads it: risks, the Architecture's diff, then each object. */
export function formatPlan(plan: Plan, opts: FormatOptions): string[] {
  const s = opts.style;
  const out: string[] = [];
  if (plan.risks.length) {
    out.push(...box("DATA AT RISK / REFUSED CHANGES", plan.risks).map((l) => s.red(l)));
    out.push("");
  }
  const where = `${plan.namespace}/${plan.name}`;
  if (plan.architecture.action === "create") {
    out.push(s.green(`+ Architecture ${where} (new)`));
  } else if (plan.architecture.action === "change") {
    out.push(s.yellow(`~ Architecture ${where}`));
    out.push(
      ...unifiedDiff(plan.architecture.before ?? "", plan.architecture.after ?? "", {
        fromLabel: "stored",
        toLabel: "after apply",
        style: s,
        indent: "    ",
      }),
    );
  } else {
    out.push(s.dim(`  Architecture ${where} (spec unchanged)`));
  }
  const changes = plan.objects.filter((o) => o.action !== "unchanged");
  for (const o of changes) {
    const head = `${SYMBOL[o.action]} ${o.kind} ${o.name}${o.note ? s.dim(`  (${o.note})`) : ""}`;
    const paint = o.action === "create" ? s.green : o.action === "prune" ? s.red : s.yellow;
    out.push(paint(head));
    if (o.before !== undefined && o.after !== undefined)
      out.push(
        ...unifiedDiff(o.before, o.after, {
          fromLabel: "live",
          toLabel: "after apply",
          style: s,
          indent: "    ",
        }),
      );
    else if (o.action === "create" && opts.verbose && o.after)
      out.push(
        ...o.after
          .trimEnd()
          .split("\n")
          .map((l) => `    ${s.green(`+${l}`)}`),
      );
  }
  const count = (a: Action[]) =>
    plan.objects.filter((o) => !o.refused && a.includes(o.action)).length;
  const refused = plan.objects.filter((o) => o.refused).length;
  out.push("");
  out.push(
    s.bold(
      `Plan: ${count(["create"])} to create, ${count(["change", "restore", "recreate"])} to change, ${count(["prune"])} to prune, ${count(["unchanged"])} unchanged${refused ? `, ${refused} refused` : ""}.`,
    ),
  );
  if (!hasChanges(plan)) out.push("No changes: the cluster matches the blueprint.");
  for (const n of plan.notes) out.push(s.dim(`note: ${n}`));
  return out;
}

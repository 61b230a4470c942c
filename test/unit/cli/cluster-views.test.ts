// The pure parts of the cluster commands: tables, status views, wait logic,
// the ink live view (rendered to a fake stdout), plan and diff, completion.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import { renderToString } from "ink";
import React from "react";
import { pickArchitecture } from "../../../cli/commands/get.ts";
import { allCommands } from "../../../cli/commands/index.ts";
import { completionScript } from "../../../cli/completion.ts";
import type { CliContext } from "../../../cli/context.ts";
import { makeStyle, type UserError } from "../../../cli/context.ts";
import { follow } from "../../../cli/follow.ts";
import { diffLines, unifiedDiff } from "../../../cli/plan/diff.ts";
import { box, computePlan, formatPlan, hasChanges, project } from "../../../cli/plan/plan.ts";
import { buildProgram } from "../../../cli/program.ts";
import type { ArchView } from "../../../cli/views/status.ts";
import {
  changeLines,
  expires,
  getTable,
  notReadyLines,
  readySummary,
  shortDuration,
  statusLines,
  watchLines,
} from "../../../cli/views/status.ts";
import { StatusView } from "../../../cli/views/status-ink.ts";
import { parseDuration, waitFor } from "../../../cli/wait.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { render } from "../../../operator/render/index.ts";
import type { KubeObject } from "../../../operator/render/types.ts";
import { testDeps } from "./in-process.ts";

const h = React.createElement;
const NOW = new Date("2026-01-01T12:00:00Z");
const ESC = String.fromCharCode(27);

function arch(
  over: Partial<ArchView["status"]> = {},
  meta: Partial<ArchView["metadata"]> = {},
): ArchView {
  return {
    metadata: {
      name: "post",
      namespace: "shop",
      generation: 2,
      creationTimestamp: "2026-01-01T11:55:00Z",
      ...meta,
    },
    spec: {
      components: [
        { name: "api", type: "service" },
        { name: "mysql", type: "mysql" },
      ],
    },
    status: {
      observedGeneration: 2,
      phase: "Progressing",
      ready: "1/2",
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: "ComponentsNotReady",
          message: "waiting for api (0/2 replicas ready)",
          lastTransitionTime: "2026-01-01T11:59:00Z",
        },
        { type: "Degraded", status: "False", reason: "AsExpected", message: "no failures" },
      ],
      components: [
        { name: "api", type: "service", ready: 0, desired: 2, message: "0/2 replicas ready" },
        { name: "mysql", type: "mysql", ready: 1, desired: 1, message: "1/1 replicas ready" },
      ],
      endpoints: [{ name: "api", url: "https://posts.example.com/" }],
      ...over,
    },
  };
}

const READY = arch({
  phase: "Ready",
  ready: "2/2",
  conditions: [
    {
      type: "Ready",
      status: "True",
      reason: "AllComponentsReady",
      message: "all 2 components are ready",
    },
  ],
  components: [
    { name: "api", type: "service", ready: 2, desired: 2, message: "2/2 replicas ready" },
    { name: "mysql", type: "mysql", ready: 1, desired: 1, message: "1/1 replicas ready" },
  ],
});

describe("get -w and status without a name", () => {
  test("get -w: the table once, then only rows that changed, new ones, and Deleted for those gone", () => {
    const blog = arch({}, { name: "blog" });
    const first = watchLines(undefined, [arch(), blog], NOW);
    assert.deepEqual(first.lines, getTable([arch(), blog], NOW));
    // Nothing changed but the clock: nothing printed (AGE is not a change).
    const later = new Date(NOW.getTime() + 60_000);
    const same = watchLines(first.state, [arch(), blog], later);
    assert.deepEqual(same.lines, []);
    // post becomes Ready: one row, no header.
    const ready = watchLines(same.state, [READY, blog], later);
    assert.equal(ready.lines.length, 1, ready.lines.join("\n"));
    assert.match(ready.lines[0] as string, /^post\s+Ready\s+2\/2\s/);
    // A new one appears and blog goes away.
    const chat = arch({ phase: "Pending", ready: "0/2" }, { name: "chat" });
    const next = watchLines(ready.state, [READY, chat], later);
    assert.deepEqual(
      next.lines.map((l) => l.split(/\s+/).slice(0, 2).join(" ")),
      ["chat Pending", "blog Deleted"],
    );
    assert.deepEqual(watchLines(next.state, [READY, chat], later).lines, []);
  });

  test("status without NAME: the only one; none is exit 5; several is exit 2 and names them", () => {
    assert.equal(pickArchitecture([READY], "shop"), READY);
    assert.throws(
      () => pickArchitecture([], "shop"),
      (e: UserError) =>
        e.exitCode === 5 && /no Architectures in namespace shop: .*archctl get -A/.test(e.message),
    );
    const printed: string[] = [];
    assert.throws(
      () =>
        pickArchitecture([arch({}, { name: "post" }), arch({}, { name: "blog" })], "shop", {
          err: (l) => printed.push(l),
          now: new Date(),
        }),
      (e: UserError) =>
        e.exitCode === 2 &&
        e.message ===
          "2 Architectures in namespace shop (blog, post): pick one: archctl status blog -n shop",
    );
    assert.match(printed[0] as string, /^NAME\s+PHASE/, "the list goes to stderr first");
    assert.equal(printed.length, 3);
  });
});

describe("status views", () => {
  test("short durations like kubectl", () => {
    assert.equal(shortDuration(45_000), "45s");
    assert.equal(shortDuration(192_000), "3m12s");
    assert.equal(shortDuration(3 * 3600_000 + 5 * 60_000), "3h5m");
    assert.equal(shortDuration(50 * 3600_000), "2d2h");
  });

  test("get table: kubectl columns, wide adds the Ready reason and message, -A the namespace", () => {
    const lines = getTable([arch(), READY], NOW);
    assert.match(lines[0] ?? "", /^NAME\s+PHASE\s+READY\s+AGE\s+EXPIRES$/);
    assert.match(lines[1] ?? "", /^post\s+Progressing\s+1\/2\s+5m\s+-$/);
    const wide = getTable([arch()], NOW, { wide: true, allNamespaces: true });
    assert.match(
      wide[0] ?? "",
      /^NAMESPACE\s+NAME\s+PHASE\s+READY\s+AGE\s+EXPIRES\s+REASON\s+MESSAGE$/,
    );
    assert.match(wide[1] ?? "", /^shop\s+post\s+.*ComponentsNotReady\s+waiting for api/);
  });

  test("expiry: relative, expired, or the ttl before the operator computed it", () => {
    assert.equal(expires(arch({ expiresAt: "2026-01-01T16:00:00Z" }), NOW), "in 4h");
    assert.equal(expires(arch({ expiresAt: "2026-01-01T11:00:00Z" }), NOW), "expired");
    const pending = { ...arch(), spec: { ttl: "2h" } };
    delete pending.status;
    assert.equal(expires(pending, NOW), "ttl 2h");
  });

  test("status: summary, components, conditions and endpoints; no colour codes when plain", () => {
    const text = statusLines(arch(), NOW).join("\n");
    assert.match(text, /Phase {2}Progressing/);
    assert.match(text, /Reason ComponentsNotReady: waiting for api/);
    assert.match(text, /api\s+service\s+0\/2\s+0\/2 replicas ready/);
    assert.match(text, /CONDITION\s+STATUS\s+REASON\s+SINCE\s+MESSAGE/);
    assert.match(text, /ENDPOINT\s+URL\n api|api\s+https:\/\/posts\.example\.com\//);
    assert.ok(!text.includes(ESC));
    const coloured = statusLines(arch(), NOW, makeStyle(true)).join("\n");
    assert.ok(coloured.includes(ESC));
    // Columns line up although colour codes are invisible.
    const rows = statusLines(arch(), NOW, makeStyle(true)).filter((l) => /^(api|mysql) /.test(l));
    const plainRows = rows.map((r) => r.replaceAll(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), ""));
    assert.equal(plainRows[0]?.indexOf("0/2"), plainRows[1]?.indexOf("1/1"));
  });

  test("status says when the operator has not seen the generation", () => {
    const stale = arch({ observedGeneration: 1 });
    assert.match(
      statusLines(stale, NOW).join("\n"),
      /not yet reconciled generation 2 \(observed: 1\)/,
    );
    assert.match(notReadyLines(stale)[0] ?? "", /is it running\?/);
  });

  test("change lines: only what changed, timestamped, never escape codes", () => {
    const first = changeLines(undefined, arch(), NOW);
    assert.equal(first.length, 3);
    assert.match(
      first[0] ?? "",
      /^2026-01-01T12:00:00Z post: phase Progressing, 1\/2 ready - ComponentsNotReady: waiting for api/,
    );
    assert.match(first[1] ?? "", /^2026-01-01T12:00:00Z {3}api 0\/2 ready$/);
    assert.deepEqual(changeLines(arch(), arch(), NOW), []);
    const next = changeLines(arch(), READY, NOW);
    assert.equal(next.length, 2, next.join("\n"));
    assert.match(next[0] ?? "", /phase Ready, 2\/2 ready$/);
    assert.match(next[1] ?? "", /api 2\/2 ready$/);
    for (const l of [...first, ...next]) assert.ok(!l.includes(ESC));
  });

  test("not-ready lines and the ready summary", () => {
    assert.deepEqual(notReadyLines(arch()), ["api 0/2 ready"]);
    const sum = readySummary(READY, 65_000);
    assert.equal(sum[0], "✓ post is Ready (2/2 components) after 65s");
    assert.equal(sum[1], "  api: https://posts.example.com/");
  });
});

describe("wait", () => {
  function fakeClock() {
    let t = 0;
    return {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
  }
  const transient = (e: unknown) => (e as Error).message === "blip";
  const base = { isTransient: transient, describeError: (e: unknown) => (e as Error).message };

  test("durations", () => {
    assert.equal(parseDuration("10m"), 600_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("90"), 90_000);
    assert.equal(parseDuration("3s"), 3000);
    assert.equal(parseDuration("soon"), undefined);
  });

  test("ready only when the operator observed the generation we wrote", async () => {
    const clock = fakeClock();
    const reads = [
      arch({ phase: "Ready", observedGeneration: 1 }, { generation: 2 }),
      arch({}),
      READY,
    ];
    let i = 0;
    const out = await waitFor(
      { ...base, ...clock, get: async () => reads[Math.min(i++, reads.length - 1)] },
      { timeoutMs: 60_000, generation: 2 },
    );
    assert.equal(out.kind, "ready");
    assert.equal(i, 3);
  });

  test("degraded ends the wait with the Degraded message", async () => {
    const degraded = arch({
      phase: "Degraded",
      conditions: [
        { type: "Ready", status: "False", reason: "DestructiveChangeRefused", message: "x" },
        {
          type: "Degraded",
          status: "True",
          reason: "DestructiveChangeRefused",
          message: "StatefulSet post-mysql: the data volume template changed",
        },
      ],
    });
    const out = await waitFor(
      { ...base, ...fakeClock(), get: async () => degraded },
      { timeoutMs: 10_000 },
    );
    assert.equal(out.kind, "degraded");
    assert.match((out as { message: string }).message, /data volume template changed/);
  });

  test("timeout returns the last state; no-operator warning once after the grace period", async () => {
    const clock = fakeClock();
    let warned = 0;
    const out = await waitFor(
      { ...base, ...clock, get: async () => arch({ observedGeneration: 1 }) },
      { timeoutMs: 30_000, onNoOperator: () => warned++, operatorGraceMs: 10_000 },
    );
    assert.equal(out.kind, "timeout");
    assert.equal(warned, 1);
    assert.equal(clock.now(), 30_000);
  });

  test("an API server blip is retried with backoff and reported once", async () => {
    const clock = fakeClock();
    let n = 0;
    const blips: [string, boolean][] = [];
    const out = await waitFor(
      {
        ...base,
        ...clock,
        get: async () => {
          n++;
          if (n >= 2 && n <= 5) throw new Error("blip");
          return n > 6 ? READY : arch();
        },
      },
      { timeoutMs: 120_000, onBlip: (m, r) => blips.push([m, r]) },
    );
    assert.equal(out.kind, "ready");
    assert.equal(blips.length, 2);
    assert.match(
      blips[0]?.[0] ?? "",
      /lost contact with the API server \(blip\); retrying until the timeout/,
    );
    assert.equal(blips[1]?.[1], true);
  });

  test("other errors are not retried", async () => {
    await assert.rejects(
      waitFor(
        { ...base, ...fakeClock(), get: async () => Promise.reject(new Error("forbidden")) },
        { timeoutMs: 10_000 },
      ),
      /forbidden/,
    );
  });

  test("untilGone waits for a missing object", async () => {
    let n = 0;
    const out = await waitFor(
      { ...base, ...fakeClock(), get: async () => (n++ < 3 ? READY : undefined) },
      { timeoutMs: 60_000, untilGone: true },
    );
    assert.equal(out.kind, "gone");
  });
});

class FakeStdout extends EventEmitter {
  columns = 100;
  rows = 40;
  isTTY = true;
  frames: string[] = [];
  write(chunk: string): boolean {
    this.frames.push(String(chunk));
    return true;
  }
}

describe("ink status view", () => {
  const strip = (s: string) => s.replaceAll(new RegExp(`${ESC}\\[[0-9;?]*[a-zA-Z]`, "g"), "");

  test("frame while waiting: component rows with ready/desired, the Ready reason, elapsed time", () => {
    const frame = strip(
      renderToString(h(StatusView, { name: "post", arch: arch(), elapsedMs: 12_000 }), {
        columns: 120,
      }),
    );
    assert.match(frame, /waiting for post to be Ready {2}Progressing {2}1\/2 ready {2}12s/);
    assert.match(frame, /COMPONENT\s+TYPE\s+READY\s+MESSAGE/);
    assert.match(frame, /api\s+service\s+0\/2\s+0\/2 replicas ready/);
    assert.match(frame, /mysql\s+mysql\s+1\/1/);
    assert.match(frame, /ComponentsNotReady: waiting for api \(0\/2 replicas ready\)/);
  });

  test("final summary: Ready with endpoints; Degraded with its message; timeout", () => {
    const ready = strip(
      renderToString(
        h(StatusView, { name: "post", arch: READY, elapsedMs: 75_000, outcome: "ready" }),
        { columns: 120 },
      ),
    );
    assert.match(ready, /✓ post is Ready \(2\/2\) after 75s/);
    assert.match(ready, /api: https:\/\/posts\.example\.com\//);
    assert.doesNotMatch(ready, /ComponentsNotReady/);
    const degraded = arch({
      phase: "Degraded",
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: "ComponentFailed",
          message: "ingest: job failed",
        },
        {
          type: "Degraded",
          status: "True",
          reason: "ComponentFailed",
          message: "ingest: failed: BackoffLimitExceeded",
        },
      ],
    });
    const bad = strip(
      renderToString(
        h(StatusView, { name: "post", arch: degraded, elapsedMs: 5000, outcome: "degraded" }),
        { columns: 120 },
      ),
    );
    assert.match(bad, /✗ post is Degraded after 5s/);
    assert.match(bad, /ComponentFailed: ingest: failed: BackoffLimitExceeded/);
    const late = strip(
      renderToString(
        h(StatusView, {
          name: "post",
          arch: arch(),
          elapsedMs: 3000,
          outcome: "timeout",
          notes: ["warning: no operator is reconciling"],
        }),
        { columns: 120 },
      ),
    );
    assert.match(late, /post is not Ready after 3s \(timed out\)/);
    assert.match(late, /warning: no operator is reconciling/);
  });

  test("rendered to a fake terminal: frames follow the state", async () => {
    const { render: inkRender } = await import("ink");
    const stdout = new FakeStdout();
    const app = inkRender(h(StatusView, { name: "post", arch: arch(), elapsedMs: 1000 }), {
      stdout: stdout as unknown as NodeJS.WriteStream,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
      interactive: true,
    });
    app.rerender(h(StatusView, { name: "post", arch: READY, elapsedMs: 9000, outcome: "ready" }));
    app.unmount();
    const frames = stdout.frames.map(strip).filter((f) => f.trim() !== "");
    assert.ok(
      frames.some((f) => /waiting for post/.test(f) && /api\s+service\s+0\/2/.test(f)),
      frames.join("\n---\n"),
    );
    assert.ok(
      frames.some(
        (f) => /✓ post is Ready \(2\/2\) after 9s/.test(f) && /posts\.example\.com/.test(f),
      ),
    );
  });

  test("not a terminal: follow prints plain timestamped lines on change only", async () => {
    const lines: string[] = [];
    const ctx = {
      globals: { color: true, quiet: false },
      style: makeStyle(false),
      errStyle: makeStyle(false),
      out: (t: string) => lines.push(t),
      err: (t: string) => lines.push(`ERR ${t}`),
      info: (t: string) => lines.push(t),
      write: (t: string) => lines.push(t),
      deps: testDeps(),
    } as CliContext;
    const reads = [arch(), arch(), READY];
    let i = 0;
    const out = await follow(ctx, {
      name: "post",
      get: async () => reads[i++],
      isTransient: () => false,
      describeError: String,
      timeoutMs: 10_000,
      progress: "out",
    });
    assert.equal(out.kind, "ready");
    assert.equal(lines.length, 5, lines.join("\n"));
    for (const l of lines) {
      assert.ok(!l.includes(ESC), l);
      assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /);
    }
  });
});

describe("diff", () => {
  test("LCS edit script", () => {
    const ops = diffLines(["a", "b", "c"], ["a", "x", "c", "d"]);
    assert.deepEqual(
      ops.map((o) => `${o.op}${o.line}`),
      [" a", "-b", "+x", " c", "+d"],
    );
  });

  test("unified diff with hunks and context", () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n");
    const b = a.replace("line 3", "line three").replace("line 17", "line seventeen");
    const d = unifiedDiff(a, b, { fromLabel: "live", toLabel: "after apply", context: 2 });
    assert.equal(d[0], "--- live");
    assert.equal(d[1], "+++ after apply");
    assert.equal(d[2], "@@ -2,5 +2,5 @@");
    assert.ok(d.includes("-line 3") && d.includes("+line three"));
    assert.equal(d.filter((l) => l.startsWith("@@")).length, 2);
    assert.deepEqual(unifiedDiff(a, a), []);
  });
});

const ARCH: Architecture = {
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "notes", namespace: "team" },
  spec: {
    components: [
      { name: "api", type: "service", image: "x/api:1", uses: ["db"] },
      { name: "db", type: "postgres", storage: { size: "1Gi" } },
    ],
    monitoring: { serviceMonitors: false, dashboard: false },
  },
};
const UID = "1111-2222";
const META = { name: "notes", namespace: "team", uid: UID } as Architecture["metadata"];

function rendered(spec: Architecture["spec"]): KubeObject[] {
  return render({ ...ARCH, spec, metadata: META }).objects;
}

/** What the API server would hold: the applied objects plus defaults and status. */
function liveOf(objects: KubeObject[]): KubeObject[] {
  return objects.map((o) => {
    const applied = JSON.parse(JSON.stringify(o)) as KubeObject & {
      spec?: Record<string, unknown>;
    };
    const { withHash } = hashMod;
    const withH = withHash(applied) as KubeObject & { spec?: Record<string, unknown> };
    (withH.metadata as unknown as Record<string, unknown>).uid = `${o.kind}-uid`;
    (withH.metadata as unknown as Record<string, unknown>).resourceVersion = "7";
    // Server defaults the renderer does not set.
    if (withH.spec && o.kind === "Deployment") {
      const tpl = withH.spec.template as { spec: Record<string, unknown> };
      tpl.spec.schedulerName = "default-scheduler";
      withH.spec.progressDeadlineSeconds = 600;
    }
    return withH;
  });
}
const hashMod = await import("../../../operator/reconcile/drift.ts");

describe("plan", () => {
  const input = (spec: Architecture["spec"], live: KubeObject[], storedSpec = ARCH.spec) => ({
    name: "notes",
    namespace: "team",
    storedSpec,
    appliedSpec: spec,
    storedUid: UID,
    creationTimestamp: "2026-01-01T10:00:00Z",
    oldObjects: rendered(storedSpec),
    newObjects: rendered(spec),
    secrets: render({ ...ARCH, spec, metadata: META }).secrets,
    live: [
      ...live,
      // The credentials the operator generated: its labels, every key of the engine.
      ...render({ ...ARCH, spec: storedSpec, metadata: META }).secrets.map((s) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: s.name, labels: s.labels },
        data: Object.fromEntries(Object.keys(s.keys).map((k) => [k, ""])),
      })),
    ],
    now: NOW,
  });

  test("nothing to do when the live objects match, server defaults included", () => {
    const plan = computePlan(input(ARCH.spec, liveOf(rendered(ARCH.spec))));
    assert.equal(hasChanges(plan), false, formatPlan(plan, { style: makeStyle(false) }).join("\n"));
    assert.deepEqual(plan.risks, []);
    assert.match(formatPlan(plan, { style: makeStyle(false) }).join("\n"), /No changes/);
  });

  test("an edit shows exactly that edit, in the Architecture and in the child", () => {
    const spec = structuredClone(ARCH.spec);
    (spec.components[0] as { replicas?: number }).replicas = 5;
    const plan = computePlan(input(spec, liveOf(rendered(ARCH.spec))));
    assert.equal(hasChanges(plan), true);
    assert.equal(plan.architecture.action, "change");
    const changed = plan.objects.filter((o) => o.action !== "unchanged");
    assert.ok(changed.some((o) => o.kind === "Deployment" && o.name === "notes-api"));
    const text = formatPlan(plan, { style: makeStyle(false) }).join("\n");
    assert.match(text, /~ Deployment notes-api/);
    assert.match(text, /\+ {2}replicas: 5/);
    assert.doesNotMatch(text, /schedulerName|progressDeadlineSeconds/);
    assert.doesNotMatch(text, /applied-hash/);
  });

  test("hand edits are restores; removed objects are pruned; missing ones created", () => {
    const live = liveOf(rendered(ARCH.spec));
    const dep = live.find((o) => o.kind === "Deployment") as KubeObject & {
      spec: { replicas: number };
    };
    dep.spec.replicas = 9;
    const svc = live.findIndex((o) => o.kind === "Service" && o.metadata.name === "notes-api");
    const [gone] = live.splice(svc, 1);
    live.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "notes",
        labels: {
          "archctl.io/architecture": "notes",
          "app.kubernetes.io/managed-by": "archctl-operator",
        },
        ownerReferences: [{ uid: UID } as never],
      },
    });
    const plan = computePlan(input(ARCH.spec, live));
    const by = (a: string) =>
      plan.objects.filter((o) => o.action === a).map((o) => `${o.kind}/${o.name}`);
    assert.deepEqual(by("restore"), ["Deployment/notes-api"]);
    assert.deepEqual(by("prune"), ["Ingress/notes"]);
    assert.deepEqual(by("create"), [`Service/${gone?.metadata.name}`]);
    const text = formatPlan(plan, { style: makeStyle(false) }).join("\n");
    assert.match(text, /- {2}replicas: 9/);
  });

  test("data at risk: a volume change refused, a datastore removed, deletionPolicy Delete, a ttl", () => {
    const spec = structuredClone(ARCH.spec);
    (spec.components[1] as { storage: { size: string } }).storage.size = "5Gi";
    spec.deletionPolicy = "Delete";
    spec.ttl = "1h";
    const pvc = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data-notes-db-0", labels: { "app.kubernetes.io/component": "db" } },
    };
    const plan = computePlan(input(spec, [...liveOf(rendered(ARCH.spec)), pvc]));
    const risks = plan.risks.join("\n");
    assert.match(
      risks,
      /StatefulSet notes-db: the data volume template changed .*The operator refuses this change/,
    );
    // Marked, so plan's server dry run leaves it out rather than report it twice.
    assert.deepEqual(
      plan.objects.filter((o) => o.refused).map((o) => `${o.kind}/${o.name}`),
      ["StatefulSet/notes-db"],
    );
    assert.match(risks, /deletionPolicy becomes Delete: .*data-notes-db-0/);
    assert.match(risks, /spec.ttl 1h has already passed since creation/);
    const noDb = structuredClone(ARCH.spec);
    noDb.components = [{ name: "api", type: "service", image: "x/api:1" }];
    const removed = computePlan(input(noDb, [...liveOf(rendered(ARCH.spec)), pvc]));
    assert.match(
      removed.risks.join("\n"),
      /datastore db \(postgres\) is removed: .*\(data-notes-db-0\) and credentials are kept/,
    );
    const text = formatPlan(plan, { style: makeStyle(false) });
    assert.match(text[0] ?? "", /^┌─ DATA AT RISK/);
    assert.ok(
      text.slice(0, 12).every((l) => l.length <= 78),
      "the box fits 78 columns",
    );
  });

  test("a new Architecture: everything is created", () => {
    const plan = computePlan({
      ...input(ARCH.spec, []),
      storedSpec: undefined,
      oldObjects: [],
      live: [],
    });
    assert.equal(plan.architecture.action, "create");
    assert.ok(plan.objects.every((o) => o.action === "create"));
    assert.ok(plan.objects.some((o) => o.kind === "Secret" && /never shown/.test(o.note ?? "")));
  });

  test("projection keeps only the desired fields and treats normalised quantities as equal", () => {
    assert.deepEqual(
      project({ a: { cpu: "1000m" }, b: [1] }, { a: { cpu: "1", extra: 2 }, b: [1, 2], c: 3 }),
      { a: { cpu: "1000m" }, b: [1, 2] },
    );
    assert.equal(
      box("T", ["x".repeat(200)]).every((l) => l.length === 78),
      true,
    );
  });
});

// The real command tree, every command loaded.
const program = buildProgram(await allCommands(), testDeps());

describe("completion", () => {
  test("bash: commands, subcommands, aliases and flags; valid syntax", () => {
    const s = completionScript("bash", program);
    assert.match(s, /complete -o default -F _archctl archctl/);
    assert.match(s, /"env"\) opts="create list destroy/);
    assert.match(s, /"apply"\) opts="[^"]*--wait[^"]*--kubeconfig/);
    assert.match(s, /"diff"\) path="plan"/);
    execFileSync("bash", ["-n"], { input: s });
  });
  test("bash: completes subcommands when sourced", () => {
    const s = completionScript("bash", program);
    const out = execFileSync("bash", [
      "-c",
      `${s}\nCOMP_WORDS=(archctl env cr); COMP_CWORD=2; _archctl; echo "\${COMPREPLY[@]}"`,
    ]).toString();
    assert.equal(out.trim(), "create");
  });
  test("zsh and fish", () => {
    assert.match(completionScript("zsh", program), /^#compdef archctl\n[\s\S]*bashcompinit/);
    const fish = completionScript("fish", program);
    assert.match(fish, /complete -c archctl -n '__fish_use_subcommand' -a apply/);
    assert.match(
      fish,
      /__fish_seen_subcommand_from env; and not __fish_seen_subcommand_from create list destroy' -a create/,
    );
    assert.match(fish, /-s n -l namespace -r/);
  });
});

// The status views of the cluster commands: get's table and -w lines, status
// without a name, status lines, and the ink live view (rendered to a fake stdout).
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import { renderToString } from "ink";
import React from "react";
import { pickArchitecture } from "../../../cli/commands/get.ts";
import type { CliContext } from "../../../cli/context.ts";
import { makeStyle, type UserError } from "../../../cli/context.ts";
import { follow } from "../../../cli/follow.ts";
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
import { arch, ESC, NOW, READY } from "./arch-view-fixtures.ts";
import { testDeps } from "./in-process.ts";

const h = React.createElement;

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

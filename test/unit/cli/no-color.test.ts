// --no-color and NO_COLOR reach the live ink view of `apply --wait` and
// `status -w`: ink colours through chalk, whose detection honours FORCE_COLOR
// and a literal --no-color argument but not NO_COLOR. This file forces chalk
// to colour (FORCE_COLOR=3, set before ink is loaded; each test file runs in
// its own process), checks that it does, and then that follow() draws frames
// without a single colour code when the user asked for none.
process.env.FORCE_COLOR = "3";
delete process.env.NO_COLOR;
// CI=true (as CI runs this) makes follow() print plain lines: this file is about the live view.
delete process.env.CI;

import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { afterEach, test } from "node:test";
import type { CliContext } from "../../../cli/context.ts";
import { makeStyle } from "../../../cli/context.ts";
import type { ArchView } from "../../../cli/views/status.ts";

const { renderToString, Text } = await import("ink");
const React = (await import("react")).default;
const { follow } = await import("../../../cli/follow.ts");
const { testDeps } = await import("./in-process.ts");

const SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

class FakeTerminal extends EventEmitter {
  columns = 120;
  rows = 40;
  isTTY = true;
  frames: string[] = [];
  write(chunk: string, callback?: () => void): boolean {
    this.frames.push(String(chunk));
    if (typeof callback === "function") callback();
    return true;
  }
}

const progressing: ArchView = {
  metadata: { name: "post", namespace: "shop", generation: 1 },
  status: {
    observedGeneration: 1,
    phase: "Progressing",
    ready: "1/2",
    conditions: [
      { type: "Ready", status: "False", reason: "ComponentsNotReady", message: "waiting for api" },
    ],
    components: [
      { name: "api", type: "service", ready: 0, desired: 2, message: "0/2 replicas ready" },
      { name: "db", type: "mysql", ready: 1, desired: 1 },
    ],
  },
};
const ready: ArchView = {
  ...progressing,
  status: {
    ...progressing.status,
    phase: "Ready",
    ready: "2/2",
    conditions: [{ type: "Ready", status: "True", reason: "AllComponentsReady" }],
    components: [
      { name: "api", type: "service", ready: 2, desired: 2 },
      { name: "db", type: "mysql", ready: 1, desired: 1 },
    ],
    endpoints: [{ name: "api", url: "https://posts.example.com/" }],
  },
};

function ctxWith(color: boolean): CliContext {
  const sink = () => undefined;
  return {
    globals: { color, quiet: false },
    style: makeStyle(false),
    errStyle: makeStyle(false),
    out: sink,
    err: sink,
    info: sink,
    write: sink,
    // The live process.env: the tests below set NO_COLOR in it.
    deps: { ...testDeps(), env: process.env },
  };
}

/** The frames follow() draws on a terminal while an Architecture goes Progressing -> Ready. */
async function frames(ctx: CliContext): Promise<string> {
  const terminal = new FakeTerminal();
  const reads = [progressing, progressing, ready];
  let i = 0;
  const outcome = await follow(ctx, {
    name: "post",
    get: async () => reads[Math.min(i++, reads.length - 1)],
    isTransient: () => false,
    describeError: String,
    timeoutMs: 30_000,
    progress: "info",
    stdout: terminal as unknown as NodeJS.WriteStream,
  });
  assert.equal(outcome.kind, "ready");
  const all = terminal.frames.join("");
  assert.match(all, /post is Ready \(2\/2\)/, "the live view was drawn");
  return all;
}

afterEach(() => {
  delete process.env.NO_COLOR;
});

test("in this process ink colours text (so the checks below can fail)", () => {
  assert.match(renderToString(React.createElement(Text, { color: "green" }, "x")), SGR);
});

test("colour on: the live view is coloured", async () => {
  assert.match(await frames(ctxWith(true)), SGR);
});

test("NO_COLOR=1: the live view has no colour codes", async () => {
  process.env.NO_COLOR = "1";
  const all = await frames(ctxWith(true));
  assert.doesNotMatch(all, SGR, JSON.stringify(all.slice(0, 400)));
});

test("--no-color: the live view has no colour codes", async () => {
  const all = await frames(ctxWith(false));
  assert.doesNotMatch(all, SGR, JSON.stringify(all.slice(0, 400)));
});

// `env destroy --wait` in-process against a fake cluster and a clock that
// jumps: it waits with waitFor (cli/wait.ts) until the namespace is gone, and
// exits 3 with one line when --timeout passes first.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Connection } from "../../../cli/cluster.ts";
import { inProcess } from "./in-process.ts";

const NS = "archctl-env-pr-1";

/** A cluster whose namespace NS is still there for the first `reads` reads. */
function fakeCluster(reads: number) {
  const calls: string[] = [];
  let left = reads + 1; // the look-up before the delete sees it too
  const conn = {
    namespace: "default",
    objects: {
      find: async (_resource: unknown, _ns: unknown, name: string) => {
        calls.push(`find ${name}`);
        if (left-- <= 0) return undefined;
        return { metadata: { name, labels: { "archctl.io/environment": "pr-1" } } };
      },
      delete: async (_resource: unknown, _ns: unknown, name: string) => {
        calls.push(`delete ${name}`);
        return true;
      },
    },
  } as unknown as Connection;
  return { conn, calls };
}

function clock() {
  let t = Date.parse("2026-01-01T00:00:00Z");
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

describe("env destroy --wait", () => {
  test("deletes the namespace, then reads it until it is gone", async () => {
    const { conn, calls } = fakeCluster(3);
    const r = await inProcess(["env", "destroy", "pr-1", "--wait"], {
      deps: { connect: async () => conn, ...clock() },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `namespace/${NS} deleted (environment pr-1)\n`);
    assert.equal(r.stderr, "environment pr-1 is gone\n");
    assert.deepEqual(calls, [`find ${NS}`, `delete ${NS}`, ...Array(4).fill(`find ${NS}`)]);
  });

  test("--timeout passes first: exit 3, one line naming the namespace", async () => {
    const { conn } = fakeCluster(Number.POSITIVE_INFINITY);
    const r = await inProcess(["env", "destroy", "pr-1", "--wait", "--timeout", "30s"], {
      deps: { connect: async () => conn, ...clock() },
    });
    assert.equal(r.code, 3);
    assert.equal(r.stderr, `archctl: timed out after 30s waiting for namespace ${NS} to go\n`);
  });
});

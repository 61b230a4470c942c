// waitEstablished: kubectl wait's early "no conditions yet" answer is retried,
// any other failure is not (a fake runner stands in for kubectl).
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitEstablished } from "../../cluster/kubectl.ts";

const EARLY =
  "error: .status.conditions accessor error: <nil> is of the type <nil>, expected []interface{}";

function runner(answers: { exitCode: number; stderr: string }[]) {
  const calls: string[][] = [];
  const run = async (args: string[]) => {
    calls.push(args);
    const a = answers.shift() ?? { exitCode: 0, stderr: "" };
    return { ...a, stdout: "" };
  };
  return { run, calls };
}

test("a CRD read before its first status is waited for again, then met", async () => {
  const { run, calls } = runner([
    { exitCode: 1, stderr: EARLY },
    { exitCode: 1, stderr: EARLY },
    { exitCode: 0, stderr: "" },
  ]);
  await waitEstablished(run, ["a.example.com", "b.example.com"], 10_000);
  assert.equal(calls.length, 3);
  assert.deepEqual(calls[0]?.slice(0, 2), ["wait", "--for=condition=Established"]);
  assert.deepEqual(calls[0]?.slice(-2), ["crd/a.example.com", "crd/b.example.com"]);
});

test("any other failure (a timeout, a CRD that does not exist) is thrown at once with kubectl's words", async () => {
  const { run, calls } = runner([
    {
      exitCode: 1,
      stderr: 'Error from server (NotFound): customresourcedefinitions "x" not found',
    },
  ]);
  await assert.rejects(waitEstablished(run, ["x"], 10_000), /NotFound.*"x" not found/);
  assert.equal(calls.length, 1);
});

test("the early answer past the deadline is thrown, not retried forever", async () => {
  const { run } = runner(Array.from({ length: 1000 }, () => ({ exitCode: 1, stderr: EARLY })));
  await assert.rejects(waitEstablished(run, ["a"], 600), /accessor error/);
});

// `archctl render --objects` offline: which optional kinds it assumes (said on
// stderr, never in the YAML on stdout), --api-versions to choose them, and
// output that a YAML 1.1 reader (kubectl) reads with the same types.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { inProcess } from "./in-process.ts";

const SM = "monitoring.coreos.com/v1/ServiceMonitor";
const SO = "keda.sh/v1alpha1/ScaledObject";
const ES = "external-secrets.io/v1/ExternalSecret";

/** The kinds of a YAML stream read as YAML 1.1; fails on anything that is not one document per object. */
function kindsOf(stdout: string): string[] {
  const docs = parseAllDocuments(stdout, { version: "1.1" });
  assert.ok(Array.isArray(docs), "a YAML stream");
  return docs.map((d) => {
    assert.deepEqual(d.errors, [], "clean YAML");
    return (d.toJS() as { kind: string }).kind;
  });
}

const render = (...extra: string[]) =>
  inProcess(["render", "-f", "blueprints/task-queue.yaml", "--objects", ...extra]);

describe("render --objects and the optional kinds", { concurrency: 4 }, () => {
  test("by default both are assumed present, and stderr says so and how to choose", async () => {
    const r = await render();
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`assumed present: ${SM}, ${SO}, [^\\n]*\\(choose with --api-versions\\)`),
    );
    assert.doesNotMatch(r.stdout, /note:|assumed/);
    const kinds = kindsOf(r.stdout);
    assert.ok(kinds.includes("ScaledObject") && kinds.includes("ServiceMonitor"), kinds.join());
  });

  test("--api-versions lists what the cluster serves (repeatable, comma-separated, GROUP/VERSION too)", async () => {
    const r = await render(
      "--api-versions",
      SO,
      "--api-versions",
      "apps/v1,monitoring.coreos.com/v1",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`assumed present: ${SM}, ${SO}\\n`));
    assert.match(r.stderr, new RegExp(`assumed absent \\(not rendered\\): ${ES}[,\\n]`));
    assert.doesNotMatch(r.stderr, new RegExp(`assumed absent[^\\n]*(${SM}|${SO})`));
    const only = await render("--api-versions", SO);
    assert.match(only.stderr, new RegExp(`assumed absent \\(not rendered\\): ${SM}`));
    const kinds = kindsOf(only.stdout);
    assert.ok(kinds.includes("ScaledObject"));
    assert.ok(!kinds.includes("ServiceMonitor"), kinds.join());
  });

  test("--api-versions none renders neither (queue scaling falls back to an HPA)", async () => {
    const r = await render("--api-versions", "none");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`assumed absent \\(not rendered\\): ${SM}, ${SO}`));
    const kinds = kindsOf(r.stdout);
    assert.ok(!kinds.includes("ScaledObject") && !kinds.includes("ServiceMonitor"));
    assert.ok(kinds.includes("HorizontalPodAutoscaler"));
  });

  test("a wrong version of an optional kind's group is refused, naming the right form", async () => {
    const r = await render("--api-versions", "keda.sh/v1/ScaledObject");
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`keda.sh/v1/ScaledObject: archctl renders ${SO}`));
    const noObjects = await inProcess([
      "render",
      "-f",
      "blueprints/post.yaml",
      "--api-versions",
      SO,
    ]);
    assert.equal(noObjects.code, 2);
    assert.match(noObjects.stderr, /add --objects/);
  });

  test("container args read by a YAML 1.1 reader are all strings (Redis `yes`)", async () => {
    for (const b of ["post", "task-queue", "rag"]) {
      const r = await inProcess(["render", "-f", `blueprints/${b}.yaml`, "--objects"]);
      assert.equal(r.code, 0, r.stderr);
      const args: unknown[] = [];
      for (const d of parseAllDocuments(r.stdout, { version: "1.1" }) as { toJS(): unknown }[]) {
        JSON.stringify(d.toJS(), (key, value) => {
          if ((key === "args" || key === "command") && Array.isArray(value)) args.push(...value);
          return value;
        });
      }
      assert.ok(args.includes("yes"), `${b}: the Redis argument is there`);
      assert.deepEqual(
        args.filter((a) => typeof a !== "string"),
        [],
        `${b}: non-string args`,
      );
    }
  });
});

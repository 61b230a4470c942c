// validateArchitecture reports every problem at once: the schema's and, on the
// part of the spec the schema accepts, the semantic checks' — with paths into
// the input as written, and without echoing a refusal as a second problem.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatPath, validateArchitecture } from "../../operator/api/validate.ts";

const arch = (spec: Record<string, unknown>) => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "shop" },
  spec,
});

const problems = (input: unknown): string[] =>
  validateArchitecture(input)
    .issues.map((i) => `${formatPath(i.path)}: ${i.message}`)
    .sort();

describe("every problem at once", () => {
  test("schema and semantic problems together, paths as in the input after a cut entry", () => {
    const got = problems(
      arch({
        components: [
          { name: "broken", type: "mysq" }, // cut whole: the entries after it shift in the salvage
          { name: "api", type: "service", image: "shop/api:1", replicas: "many", uses: ["cache"] },
          { name: "nightly", type: "cron", image: "shop/r:1", schedule: "61 * * * *" },
        ],
      }),
    );
    assert.equal(got.length, 4, got.join("\n"));
    assert.match(got[0] ?? "", /^spec\.components\[0\]\.type: "mysq" is not allowed/);
    assert.match(got[1] ?? "", /^spec\.components\[1\]\.replicas: expected number/);
    assert.match(got[2] ?? "", /^spec\.components\[1\]\.uses\[0\]: 'api' uses 'cache'/);
    assert.match(got[3] ?? "", /^spec\.components\[2\]\.schedule: invalid cron schedule/);
  });

  test("a reference to an entry the schema refused is not reported again", () => {
    const got = problems(
      arch({
        components: [
          { name: "db", type: "mysq" },
          { name: "api", type: "service", image: "a:1", uses: ["db", "queue"] },
        ],
        backups: [{ component: "db", schedule: "0 3 * * *" }],
      }),
    );
    assert.deepEqual(
      got.map((p) => p.split(":")[0]),
      ["spec.components[0].type", "spec.components[1].uses[1]"],
      `the refusal, the unknown 'queue', and no echo of the cut 'db':\n${got.join("\n")}`,
    );
  });

  test("an unknown top-level field does not hide the semantic checks", () => {
    const got = problems({
      ...arch({
        components: [
          { name: "api", type: "service", image: "a:1" },
          { name: "api", type: "redis" },
        ],
      }),
      metdata: {},
    });
    assert.deepEqual(
      got.map((p) => p.split(":")[0]),
      ["metdata", "spec.components[1].name"],
      got.join("\n"),
    );
  });

  test("a valid Architecture still validates, and a broken spec root gives schema problems only", () => {
    const ok = validateArchitecture(
      arch({
        components: [
          { name: "api", type: "service", image: "a:1", uses: ["r"] },
          { name: "r", type: "redis" },
        ],
      }),
    );
    assert.deepEqual(ok.issues, []);
    assert.ok(ok.architecture);
    const root = problems(arch({ components: "none" } as never));
    assert.deepEqual(
      root.map((p) => p.split(":")[0]),
      ["spec.components"],
    );
  });
});

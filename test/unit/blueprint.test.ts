// The blueprint format: the five reference blueprints, overlays, parameters,
// --set, and problems that point at a line and column.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { loadBlueprint, validateBlueprint } from "../../cli/blueprint/loader.ts";
import type { BlueprintProblem } from "../../cli/blueprint/model.ts";
import { parseSetPath } from "../../cli/blueprint/set.ts";

const BLUEPRINTS = ["post", "task-queue", "chat", "trading", "rag"];
const read = (name: string): string =>
  readFileSync(new URL(`../../blueprints/${name}.yaml`, import.meta.url), "utf8");
const show = (ps: BlueprintProblem[]): string =>
  ps.map((p) => `${p.file}:${p.line}:${p.col} ${p.path} ${p.message}`).join("\n");

describe("reference blueprints", () => {
  for (const name of BLUEPRINTS) {
    test(`${name} validates with no errors and no warnings, as written and in every environment`, () => {
      const text = read(name);
      const base = loadBlueprint(text, { file: `${name}.yaml` });
      assert.deepEqual(base.environments, ["dev", "prod"]);
      for (const env of [undefined, ...base.environments]) {
        const r = loadBlueprint(
          text,
          env ? { file: `${name}.yaml`, env } : { file: `${name}.yaml` },
        );
        assert.equal(r.problems.length, 0, `${name} ${env ?? "(base)"}:\n${show(r.problems)}`);
        assert.ok(r.architecture, `${name} ${env ?? "(base)"} resolves to an Architecture`);
        assert.equal(r.architecture.metadata.name, name);
        assert.ok(r.architecture.spec.description, "has a description for the catalogue");
        assert.equal(
          JSON.stringify(r.manifest).includes("${"),
          false,
          "no unsubstituted parameters",
        );
        assert.ok(!("parameters" in (r.manifest ?? {})) && !("environments" in (r.manifest ?? {})));
      }
      assert.deepEqual(validateBlueprint(text, { file: `${name}.yaml` }), []);
    });
  }

  test("dev is smaller than prod", () => {
    const text = read("post");
    const dev = loadBlueprint(text, { file: "post.yaml", env: "dev" }).architecture;
    const prod = loadBlueprint(text, { file: "post.yaml", env: "prod" }).architecture;
    assert.ok(dev && prod);
    assert.equal(dev.spec.backups, undefined, "dev has no backups");
    assert.equal(dev.spec.deletionPolicy, "Delete");
    assert.ok(
      (prod.spec.autoscaling?.[0]?.maxReplicas ?? 0) >
        (dev.spec.autoscaling?.[0]?.maxReplicas ?? 0),
    );
    assert.equal(prod.spec.backups?.[0]?.retention, 30);
    assert.equal(
      prod.spec.backups?.[0]?.schedule,
      "0 3 * * *",
      "keyed merge keeps fields the overlay does not name",
    );
  });

  test("GPU pools select NVIDIA nodes", () => {
    for (const name of ["task-queue", "rag"]) {
      const arch = loadBlueprint(read(name), { file: name }).architecture;
      assert.equal(arch?.spec.gpuPools?.[0]?.nodeSelector?.["nvidia.com/gpu.present"], "true");
    }
  });
});

const MINI = `apiVersion: archctl.io/v1alpha1
kind: Architecture
metadata:
  name: demo
spec:
  components:
    - name: api
      type: service
      image: \${registry}/api:\${tag}
      replicas: \${replicas}
      env:
        LITERAL: "$\${notAParameter}"
    - name: db
      type: postgres
  ttl: 2h
parameters:
  - name: registry
    description: where images live
    default: ghcr.io/example
  - name: tag
    description: image tag
    default: "1.0"
  - name: replicas
    description: api replicas
    type: integer
    default: 2
environments:
  prod:
    parameters:
      replicas: 5
    spec:
      ttl: null
      components:
        - name: api
          env:
            MODE: prod
        - name: cache
          type: redis
`;

describe("resolution", () => {
  test("parameters are substituted; an exact reference keeps its type; $${ escapes", () => {
    const r = loadBlueprint(MINI, { file: "demo.yaml" });
    assert.deepEqual(r.problems, []);
    const api = r.architecture?.spec.components[0];
    assert.equal(api?.image, "ghcr.io/example/api:1.0");
    assert.equal(api?.replicas, 2);
    assert.equal(api?.env?.LITERAL, "${notAParameter}");
  });

  test("an environment merges components by name, adds new ones, and null deletes", () => {
    const r = loadBlueprint(MINI, { file: "demo.yaml", env: "prod" });
    assert.deepEqual(r.problems, []);
    const spec = r.architecture?.spec;
    assert.deepEqual(
      spec?.components.map((c) => c.name),
      ["api", "db", "cache"],
    );
    assert.equal(spec?.components[0]?.replicas, 5, "environment parameter value");
    assert.deepEqual(spec?.components[0]?.env, { LITERAL: "${notAParameter}", MODE: "prod" });
    assert.equal(spec?.ttl, undefined);
  });

  test("--set sets parameters (typed) and fields (list entries by name or index)", () => {
    const r = loadBlueprint(MINI, {
      file: "demo.yaml",
      set: [
        "tag=1.10",
        "replicas=3",
        "spec.components.db.storage.size=5Gi",
        'spec.components[0].env.X="1"',
        'metadata.labels["team.io/owner"]=me',
      ],
    });
    assert.deepEqual(r.problems, []);
    const [api, db] = r.architecture?.spec.components ?? [];
    assert.equal(api?.image, "ghcr.io/example/api:1.10", "string parameters keep the text");
    assert.equal(api?.replicas, 3);
    assert.equal(api?.env?.X, "1");
    assert.equal(db?.storage?.size, "5Gi");
    assert.equal(r.architecture?.metadata.labels?.["team.io/owner"], "me");
    assert.equal(r.parameters.find((p) => p.name === "replicas")?.source, "--set replicas=3");
  });

  test("--set of a number into a text field hints at quoting", () => {
    const r = loadBlueprint(MINI, { file: "demo.yaml", set: ["spec.components.api.env.X=1"] });
    assert.match(r.problems[0]?.hint ?? "", /quote the value/);
  });

  test("--set precedence: default < environment < --set", () => {
    const r = loadBlueprint(MINI, { file: "demo.yaml", env: "prod", set: ["replicas=7"] });
    assert.equal(r.architecture?.spec.components[0]?.replicas, 7);
  });

  test("problems point at the line and column of the offending value", () => {
    const r = loadBlueprint(MINI.replace("type: postgres", "type: postgress"), {
      file: "demo.yaml",
    });
    const p = r.problems.find((x) => x.severity === "error");
    assert.equal(p?.line, 14);
    assert.equal(p?.col, 13);
    assert.equal(p?.path, "spec.components[1].type");
    assert.match(p?.hint ?? "", /postgres/);
  });

  test("a problem from an environment or a parameter says where it came from", () => {
    const env = loadBlueprint(MINI.replace("replicas: 5", "replicas: -1"), {
      file: "demo.yaml",
      env: "prod",
    });
    const p = env.problems.find((x) => x.path === "spec.components[0].replicas");
    assert.equal(p?.line, 10, "the reference in the file");
    assert.match(p?.origin ?? "", /parameter replicas=-1 from environment 'prod'/);
    const set = loadBlueprint(MINI, {
      file: "demo.yaml",
      set: ["spec.components.api.replicas=-4"],
    });
    const q = set.problems[0];
    assert.equal(q?.file, "(--set)");
    assert.match(q?.origin ?? "", /--set spec.components.api.replicas=-4/);
  });

  test("parseSetPath", () => {
    assert.deepEqual(parseSetPath("spec.components.api.replicas"), [
      "spec",
      "components",
      "api",
      "replicas",
    ]);
    assert.deepEqual(parseSetPath("spec.components[0].env.A"), [
      "spec",
      "components",
      0,
      "env",
      "A",
    ]);
    assert.deepEqual(parseSetPath('metadata.labels["a.b/c"]'), ["metadata", "labels", "a.b/c"]);
    assert.equal(typeof parseSetPath("a..b"), "string");
    assert.equal(typeof parseSetPath("a[0"), "string");
    assert.equal(typeof parseSetPath("a."), "string");
  });

  test("'did you mean' is offered for a near miss, never for a name over 100 characters", () => {
    // The edit distance costs the product of the lengths: a 100 KB parameter
    // name cost half a second per hint (test/bench/hostile-input.ts).
    const withParam = (declared: string, referenced: string) =>
      read("trading")
        .replace(/- name: registry\n/, `- name: ${declared}\n`)
        .replaceAll("${registry}", `\${${referenced}}`);
    const hintFor = (declared: string, referenced: string) =>
      loadBlueprint(withParam(declared, referenced), { file: "t.yaml" }).problems.find((p) =>
        p.message.startsWith("unknown parameter '${"),
      )?.hint;
    assert.match(hintFor("registry", "registy") ?? "", /^did you mean 'registry'\? parameters: /);
    const long = "r".repeat(101);
    const hint = hintFor(long, `${long.slice(1)}s`);
    assert.ok(hint, "an unknown reference still has a hint");
    assert.doesNotMatch(hint, /did you mean/);
    assert.match(hint, /^parameters: /);
  });

  test("never throws on hostile input", () => {
    for (const text of [
      "",
      "- a\n- b\n",
      "a: &x [*x]\n",
      "{",
      "\t",
      "null",
      "42",
      `${"[".repeat(500)}`,
      "a: !!binary xx\n",
    ]) {
      const r = loadBlueprint(text, { file: "x.yaml" });
      assert.ok(
        r.problems.some((p) => p.severity === "error"),
        JSON.stringify(text),
      );
      for (const p of r.problems) assert.ok(p.line >= 1 && p.col >= 1);
    }
  });
});

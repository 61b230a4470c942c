// Golden files: every reference blueprint, in every environment, rendered into
// its objects. A change to a renderer shows up here as a reviewable diff.
// Regenerate with `npm run golden:update` after an intended change.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadBlueprint } from "../../../cli/blueprint/loader.ts";
import { render } from "../../../operator/render/index.ts";
import { toYaml } from "../../../operator/render/yaml-output.ts";

const ROOT = join(import.meta.dirname, "../../..");
const GOLDEN = join(import.meta.dirname, "golden");
const update = process.env.UPDATE_GOLDEN === "1";

function renderBlueprint(name: string, env: string | undefined): string {
  const file = join(ROOT, "blueprints", `${name}.yaml`);
  const loaded = loadBlueprint(readFileSync(file, "utf8"), { file, ...(env ? { env } : {}) });
  assert.ok(loaded.architecture, loaded.problems.map((p) => p.message).join("; "));
  const arch = {
    ...loaded.architecture,
    metadata: { ...loaded.architecture.metadata, namespace: "golden" },
  };
  const result = render(arch);
  return toYaml({ objects: result.objects, secrets: result.secrets, notices: result.notices });
}

const blueprints = readdirSync(join(ROOT, "blueprints"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => f.replace(/\.yaml$/, ""))
  .sort();

test("all five reference blueprints are here", () => {
  assert.deepEqual(blueprints, ["chat", "post", "rag", "task-queue", "trading"]);
});

for (const name of blueprints) {
  const text = readFileSync(join(ROOT, "blueprints", `${name}.yaml`), "utf8");
  const envs = loadBlueprint(text, { file: name }).environments;
  for (const env of [undefined, ...envs]) {
    const label = `${name}${env ? `.${env}` : ""}`;
    test(`render ${label} matches its golden file and is byte-stable`, () => {
      const first = renderBlueprint(name, env);
      assert.equal(renderBlueprint(name, env), first, "two renders differ");
      const path = join(GOLDEN, `${label}.yaml`);
      if (update || !existsSync(path)) {
        if (!update) assert.fail(`missing golden file ${path}: run npm run golden:update`);
        writeFileSync(path, first);
        return;
      }
      assert.equal(
        first,
        readFileSync(path, "utf8"),
        `${label} differs from ${path}; if intended, run npm run golden:update`,
      );
    });
  }
}

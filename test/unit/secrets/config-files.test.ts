// `fromFile` in blueprints: read through the reader the CLI hands in, with
// file:line:col problems for a missing or too large file.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigFileReader } from "../../../cli/blueprint/config-files.ts";
import { loadBlueprint } from "../../../cli/blueprint/loader.ts";

const blueprint = (path: string) => `apiVersion: archctl.io/v1alpha1
kind: Architecture
metadata: {name: demo}
spec:
  components:
    - name: api
      type: service
      image: ex/api:1
      config:
        mountPath: /etc/api
        files:
          app.yaml: {fromFile: ${path}}
          inline.txt: "hello"
`;

const files: Record<string, string> = { "config/app.yaml": "mode: live\n" };
const reader: ConfigFileReader = (path, max) => {
  if (path === "config/huge.bin") return { size: max + 1 };
  const text = files[path];
  return text === undefined ? { error: "no such file" } : { text };
};

test("fromFile puts the file's content into the config", () => {
  const loaded = loadBlueprint(blueprint("config/app.yaml"), { file: "b.yaml", readFile: reader });
  assert.deepEqual(loaded.problems, []);
  assert.deepEqual(loaded.architecture?.spec.components[0]?.config?.files, {
    "app.yaml": "mode: live\n",
    "inline.txt": "hello",
  });
});

test("a missing file, a too large one, and no directory to read from: one problem each, at the line", () => {
  const missing = loadBlueprint(blueprint("config/nope.yaml"), {
    file: "b.yaml",
    readFile: reader,
  });
  assert.deepEqual(
    missing.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`),
    ["b.yaml:12:32 config file 'config/nope.yaml' cannot be read: no such file"],
  );
  const huge = loadBlueprint(blueprint("config/huge.bin"), { file: "b.yaml", readFile: reader });
  assert.equal(huge.problems.length, 1);
  assert.match(huge.problems[0]?.message ?? "", /is 65 KiB, over the limit of 64 KiB/);
  assert.equal(huge.architecture, undefined);
  const stdin = loadBlueprint(blueprint("config/app.yaml"), { file: "(stdin)" });
  assert.equal(stdin.problems.length, 1);
  assert.match(stdin.problems[0]?.message ?? "", /has no directory/);
});

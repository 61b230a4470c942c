// The CRD in the chart is generated from the zod schema; this fails when the
// committed copy drifts from it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { crdYaml } from "../../cli/commands/crd.ts";
import { buildCrd } from "../../operator/api/crd.ts";

const COMMITTED = new URL(
  "../../charts/archctl/crds/architectures.archctl.io.yaml",
  import.meta.url,
);

test("the committed CRD matches the schema", () => {
  const committed = readFileSync(COMMITTED, "utf8");
  assert.ok(
    committed === crdYaml(),
    "charts/archctl/crds/architectures.archctl.io.yaml is out of date with operator/api/schema.ts: run `npm run crd:generate` and commit the result",
  );
  assert.deepEqual(parse(committed), buildCrd());
});

test("the CRD is a structural schema with CEL rules and printer columns", () => {
  const crd = buildCrd() as {
    spec: {
      versions: {
        schema: { openAPIV3Schema: Record<string, unknown> };
        additionalPrinterColumns: unknown[];
      }[];
    };
  };
  const text = JSON.stringify(crd);
  assert.ok(!text.includes('"anyOf"') && !text.includes('"oneOf"') && !text.includes('"$ref"'));
  assert.ok(text.includes("x-kubernetes-validations"));
  assert.ok((crd.spec.versions[0]?.additionalPrinterColumns.length ?? 0) >= 4);
});

// The fuzz test's checks on every result: loadBlueprint's problems name a
// line and column, validation refuses only with an error, and whatever
// validates renders deterministically into objects with unique, valid names.
import assert from "node:assert/strict";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import type { LoadedBlueprint } from "../../cli/blueprint/model.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import type { ValidationResult } from "../../operator/api/validate.ts";
import { validateArchitecture } from "../../operator/api/validate.ts";
import type { Capabilities, RenderResult } from "../../operator/render/index.ts";
import { render } from "../../operator/render/index.ts";
import { stats, timed } from "./fuzz-watch.ts";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LIMIT_63 = new Set(["Service", "Namespace"]);

function checkLoaded(r: LoadedBlueprint, label: string): void {
  assert.ok(Array.isArray(r.problems), `${label}: problems is a list`);
  for (const p of r.problems) {
    assert.ok(
      Number.isInteger(p.line) && p.line >= 1 && Number.isInteger(p.col) && p.col >= 1,
      `${label}: problem without a line/col: ${JSON.stringify(p)}`,
    );
    assert.equal(typeof p.message, "string");
    assert.ok(p.message.length > 0, `${label}: empty message`);
    assert.ok(
      p.message.length < 2_000,
      `${label}: a ${p.message.length}-character message: ${p.message.slice(0, 120)}`,
    );
    assert.ok(p.path.length < 2_000, `${label}: a ${p.path.length}-character path`);
  }
  const errors = r.problems.filter((p) => p.severity === "error").length;
  if (r.architecture) assert.equal(errors, 0, `${label}: an architecture despite errors`);
  else assert.ok(errors > 0, `${label}: no architecture and no error`);
}

function checkValidation(v: ValidationResult, label: string): void {
  assert.ok(Array.isArray(v.issues));
  for (const i of v.issues) {
    assert.ok(Array.isArray(i.path), `${label}: issue without a path`);
    assert.equal(typeof i.message, "string");
  }
  const errors = v.issues.filter((i) => i.severity === "error").length;
  if (v.architecture) assert.equal(errors, 0);
  else assert.ok(errors > 0, `${label}: refused without an error`);
}

const CAPS: Capabilities[] = [
  { keda: true, serviceMonitors: true },
  { keda: false, serviceMonitors: false },
];

function checkRender(arch: Architecture, label: string): void {
  for (const caps of CAPS) {
    stats.renderCalls++;
    const a = timed(`render(${label})`, () => render(arch, caps));
    const b = render(arch, caps);
    assert.equal(JSON.stringify(a), JSON.stringify(b), `${label}: render is not deterministic`);
    checkRendered(a, label);
  }
}

function checkRendered(r: RenderResult, label: string): void {
  const seen = new Set<string>();
  for (const o of r.objects) {
    const key = `${o.kind}/${o.metadata.name}`;
    assert.ok(!seen.has(key), `${label}: ${key} rendered twice`);
    seen.add(key);
    const n = o.metadata.name;
    assert.ok(DNS_SUBDOMAIN.test(n) && n.length <= 253, `${label}: invalid name ${key}`);
    if (LIMIT_63.has(o.kind)) assert.ok(n.length <= 63, `${label}: ${key} over 63 characters`);
    for (const [k, v] of Object.entries(o.metadata.labels ?? {}))
      assert.ok(v.length <= 63, `${label}: label ${k}=${v} of ${key} over 63 characters`);
  }
  const secrets = new Set(r.secrets.map((s) => s.name));
  assert.equal(secrets.size, r.secrets.length, `${label}: a credentials Secret rendered twice`);
}

/** One case through loadBlueprint, and through validate + render when it loads. */
export function runText(
  text: string,
  opts: { env?: string; set?: string[] },
  label: string,
): boolean {
  stats.cases++;
  stats.loadCalls++;
  const r = timed(`loadBlueprint(${label})`, () =>
    loadBlueprint(text, { file: "fuzz.yaml", ...opts }),
  );
  checkLoaded(r, label);
  if (!r.architecture) return false;
  stats.valid++;
  stats.validateCalls++;
  const v = timed(`validateArchitecture(${label})`, () => validateArchitecture(r.architecture));
  checkValidation(v, label);
  assert.ok(v.architecture, `${label}: loadBlueprint's result does not validate again`);
  checkRender(v.architecture, label);
  return true;
}

export function runValue(value: unknown, label: string): boolean {
  stats.cases++;
  stats.validateCalls++;
  const v = timed(`validateArchitecture(${label})`, () => validateArchitecture(value));
  checkValidation(v, label);
  if (!v.architecture) return false;
  stats.valid++;
  checkRender(v.architecture, label);
  return true;
}

// The published package: `npm run build`, `npm pack`, a global install of the
// tarball into a throwaway prefix, and the installed `archctl` working as a
// user would run it (no source tree, no type stripping: plain JavaScript).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { execa } from "execa";
import { REPO_ROOT } from "../cluster/binaries.ts";

const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

test("npm pack -> npm install -g -> archctl --version, validate, install --dry-run", {
  timeout: 600_000,
}, async (t) => {
  const work = mkdtempSync(join(tmpdir(), "archctl-pack-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const npm = (args: string[], cwd = REPO_ROOT) =>
    execa("npm", [...args, "--no-audit", "--no-fund"], { cwd, all: true });

  await npm(["run", "build"]);
  const packed = await npm(["pack", "--json", "--pack-destination", work]);
  const [info] = JSON.parse(packed.stdout) as {
    filename: string;
    files: { path: string }[];
  }[];
  assert.ok(info);
  const files = info.files.map((f) => f.path);
  for (const want of [
    "package.json",
    "dist/cli/archctl.js",
    "dist/cli/main.js",
    "dist/operator/operator.js",
    "dist/operator/install/manifests.js",
    "blueprints/post.yaml",
    "charts/archctl/Chart.yaml",
    "charts/archctl/crds/architectures.archctl.io.yaml",
    "charts/archctl/files/rbac-rules.yaml",
    "charts/archctl/dashboards/operator.json",
  ])
    assert.ok(files.includes(want), `${want} is in the tarball`);
  assert.ok(
    !files.some((f) => f.startsWith("test/") || f.endsWith(".ts")),
    "no tests, no .ts sources",
  );

  const prefix = join(work, "prefix");
  await npm(
    ["install", "-g", "--prefix", prefix, "--prefer-offline", join(work, info.filename)],
    work,
  );
  const bin = join(prefix, "bin", "archctl");
  const run = (args: string[]) =>
    execa(bin, args, { cwd: work, reject: false, env: { NO_COLOR: "1", PATH: process.env.PATH } });

  const version = await run(["--version"]);
  assert.equal(version.exitCode, 0, version.stderr);
  assert.equal(version.stdout.trim(), VERSION);

  const valid = await run(["validate", "-f", join(REPO_ROOT, "blueprints", "post.yaml")]);
  assert.equal(valid.exitCode, 0, valid.stderr);

  const blueprints = await run(["blueprints"]);
  assert.equal(blueprints.exitCode, 0, blueprints.stderr);
  assert.match(blueprints.stdout, /task-queue/);

  const install = await run(["install", "--dry-run", "-o", "json"]);
  assert.equal(install.exitCode, 0, install.stderr);
  const kinds = (JSON.parse(install.stdout) as { items: { kind: string }[] }).items.map(
    (o) => o.kind,
  );
  assert.ok(kinds.includes("CustomResourceDefinition") && kinds.includes("Deployment"));
  assert.match(
    install.stdout,
    new RegExp(`ghcr.io/archctl/archctl:${VERSION.replace(/\./g, "\\.")}`),
  );
});

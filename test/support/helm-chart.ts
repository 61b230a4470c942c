// The Helm chart under test and the pinned helm binary that lints, templates,
// installs and uninstalls it (test/cluster/helm/go.mod pins the version).
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../operator/kube/types.ts";
import { ensureHelm, REPO_ROOT } from "../cluster/binaries.ts";

export const CHART = join(REPO_ROOT, "charts", "archctl");
export const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

let helmBin: string | undefined;

/** Builds or finds the pinned helm; call it in a file's before() hook. */
export async function prepareHelm(): Promise<void> {
  helmBin = await ensureHelm({ onProgress: (l) => process.stderr.write(`# ${l}\n`) });
}

export async function helm(args: string[], reject = true) {
  if (!helmBin) throw new Error("helm is not prepared: call prepareHelm() in before()");
  const r = await execa(helmBin, args, {
    reject: false,
    env: {
      HELM_CACHE_HOME: join(tmpdir(), "archctl-helm-cache"),
      HELM_CONFIG_HOME: join(tmpdir(), "archctl-helm-config"),
    },
  });
  if (reject && r.exitCode !== 0)
    throw new Error(`helm ${args.join(" ")} failed (${r.exitCode}):\n${r.stderr}`);
  return r;
}

export async function template(
  release: string,
  namespace: string,
  sets: string[] = [],
  crds = false,
) {
  const r = await helm([
    "template",
    release,
    CHART,
    "--namespace",
    namespace,
    ...(crds ? ["--include-crds"] : []),
    ...sets.flatMap((s) => ["--set", s]),
  ]);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

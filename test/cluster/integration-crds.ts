// The real CRDs of the integrations archctl renders for (KEDA, the Prometheus
// Operator, ...), so that a local cluster checks custom objects against their
// true schemas. Each comes from its project's Go module, as the Go module
// proxy serves it (module archives carry the CRD YAML), pinned below and
// cached, like the binaries, outside the repository:
//
//   $CACHE/crds/<integration>-<version>/*.yaml   (+ .complete)
//
// A second fetch finds the stamp and does nothing. Add an integration by
// adding a row to INTEGRATION_CRDS.
//
//   node test/cluster/integration-crds.ts fetch [NAME...]      (all when none)
//   node test/cluster/integration-crds.ts install KUBECONFIG NAME...
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { cacheDir, type Progress } from "./binaries.ts";
import { waitEstablished } from "./kubectl.ts";

export interface IntegrationCrds {
  /** Go module that carries the CRDs. */
  module: string;
  version: string;
  /** A folder of CRD files, or one file, inside the module. */
  path: string;
  /** File names in that folder that are not CRDs (kustomization.yaml). */
  skip?: string[];
}

/** Integration name -> where its CRDs are, pinned. */
export const INTEGRATION_CRDS = {
  keda: {
    module: "github.com/kedacore/keda/v2",
    version: "v2.21.0",
    path: "config/crd/bases",
  },
  "prometheus-operator": {
    module: "github.com/prometheus-operator/prometheus-operator",
    version: "v0.85.0",
    path: "example/prometheus-operator-crd-full",
  },
  "gateway-api": {
    module: "sigs.k8s.io/gateway-api",
    version: "v1.6.3",
    path: "config/crd/standard",
  },
  "envoy-gateway": {
    module: "github.com/envoyproxy/gateway",
    version: "v1.9.1",
    path: "charts/gateway-helm/charts/crds/crds/generated",
  },
  "cert-manager": {
    module: "github.com/cert-manager/cert-manager",
    version: "v1.21.2",
    path: "deploy/crds",
  },
  istio: {
    module: "istio.io/api",
    version: "v1.32.0",
    path: "kubernetes/customresourcedefinitions.gen.yaml",
  },
  "external-secrets": {
    module: "github.com/external-secrets/external-secrets",
    version: "v0.16.2",
    path: "config/crds/bases",
    skip: ["kustomization.yaml"],
  },
} as const satisfies Record<string, IntegrationCrds>;

export type IntegrationName = keyof typeof INTEGRATION_CRDS;
export const INTEGRATION_NAMES = Object.keys(INTEGRATION_CRDS) as IntegrationName[];

export function isIntegrationName(name: string): name is IntegrationName {
  return Object.hasOwn(INTEGRATION_CRDS, name);
}

/** Where an integration's CRD files are cached. */
export function integrationCrdDir(name: IntegrationName, env = process.env): string {
  return join(cacheDir(env), "crds", `${name}-${INTEGRATION_CRDS[name].version}`);
}

export function integrationCrdsPresent(name: IntegrationName, env = process.env): boolean {
  return existsSync(join(integrationCrdDir(name, env), ".complete"));
}

/** The CustomResourceDefinition documents of a YAML text (other kinds, e.g. a policy, left out). */
export function crdDocuments(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d?.kind === "CustomResourceDefinition");
}

function goEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    PATH: `${env.PATH ?? ""}:/usr/local/go/bin`,
    // Stay on the machine's Go; -mod=mod: outside any module, nothing to keep read-only.
    GOTOOLCHAIN: "local",
    GOFLAGS: "-mod=mod",
  };
}

/**
 * Downloads (go mod download) and caches one integration's CRDs; nothing when
 * cached. Only CustomResourceDefinition documents are kept, one file each.
 */
export async function fetchIntegrationCrds(
  name: IntegrationName,
  opts: { onProgress?: Progress; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const env = opts.env ?? process.env;
  const dir = integrationCrdDir(name, env);
  if (integrationCrdsPresent(name, env)) return dir;
  const spec: IntegrationCrds = INTEGRATION_CRDS[name];
  const ref = `${spec.module}@${spec.version}`;
  opts.onProgress?.(`fetching the ${name} CRDs: go mod download ${ref}`);
  const res = await execa("go", ["mod", "download", "-json", ref], {
    env: goEnv(env),
    reject: false,
    cwd: tmpdir(), // outside any go.mod
  });
  const info = JSON.parse(res.stdout || "{}") as { Dir?: string; Error?: string };
  if (res.exitCode !== 0 || !info.Dir)
    throw new Error(
      `go mod download ${ref} failed (exit ${res.exitCode}): ${info.Error ?? res.stderr}. Check GOPROXY (go env GOPROXY) or the pin in test/cluster/integration-crds.ts.`,
    );
  const source = join(info.Dir, spec.path);
  if (!existsSync(source))
    throw new Error(`${ref} has no ${spec.path}: fix the path in test/cluster/integration-crds.ts`);
  const files = statSync(source).isDirectory()
    ? readdirSync(source)
        .filter((f) => /\.ya?ml$/.test(f) && !spec.skip?.includes(f))
        .sort()
        .map((f) => join(source, f))
    : [source];
  const tmp = `${dir}.tmp.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  let count = 0;
  for (const file of files) {
    for (const crd of crdDocuments(readFileSync(file, "utf8"))) {
      const crdName = (crd.metadata as { name: string }).name;
      writeFileSync(join(tmp, `${crdName}.json`), `${JSON.stringify(crd)}\n`);
      count++;
    }
  }
  if (count === 0) throw new Error(`${ref}: no CustomResourceDefinition in ${spec.path}`);
  writeFileSync(join(tmp, ".complete"), `${ref} ${spec.path} ${count} CRDs\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, ".."), { recursive: true });
  renameSync(tmp, dir);
  opts.onProgress?.(`cached ${count} ${name} CRDs in ${dir}`);
  return dir;
}

/** The cached CRD files of an integration (fetched first when missing). */
export async function integrationCrdFiles(
  name: IntegrationName,
  opts: { onProgress?: Progress; env?: NodeJS.ProcessEnv } = {},
): Promise<string[]> {
  const dir = await fetchIntegrationCrds(name, opts);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(dir, f));
}

type Kubectl = (
  args: string[],
  opts?: { input?: string; reject?: boolean; timeoutMs?: number },
) => Promise<{ exitCode: number; stdout: string; stderr?: string }>;

/**
 * Installs the integrations' CRDs (server-side apply) and waits until they are
 * Established. Returns the names of the CRDs that were not there before, so a
 * caller can remove exactly those.
 */
export async function installIntegrationCrds(
  kubectl: Kubectl,
  names: readonly IntegrationName[],
  opts: { onProgress?: Progress } = {},
): Promise<string[]> {
  const before = new Set(
    (await kubectl(["get", "crd", "-o", "name"])).stdout
      .split("\n")
      .map((l) => l.replace(/^customresourcedefinition\.apiextensions\.k8s\.io\//, ""))
      .filter((l) => l !== ""),
  );
  const created: string[] = [];
  for (const name of names) {
    const files = await integrationCrdFiles(name, opts);
    const items = files.map((f) => JSON.parse(readFileSync(f, "utf8")) as object);
    await kubectl(
      ["apply", "--server-side", "--force-conflicts", "--field-manager=archctl-test", "-f", "-"],
      { input: JSON.stringify({ apiVersion: "v1", kind: "List", items }), timeoutMs: 180_000 },
    );
    const crds = files.map((f) => basename(f, ".json"));
    await waitEstablished(kubectl, crds, 120_000);
    created.push(...crds.filter((c) => !before.has(c)));
    opts.onProgress?.(`installed ${crds.length} ${name} CRDs`);
  }
  return created;
}

async function main(argv: string[]): Promise<number> {
  const log: Progress = (l) => process.stderr.write(`[crds] ${l}\n`);
  const [command, ...rest] = argv;
  if (command === "fetch") {
    const names = rest.length ? rest : INTEGRATION_NAMES;
    const t0 = performance.now();
    for (const n of names) {
      if (!isIntegrationName(n)) throw new Error(`unknown integration ${n}: ${INTEGRATION_NAMES}`);
      await fetchIntegrationCrds(n, { onProgress: log });
    }
    log(
      `integration CRDs ready (${names.join(", ")}) in ${((performance.now() - t0) / 1000).toFixed(1)}s`,
    );
    return 0;
  }
  if (command === "install" && rest[0] && rest.length > 1) {
    const [kubeconfig, ...names] = rest as [string, ...string[]];
    const bad = names.filter((n) => !isIntegrationName(n));
    if (bad.length) throw new Error(`unknown integration ${bad}: use ${INTEGRATION_NAMES}`);
    const { kubectl } = await import("./kwok-cluster.ts");
    await installIntegrationCrds(
      (args, o) => kubectl(kubeconfig, args, o),
      names as IntegrationName[],
      { onProgress: log },
    );
    return 0;
  }
  log("usage: integration-crds.ts fetch [NAME...] | install KUBECONFIG NAME...");
  return 2;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`[crds] ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

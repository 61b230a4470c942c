// A copy of a test cluster's kubeconfig pointing elsewhere (a proxy in front of
// the API server), and the API server's own address to point that proxy at.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { parse, stringify } from "yaml";
import type { TestCluster } from "./cluster.ts";

/** A copy of the test cluster's kubeconfig that points at `server`; removed after the test. */
export function kubeconfigFor(t: TestContext, cluster: TestCluster, server: string): string {
  const doc = parse(readFileSync(cluster.kubeconfig, "utf8")) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of doc.clusters) c.cluster.server = server;
  const dir = mkdtempSync(join(tmpdir(), "archctl-runtime-"));
  const file = join(dir, `${t.name.replace(/\W+/g, "-").slice(0, 40)}.kubeconfig`);
  writeFileSync(file, stringify(doc));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return file;
}

export function apiServerAddress(cluster: TestCluster): { host: string; port: number } {
  const url = new URL(cluster.kc.getCurrentCluster()?.server ?? "");
  return { host: url.hostname, port: Number(url.port) };
}

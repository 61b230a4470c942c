// Loading a kubeconfig the way kubectl does: --kubeconfig, then $KUBECONFIG,
// then ~/.kube/config, then the in-cluster service account; --context overrides.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeConfigError } from "./errors.ts";

export interface ConnectionOptions {
  kubeconfig?: string;
  context?: string;
}

export { KubeConfigError } from "./errors.ts";

export function loadKubeConfig(opts: ConnectionOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  // With no kubeconfig anywhere, client-node falls back to http://localhost:8080,
  // which its own HTTP client then refuses: say what kubectl would instead.
  if (
    !opts.kubeconfig &&
    !process.env.KUBECONFIG &&
    !process.env.KUBERNETES_SERVICE_HOST &&
    !existsSync(join(homedir(), ".kube", "config"))
  )
    throw new KubeConfigError(
      "no cluster configured: no --kubeconfig, KUBECONFIG is not set and ~/.kube/config does not exist",
      "no-context",
    );
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    const file = opts.kubeconfig ?? process.env.KUBECONFIG ?? "~/.kube/config";
    throw new KubeConfigError(
      `cannot read kubeconfig ${file}: ${(err as Error).message}`,
      "unreadable",
    );
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(
        `context '${opts.context}' is not in the kubeconfig; known contexts: ${known.join(", ") || "none"}`,
        "unknown-context",
      );
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) {
    const file = opts.kubeconfig ?? process.env.KUBECONFIG ?? "~/.kube/config";
    throw new KubeConfigError(
      `no cluster configured: the kubeconfig (${file}) has no current context`,
      "no-context",
    );
  }
  return kc;
}

/** Namespace of the current context, as kubectl would use it. */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
}

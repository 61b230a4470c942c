// Our kubectl, run against a kubeconfig.
import { existsSync } from "node:fs";
import { execa } from "execa";
import { binaryPaths } from "./binaries.ts";

/** Run our kubectl against a kubeconfig. */
export async function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; reject?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const bins = binaryPaths(opts.env);
  const bin = existsSync(bins.kubectl) ? bins.kubectl : "kubectl";
  const res = await execa(bin, [`--kubeconfig=${kubeconfig}`, ...args], {
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    timeout: opts.timeoutMs ?? 60_000,
    reject: false,
    env: { ...(opts.env ?? process.env), KUBECONFIG: kubeconfig },
  });
  const out = {
    exitCode: res.exitCode ?? -1,
    stdout: String(res.stdout),
    stderr: String(res.stderr),
  };
  if (opts.reject !== false && out.exitCode !== 0) {
    throw new Error(
      `kubectl ${args.join(" ")} failed (${out.exitCode}): ${out.stderr || out.stdout}`,
    );
  }
  return out;
}

/** What runs kubectl: `kubectl` bound to a kubeconfig, or a test cluster's. */
export type KubectlRunner = (
  args: string[],
  opts?: { reject?: boolean; timeoutMs?: number },
) => Promise<{ exitCode: number; stdout: string; stderr?: string }>;

/**
 * Waits until CRDs are Established. `kubectl wait --for=condition=...` fails
 * at once, not waiting, when it reads a CRD before the API server wrote its
 * first status (".status.conditions accessor error: <nil>"): seen in CI right
 * after a create. That answer is retried until the timeout; any other failure
 * is thrown.
 */
export async function waitEstablished(
  run: KubectlRunner,
  crds: string[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    const res = await run(
      ["wait", "--for=condition=Established", `--timeout=${left}s`, ...crds.map((c) => `crd/${c}`)],
      { reject: false, timeoutMs: left * 1000 + 30_000 },
    );
    if (res.exitCode === 0) return;
    const said = res.stderr || res.stdout;
    if (!/status\.conditions accessor error/.test(said) || Date.now() >= deadline)
      throw new Error(
        `kubectl wait --for=condition=Established ${crds.join(" ")} failed (${res.exitCode}): ${said}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

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

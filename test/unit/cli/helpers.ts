// Runs the CLI as a user would: `node cli/main.ts ...` in a child process.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const MAIN = join(ROOT, "cli/main.ts");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function archctl(
  args: string[],
  options: { cwd?: string; input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: "1",
      ARCHCTL_DEBUG: "",
      ...options.env,
    };
    // Node warns when NO_COLOR and FORCE_COLOR are both set.
    if (!options.env?.FORCE_COLOR) delete env.FORCE_COLOR;
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env,
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "archctl-cli-"));
}

export function writeTemp(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

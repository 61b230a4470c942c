// A real S3 wire protocol on loopback: test/dataplane/servers/s3/main.go
// (gofakes3, in memory), built once by its build.sh into the binary cache and
// started as the dataplane user. Its buckets exist from the start; any
// access key is accepted (gofakes3 checks no signatures), so what credentials
// decide is not exercised here. The AWS CLI that talks to it is Debian's
// (awscli, installed by .ci/setup-dataplane).
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../cluster/binaries.ts";
import { freePort } from "../../support/free-port.ts";
import { ownedTempDir, removeDir, startDaemon, waitUntil } from "./process.ts";

export const AWS_CLI = "/usr/bin/aws";

export interface S3Server {
  /** http://127.0.0.1:PORT, for `--endpoint-url` (path-style: an IP endpoint). */
  endpoint: string;
  stop(): Promise<void>;
}

/** The server binary, built on first use (a few seconds with a warm module cache). */
export function s3ServerBinary(): string {
  const script = join(REPO_ROOT, "test/dataplane/servers/s3/build.sh");
  return execFileSync("bash", [script], { encoding: "utf8" }).trim().split("\n").at(-1) as string;
}

export async function startS3(buckets: string[]): Promise<S3Server> {
  const binary = s3ServerBinary();
  const port = await freePort();
  const dir = ownedTempDir("s3");
  // The cache is under root's home, which the dataplane user cannot enter: run a copy.
  const copy = join(dir, "dataplane-s3");
  copyFileSync(binary, copy);
  chmodSync(copy, 0o755);
  const addr = `127.0.0.1:${port}`;
  const daemon = startDaemon(
    "s3",
    copy,
    ["-addr", addr, ...buckets.flatMap((b) => ["-bucket", b])],
    {
      dir,
    },
  );
  await waitUntil("the S3 server", async () => daemon.log().includes(`listening on ${addr}`), {
    daemon,
    timeoutMs: 30_000,
  });
  return {
    endpoint: `http://${addr}`,
    async stop() {
      await daemon.stop(5000);
      removeDir(dir);
    },
  };
}

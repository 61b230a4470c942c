// The backup and restore steps every engine's dataplane test goes through, run
// from the rendered objects: the backup CronJob's dump container, and the
// restore script in the container shape the renderer gives it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { restoreScript } from "../../operator/render/restore-scripts.ts";
import { type Json, runContainer } from "./pod.ts";
import { ARCH, type RenderedDatastore } from "./rendered.ts";
import { chownTree, type RunResult } from "./servers/process.ts";

export interface BackupRecord {
  file: string;
  time: string;
  size: number;
  sha256: string;
}

/** The backup CronJob's pod spec. */
export function backupPod(r: RenderedDatastore): Json {
  return r.find("CronJob", `${ARCH}-db-backup`).spec.jobTemplate.spec.template.spec;
}

/** Runs the rendered dump container with /backups on `dir`; returns what the backup recorded. */
export async function runBackup(r: RenderedDatastore, dir: string): Promise<BackupRecord> {
  const pod = backupPod(r);
  const dump = pod.containers.find((c: Json) => c.name === "dump") ?? pod.initContainers?.[0];
  const res = await runContainer(dump, {
    secrets: r.secrets,
    volumes: { backups: dir, tmp: dir },
    hosts: [r.host],
  });
  assert.equal(res.code, 0, `backup failed:\n${res.stdout}${res.stderr}`);
  const line = res.stdout.split("\n").find((l) => l.startsWith("archctl-backup: "));
  assert.ok(line, `no record line in:\n${res.stdout}`);
  const record = JSON.parse(line.slice("archctl-backup: ".length)) as BackupRecord;
  // The record is the truth about the file: size, checksum and the sidecar agree.
  const bytes = readFileSync(join(dir, record.file));
  assert.equal(record.size, bytes.length);
  assert.equal(record.sha256, createHash("sha256").update(bytes).digest("hex"));
  assert.equal(
    readFileSync(join(dir, `${record.file}.sha256`), "utf8"),
    `${record.sha256}  ${record.file}\n`,
  );
  return record;
}

/** The restore container as rendered for this engine (env as the dump's: the target's credentials). */
export function restoreContainer(r: RenderedDatastore, dataDirMount = false): Json {
  const dump =
    backupPod(r).containers.find((c: Json) => c.name === "dump") ??
    backupPod(r).initContainers?.[0];
  const script = restoreScript(r.ctx, r.db, "db");
  assert.ok(script);
  return {
    name: "restore",
    command: ["sh", "-c", script],
    env: dump.env,
    volumeMounts: [
      { name: "backups", mountPath: "/backups", readOnly: true },
      ...(dataDirMount ? [{ name: "data", mountPath: "/data" }] : []),
    ],
  };
}

export async function runRestore(
  r: RenderedDatastore,
  volumes: Record<string, string>,
  backup?: string,
): Promise<RunResult> {
  return runContainer(restoreContainer(r, "data" in volumes), {
    secrets: r.secrets,
    volumes,
    hosts: [r.host],
    ...(backup ? { env: { ARCHCTL_BACKUP: backup } } : {}),
  });
}

/** Asserts a restore was refused (exit 3) with a message matching `why`. */
export function assertRefused(res: RunResult, why: RegExp): void {
  assert.equal(
    res.code,
    3,
    `expected a refusal, got exit ${res.code}:\n${res.stdout}${res.stderr}`,
  );
  assert.match(res.stderr, /^restore refused: /m);
  assert.match(res.stderr, why);
}

/** Adds a backup with a valid checksum but bytes changed afterwards: a corrupt one. */
export function plantCorrupt(dir: string, from: BackupRecord, name: string): void {
  const bytes = Buffer.from(readFileSync(join(dir, from.file)));
  writeFileSync(join(dir, `${name}.sha256`), `${from.sha256}  ${name}\n`);
  bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 0xff;
  writeFileSync(join(dir, name), bytes);
  chownTree(dir);
}

/** Adds a file of another engine, with its own valid checksum, under this engine's extension. */
export function plantForeign(dir: string, name: string, content: string): void {
  writeFileSync(join(dir, name), content);
  const sha = createHash("sha256").update(content).digest("hex");
  writeFileSync(join(dir, `${name}.sha256`), `${sha}  ${name}\n`);
  chownTree(dir);
}

/** Old backups (with checksums) that retention should remove. */
export function plantOld(dir: string, names: string[]): void {
  for (const n of names) plantForeign(dir, n, "old backup\n");
}

export function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

export const sizeOf = (dir: string, file: string) => statSync(join(dir, file)).size;

// Runs one container of a rendered pod spec as a plain process, as close to
// the kubelet as a test can without a container runtime: the rendered command
// and args with $(VAR) expanded, the env resolved from the rendered Secrets
// (materialised values), volumes bind-mounted at the rendered mount paths in a
// private mount namespace, the Service host names resolving to loopback through
// a private /etc/hosts, and the container's uid replaced by the dataplane user.
// The binaries are the machine's (Debian's), not the image's.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  chownTree,
  dataplaneIdentity,
  ownedTempDir,
  type RunResult,
  removeDir,
  runAs,
} from "./servers/process.ts";

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are plain JSON
export type Json = any;

export interface PodRun {
  /** Secret name -> key -> value (materializeSecret's output per rendered SecretSpec). */
  secrets: Record<string, Record<string, string>>;
  /** Volume name (as in the pod's volumeMounts) -> host directory. */
  volumes: Record<string, string>;
  /** Host names (the rendered Services') that must reach loopback. */
  hosts: string[];
  /** Extra env on top of the rendered one (e.g. ARCHCTL_BACKUP). */
  env?: Record<string, string>;
  /** Values of fieldRef env (the downward API), by fieldPath, e.g. metadata.name. */
  fields?: Record<string, string>;
}

/** The container's env, as the kubelet would set it. */
export function containerEnv(
  container: Json,
  secrets: PodRun["secrets"],
  fields: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const values = secrets[from.secretRef?.name];
    if (!values)
      throw new Error(`envFrom names Secret ${from.secretRef?.name}, which was not rendered`);
    Object.assign(env, values);
  }
  for (const e of container.env ?? []) {
    if ("value" in e) env[e.name] = expand(e.value, env);
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const v = secrets[name]?.[key];
      if (v === undefined)
        throw new Error(`env ${e.name} names ${name}/${key}, which was not rendered`);
      env[e.name] = v;
    } else if (e.valueFrom?.fieldRef && fields[e.valueFrom.fieldRef.fieldPath] !== undefined) {
      env[e.name] = fields[e.valueFrom.fieldRef.fieldPath] as string;
    } else throw new Error(`env ${e.name}: only value and secretKeyRef are emulated`);
  }
  return env;
}

/** The kubelet's $(VAR) expansion; $$(VAR) escapes. */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? "$" : (env[name] ?? m),
  );
}

/** Runs the container to the end; returns its exit code and output. */
export async function runContainer(container: Json, run: PodRun): Promise<RunResult> {
  const env = { ...containerEnv(container, run.secrets, run.fields), ...run.env };
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a: string) =>
    expand(a, env),
  );
  if (argv.length === 0)
    throw new Error(
      `container ${container.name} has no command: the image's entrypoint is not emulated`,
    );
  const scratch = ownedTempDir("pod");
  const created: string[] = [];
  try {
    const hostsFile = join(scratch, "hosts");
    writeFileSync(hostsFile, `127.0.0.1 localhost ${run.hosts.join(" ")}\n`);
    const mounts: string[] = [];
    for (const m of container.volumeMounts ?? []) {
      const source = run.volumes[m.name];
      if (!source)
        throw new Error(`volume ${m.name} of container ${container.name} has no directory`);
      if (!existsSync(m.mountPath)) {
        mkdirSync(m.mountPath, { recursive: true });
        created.push(m.mountPath);
      }
      mounts.push(
        `mount --bind ${q(source)} ${q(m.mountPath)}${m.readOnly ? ` && mount -o remount,bind,ro ${q(m.mountPath)}` : ""}`,
      );
    }
    chownTree(scratch);
    const id = dataplaneIdentity();
    const setup = [
      `mount --bind ${q(hostsFile)} /etc/hosts`,
      ...mounts,
      `exec setpriv --reuid=${id.uid} --regid=${id.gid} --clear-groups -- "$@"`,
    ].join(" && ");
    return await runAs(
      "unshare",
      ["--mount", "--propagation", "private", "sh", "-c", setup, "pod", ...argv],
      {
        env: { ...env, HOME: scratch },
        cwd: scratch,
        asRoot: true,
      },
    );
  } finally {
    // The mount points made on the machine's own filesystem: empty again now.
    for (const dir of created.reverse()) rmdirSync(dir);
    removeDir(scratch);
  }
}

const q = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;

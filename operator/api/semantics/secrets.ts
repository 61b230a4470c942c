// Rules of application secrets and config files the schema cannot say: every
// secret used is defined and holds the key read, names are unique, mount paths
// do not overlap, and config files stay within the size limits.
import { isAppType } from "../schema/component-types.ts";
import type { Architecture } from "../schema.ts";
import { MAX_CONFIG_FILE_BYTES, MAX_CONFIG_TOTAL_BYTES } from "../schema.ts";
import { keysOf, resolveRef, secretsUsedBy } from "../secret-refs.ts";
import { error, type Issue, warning } from "./issue.ts";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");
const kib = (bytes: number): string => `${Math.ceil(bytes / 1024)} KiB`;

function definedHint(name: string, defined: string[]): string {
  if (defined.length === 0)
    return `define it: spec.secrets: [{name: ${name}, generate: {bytes: 32}}]`;
  return `define it under spec.secrets, or use one of: ${defined.join(", ")}`;
}

function overlaps(a: string, b: string): boolean {
  const da = a.endsWith("/") ? a : `${a}/`;
  const db = b.endsWith("/") ? b : `${b}/`;
  return da.startsWith(db) || db.startsWith(da);
}

export function checkSecrets(arch: Architecture): Issue[] {
  const issues: Issue[] = [];
  const secrets = arch.spec.secrets ?? [];
  const byName = new Map<string, (typeof secrets)[number]>();
  for (const [i, s] of secrets.entries()) {
    if (byName.has(s.name))
      issues.push(
        error(["spec", "secrets", i, "name"], `two secrets are named '${s.name}'`, "rename one"),
      );
    else byName.set(s.name, s);
    const keys = s.fromSecret?.keys ?? [];
    for (const [k, key] of keys.entries())
      if (keys.indexOf(key) !== k)
        issues.push(
          error(
            ["spec", "secrets", i, "fromSecret", "keys", k],
            `key '${key}' is listed twice`,
            "list each key once",
          ),
        );
  }
  const defined = [...byName.keys()];
  const used = new Set<string>();
  let configTotal = 0;

  for (const [ci, c] of arch.spec.components.entries()) {
    const at = ["spec", "components", ci];
    const app = isAppType(c.type);
    for (const field of ["secretEnv", "secretFiles", "config"] as const)
      if (!app && c[field] !== undefined)
        issues.push(
          error(
            [...at, field],
            `${field} is for application components, '${c.name}' is a ${c.type}`,
            `remove ${field}`,
          ),
        );
    for (const name of secretsUsedBy(c)) used.add(name);

    for (const [env, value] of Object.entries(c.secretEnv ?? {})) {
      const path = [...at, "secretEnv", env];
      if (!ENV_NAME.test(env))
        issues.push(
          error(
            path,
            `'${env}' is not a valid environment variable name`,
            "use letters, digits and _; do not start with a digit",
          ),
        );
      if (c.env?.[env] !== undefined)
        issues.push(
          error(path, `${env} is set both in env and in secretEnv`, "keep one of the two"),
        );
      const ref = resolveRef(value, secrets);
      const def = byName.get(ref.secret);
      const refPath = typeof value === "string" ? path : [...path, "secret"];
      if (!def) {
        issues.push(
          error(
            refPath,
            `secret '${ref.secret}' is used by '${c.name}' but not defined`,
            definedHint(ref.secret, defined),
          ),
        );
        continue;
      }
      const keys = keysOf(def);
      if (ref.key === undefined)
        issues.push(
          error(
            path,
            `secret '${ref.secret}' holds several keys (${keys.join(", ")}): say which one ${env} reads`,
            `write ${env}: {secret: ${ref.secret}, key: ${keys[0]}}`,
          ),
        );
      else if (!keys.includes(ref.key))
        issues.push(
          error(
            [...path, "key"],
            `secret '${ref.secret}' has no key '${ref.key}'`,
            `its keys are: ${keys.join(", ")}`,
          ),
        );
    }

    const mounts: { path: string; at: (string | number)[] }[] = [{ path: "/tmp", at: [] }];
    for (const [fi, f] of (c.secretFiles ?? []).entries()) {
      const fat = [...at, "secretFiles", fi];
      const def = byName.get(f.secret);
      if (!def)
        issues.push(
          error(
            [...fat, "secret"],
            `secret '${f.secret}' is used by '${c.name}' but not defined`,
            definedHint(f.secret, defined),
          ),
        );
      else
        for (const [ki, key] of (f.keys ?? []).entries())
          if (!keysOf(def).includes(key))
            issues.push(
              error(
                [...fat, "keys", ki],
                `secret '${f.secret}' has no key '${key}'`,
                `its keys are: ${keysOf(def).join(", ")}`,
              ),
            );
      mounts.push({ path: f.mountPath, at: [...fat, "mountPath"] });
    }
    if (c.config) {
      mounts.push({ path: c.config.mountPath, at: [...at, "config", "mountPath"] });
      const files = Object.entries(c.config.files);
      for (const [file, content] of files) {
        const size = utf8Bytes(content);
        configTotal += size;
        if (size > MAX_CONFIG_FILE_BYTES)
          issues.push(
            error(
              [...at, "config", "files", file],
              `config file '${file}' is ${kib(size)}, over the limit of ${kib(MAX_CONFIG_FILE_BYTES)}`,
              "keep large data out of config: bake it into the image or mount a volume",
            ),
          );
      }
    }
    for (const [m, mount] of mounts.entries())
      for (const other of mounts.slice(0, m))
        if (overlaps(mount.path, other.path))
          issues.push(
            error(
              mount.at,
              `mount path ${mount.path} overlaps ${other.path}${other.at.length ? "" : " (archctl's writable /tmp)"}`,
              "give each mount its own directory",
            ),
          );
  }
  if (configTotal > MAX_CONFIG_TOTAL_BYTES)
    issues.push(
      error(
        ["spec", "components"],
        `config files total ${kib(configTotal)}, over the limit of ${kib(MAX_CONFIG_TOTAL_BYTES)} per Architecture`,
        "an Architecture is stored whole in etcd: keep config small",
      ),
    );
  for (const [i, s] of secrets.entries())
    if (!used.has(s.name))
      issues.push(
        warning(
          ["spec", "secrets", i],
          `secret '${s.name}' is not used by any component`,
          "reference it in secretEnv or secretFiles, or remove it",
        ),
      );
  return issues;
}

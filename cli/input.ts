// The only module of the offline CLI that touches the file system: reading a
// blueprint, the catalogue in blueprints/, and writing a starter file. Every
// failure becomes a UserError that names the file and the fix. Relative paths
// are taken from the caller's working directory (deps.cwd), and messages name
// a path as the user wrote it.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { text as readAll } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import type { ConfigFileReader } from "./blueprint/config-files.ts";
import { UserError } from "./context.ts";
import type { InputStream } from "./deps.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

/** The package root: cli/ in development, dist/cli/ once built. */
function packageRoot(): string {
  for (const candidate of [resolve(HERE, ".."), resolve(HERE, "../..")]) {
    if (existsSync(join(candidate, "package.json")) && existsSync(join(candidate, "blueprints")))
      return candidate;
  }
  return resolve(HERE, "..");
}

export const BLUEPRINTS_DIR = join(packageRoot(), "blueprints");

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory, not a file";
  return (e as Error).message;
}

const MAX_BLUEPRINT_BYTES = 1024 * 1024;

/** Reads a blueprint file (relative to `from.cwd`); `-` reads `from.stdin`. */
export async function readBlueprintFile(
  path: string,
  from: { cwd: string; stdin: InputStream },
): Promise<string> {
  if (path === "-") {
    try {
      return await readAll(from.stdin);
    } catch (e) {
      throw new UserError(`cannot read the blueprint from standard input: ${describeFsError(e)}`);
    }
  }
  const file = resolve(from.cwd, path);
  try {
    const st = statSync(file);
    if (st.isDirectory()) {
      throw new UserError(
        `cannot read blueprint '${path}': it is a directory (pass the YAML file, e.g. -f ${join(path, "blueprint.yaml")})`,
      );
    }
    if (st.size > MAX_BLUEPRINT_BYTES) {
      throw new UserError(
        `cannot read blueprint '${path}': ${st.size} bytes is more than the 1 MiB a blueprint may have`,
      );
    }
    return readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof UserError) throw e;
    const why = describeFsError(e);
    const fix =
      why === "no such file"
        ? `check the path, or create one with: archctl init post ${path}`
        : "check the file's permissions";
    throw new UserError(`cannot read blueprint '${path}': ${why} (${fix})`);
  }
}

export interface CatalogueEntry {
  name: string;
  path: string;
  text: string;
}

/** The blueprints shipped with archctl, sorted by name. */
export function readCatalogue(): CatalogueEntry[] {
  let files: string[];
  try {
    files = readdirSync(BLUEPRINTS_DIR).filter((f) => f.endsWith(".yaml"));
  } catch (e) {
    throw new UserError(
      `cannot read the blueprint catalogue in ${BLUEPRINTS_DIR}: ${describeFsError(e)} (reinstall archctl)`,
    );
  }
  return files.sort().map((f) => ({
    name: f.replace(/\.yaml$/, ""),
    path: join(BLUEPRINTS_DIR, f),
    text: readFileSync(join(BLUEPRINTS_DIR, f), "utf8"),
  }));
}

/** Writes a new file (relative to `cwd`); refuses to replace an existing one unless `force`. */
export function writeNewFile(path: string, text: string, force: boolean, cwd: string): void {
  const file = resolve(cwd, path);
  if (!force && existsSync(file)) {
    throw new UserError(
      `'${path}' already exists: pass --force to overwrite it, or name another file`,
    );
  }
  try {
    writeFileSync(file, text, { encoding: "utf8", flag: force ? "w" : "wx" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST")
      throw new UserError(
        `'${path}' already exists: pass --force to overwrite it, or name another file`,
      );
    if (code === "ENOENT")
      throw new UserError(`cannot write '${path}': the directory ${dirname(path)} does not exist`);
    throw new UserError(`cannot write '${path}': ${describeFsError(e)}`);
  }
}

/**
 * Reads a blueprint's `fromFile` config files, relative to the blueprint's
 * directory; undefined for standard input (no directory to read from).
 */
export function configFileReader(blueprint: string, cwd: string): ConfigFileReader | undefined {
  if (blueprint === "-") return undefined;
  const dir = dirname(resolve(cwd, blueprint));
  return (path, maxBytes) => {
    try {
      const file = resolve(dir, path);
      const st = statSync(file);
      if (st.isDirectory()) return { error: "it is a directory, not a file" };
      if (st.size > maxBytes) return { size: st.size };
      return { text: readFileSync(file, "utf8") };
    } catch (e) {
      return { error: describeFsError(e) };
    }
  };
}

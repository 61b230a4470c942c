// `fromFile` in a blueprint: a config file's content read from a file next to
// the blueprint, e.g.
//
//   config:
//     mountPath: /etc/post
//     files:
//       app.yaml: {fromFile: config/app.yaml}
//
// Pure: the CLI hands in a reader that resolves paths relative to the
// blueprint; a missing or too large file is a problem at the fromFile line.
import { MAX_CONFIG_FILE_BYTES } from "../../operator/api/schema.ts";
import type { LNode } from "./located.ts";
import type { Problems } from "./model.ts";

export type ConfigFileRead = { text: string } | { error: string } | { size: number };
/** Reads `path` (relative to the blueprint), refusing files over `maxBytes` by size alone. */
export type ConfigFileReader = (path: string, maxBytes: number) => ConfigFileRead;

const kib = (bytes: number): string => `${Math.ceil(bytes / 1024)} KiB`;

function entry(node: LNode | undefined, key: string): LNode | undefined {
  return node?.t === "map" ? node.entries.get(key)?.value : undefined;
}

/** Replaces every spec.components[].config.files.<name>: {fromFile: path} with the file's text. */
export function readConfigFiles(
  root: LNode,
  read: ConfigFileReader | undefined,
  problems: Problems,
): LNode {
  const components = entry(entry(root, "spec"), "components");
  if (components?.t !== "seq") return root;
  for (const [i, component] of components.items.entries()) {
    const files = entry(entry(component, "config"), "files");
    if (files?.t !== "map") continue;
    for (const [name, e] of files.entries) {
      const from = entry(e.value, "fromFile");
      if (!from) continue;
      const at = ["spec", "components", i, "config", "files", name, "fromFile"];
      // Said once here; the placeholder keeps validation from echoing "expected string".
      const placeholder: LNode = { t: "scalar", value: "", pos: from.pos };
      const original = e.value;
      e.value = placeholder;
      if (original.t === "map" && original.entries.size > 1) {
        problems.add(original.pos, at, "fromFile stands alone", "write app.yaml: {fromFile: path}");
        continue;
      }
      if (from.t !== "scalar" || typeof from.value !== "string" || from.value === "") {
        problems.add(
          from.pos,
          at,
          "fromFile is a path",
          "write app.yaml: {fromFile: config/app.yaml}",
        );
        continue;
      }
      const path = from.value;
      if (!read) {
        problems.add(
          from.pos,
          at,
          `fromFile '${path}' cannot be read: this blueprint has no directory (standard input or the catalogue)`,
          "save the blueprint to a file next to its config files, or write the content inline",
        );
        continue;
      }
      const got = read(path, MAX_CONFIG_FILE_BYTES);
      if ("error" in got) {
        problems.add(
          from.pos,
          at,
          `config file '${path}' cannot be read: ${got.error}`,
          "fromFile is relative to the blueprint's directory",
        );
        continue;
      }
      if ("size" in got || Buffer.byteLength(got.text, "utf8") > MAX_CONFIG_FILE_BYTES) {
        const size = "size" in got ? got.size : Buffer.byteLength(got.text, "utf8");
        problems.add(
          from.pos,
          at,
          `config file '${path}' is ${kib(size)}, over the limit of ${kib(MAX_CONFIG_FILE_BYTES)}`,
          "keep large data out of config: bake it into the image or mount a volume",
        );
        continue;
      }
      e.value = { t: "scalar", value: got.text, pos: from.pos, note: `read from ${path}` };
    }
  }
  return root;
}

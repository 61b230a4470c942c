// archctl init <blueprint> [file]: copy a reference blueprint to start from.
import type { Command } from "commander";
import { parseDocument } from "yaml";
import { yamlDocumentText } from "../../operator/render/yaml-output.ts";
import { contextOf, UserError } from "../context.ts";
import type { CliDeps } from "../deps.ts";
import { readCatalogue, writeNewFile } from "../input.ts";

const NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Pure: the starter text, with metadata.name replaced when asked (comments kept). */
export function starterText(text: string, name?: string): string {
  if (name === undefined) return text;
  const doc = parseDocument(text);
  doc.setIn(["metadata", "name"], name);
  return yamlDocumentText(doc);
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command("init")
    .description("write a starter blueprint file from the catalogue")
    .argument("<blueprint>", "name of a reference blueprint (see archctl blueprints)")
    .argument("[file]", "file to write (default: <blueprint>.yaml)")
    .option("--name <name>", "name of the Architecture (metadata.name)")
    .option("--force", "overwrite the file if it exists")
    .addHelpText(
      "after",
      `
Examples:
  archctl init post                    writes post.yaml
  archctl init chat rooms.yaml --name rooms
  archctl init rag rag.yaml --force    replaces rag.yaml`,
    )
    .action(
      (
        blueprint: string,
        file: string | undefined,
        opts: { name?: string; force?: boolean },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd, deps);
        const catalogue = readCatalogue();
        const entry = catalogue.find((e) => e.name === blueprint);
        if (!entry) {
          const names = catalogue.map((e) => e.name);
          const guess = names.find((n) => n.startsWith(blueprint.slice(0, 2)));
          throw new UserError(
            `no blueprint named '${blueprint}'${guess ? ` (did you mean '${guess}'?)` : ""}: choose one of ${names.join(", ")}`,
          );
        }
        if (opts.name !== undefined && (!NAME.test(opts.name) || opts.name.length > 40)) {
          throw new UserError(
            `--name '${opts.name}' is not a valid Architecture name: use at most 40 lower-case letters, digits and '-', starting with a letter`,
          );
        }
        const target = file ?? `${blueprint}.yaml`;
        writeNewFile(target, starterText(entry.text, opts.name), opts.force === true, deps.cwd);
        ctx.info(`wrote ${target} from the '${blueprint}' blueprint`);
        ctx.info(
          `next: archctl validate -f ${target}   then   archctl render -f ${target} --env dev`,
        );
      },
    );
}

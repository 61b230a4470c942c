// The blueprint file format: an Architecture manifest plus what only the CLI
// needs. Pure (no fs): the CLI reads the file and hands the text in here.
//
//   apiVersion: archctl.io/v1alpha1
//   kind: Architecture
//   metadata: {name: post}
//   spec: {...}                     # may use ${param} anywhere in a string
//   parameters:                     # CLI-only
//     - {name: tag, description: image tag, default: "1.0.0", type: string}
//   environments:                   # CLI-only: overlays chosen with --env
//     prod:
//       parameters: {replicas: 4}   # parameter values for this environment
//       metadata: {...}
//       spec: {...}                 # deep-merged onto spec (see mergeOverlay)
//
// Resolution: overlay of the chosen environment -> parameter substitution ->
// --set overrides -> CLI-only fields stripped -> validateArchitecture. Every
// problem, whatever its stage, comes back as a BlueprintProblem that names a
// line and column of the file (or of the --set argument it came from).

import type { Document } from "yaml";
import { LineCounter, parseDocument } from "yaml";
import { didYouMean } from "../../operator/api/suggest.ts";
import type { IssuePath } from "../../operator/api/validate.ts";
import { clip, formatPath, validateArchitecture } from "../../operator/api/validate.ts";
import { readConfigFiles } from "./config-files.ts";
import { describeNode, mergeOverlay } from "./environments.ts";
import type { LEntry, LNode, Pos } from "./located.ts";
import { firstLine, locate, MAX_ALIAS_COUNT, toJS, toLNode, withOrigin } from "./located.ts";
import type { BlueprintOptions, BlueprintProblem, LoadedBlueprint } from "./model.ts";
import { BLUEPRINT_ONLY_FIELDS, Problems } from "./model.ts";
import type { ParamState } from "./parameters.ts";
import {
  readParameters,
  references,
  setParameter,
  substitute,
  unknownNameHint,
} from "./parameters.ts";
import type { SetSegment } from "./set.ts";
import { applySet, parseSetPath, parseSetValue } from "./set.ts";

// After the first few syntax errors the rest are mostly echoes of them (a
// Markdown file passed by mistake gives dozens): report the first ones.
const MAX_SYNTAX_ERRORS = 5;

function parseProblems(doc: Document, problems: Problems): boolean {
  for (const e of doc.errors.slice(0, MAX_SYNTAX_ERRORS)) {
    const lp = e.linePos?.[0] ?? { line: 1, col: 1 };
    let hint = "fix the YAML syntax";
    if (e.code === "DUPLICATE_KEY") hint = "remove or rename one of the two keys";
    else if (e.code === "TAB_AS_INDENT") hint = "indent with spaces, not tabs";
    else if (e.code === "MULTIPLE_DOCS")
      hint = "a blueprint is one YAML document: remove the '---' separators";
    else if (/indent/i.test(e.message))
      hint = "check the indentation of this line and the one above";
    problems.add(lp, "", firstLine(e.message), hint);
  }
  const more = doc.errors.length - MAX_SYNTAX_ERRORS;
  if (more > 0) {
    const last = doc.errors[MAX_SYNTAX_ERRORS - 1]?.linePos?.[0] ?? { line: 1, col: 1 };
    problems.add(
      last,
      "",
      `${more} more YAML syntax error${more === 1 ? "" : "s"} not shown`,
      "fix the first ones, then validate again (is this a YAML file?)",
    );
  }
  for (const w of doc.warnings) {
    const lp = w.linePos?.[0] ?? { line: 1, col: 1 };
    problems.add(lp, "", firstLine(w.message), "remove the tag", "warning");
  }
  return doc.errors.length === 0;
}

function sortProblems(list: BlueprintProblem[]): BlueprintProblem[] {
  return list
    .map((p, i) => ({ p, i }))
    .sort((a, b) => {
      const fa = a.p.file.startsWith("(") ? 1 : 0;
      const fb = b.p.file.startsWith("(") ? 1 : 0;
      return fa - fb || a.p.line - b.p.line || a.p.col - b.p.col || a.i - b.i;
    })
    .map((x) => x.p)
    .filter((p, i, all) => {
      const prev = all[i - 1];
      return (
        !prev ||
        prev.line !== p.line ||
        prev.col !== p.col ||
        prev.message !== p.message ||
        prev.file !== p.file
      );
    });
}

/** Parses and resolves a blueprint into an Architecture manifest, and validates it. Never throws on bad input. */
export function loadBlueprint(text: string, options: BlueprintOptions): LoadedBlueprint {
  const problems = new Problems(options.file);
  const result: LoadedBlueprint = { problems: problems.list, environments: [], parameters: [] };
  const finish = (): LoadedBlueprint => {
    result.problems = sortProblems(problems.list);
    return result;
  };

  // 1. YAML
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    uniqueKeys: true,
    prettyErrors: true,
    strict: true,
  });
  if (!parseProblems(doc, problems)) return finish();
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    problems.add(
      { line: 1, col: 1 },
      "",
      /alias/i.test(msg) ? `too many aliases: ${msg}` : firstLine(msg),
      `expand the YAML aliases (*name); at most ${MAX_ALIAS_COUNT} are allowed`,
    );
    return finish();
  }
  if (doc.contents === null) {
    problems.add(
      { line: 1, col: 1 },
      "",
      "the file is empty",
      "start from a catalogue blueprint: archctl init post FILE",
    );
    return finish();
  }
  const root = toLNode(doc.contents, doc, lc, problems, undefined, 0);
  if (problems.hasErrors) return finish();
  if (root.t !== "map") {
    problems.add(
      root.pos,
      "",
      `a blueprint is a mapping (apiVersion, kind, metadata, spec, ...), got ${describeNode(root)}`,
      "start from a catalogue blueprint: archctl init post FILE",
    );
    return finish();
  }

  // 2. Parameters and environments
  const params = readParameters(root.entries.get("parameters")?.value, problems);
  const envEntry = root.entries.get("environments");
  const envs = new Map<string, LEntry>();
  if (envEntry) {
    const envNode = envEntry.value;
    if (envNode.t !== "map") {
      problems.add(
        envNode.pos,
        "environments",
        `environments must be a mapping of name to overlay, got ${describeNode(envNode)}`,
        "write environments: {dev: {spec: ...}, prod: {spec: ...}}",
      );
    } else {
      for (const [name, e] of envNode.entries) {
        const at: IssuePath = ["environments", name];
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
          problems.add(
            e.key,
            at,
            `'${name}' is not a valid environment name`,
            "use lower-case letters, digits and '-'",
          );
        if (e.value.t === "scalar" && e.value.value === null) {
          envs.set(name, e);
          continue;
        }
        if (e.value.t !== "map") {
          problems.add(
            e.value.pos,
            at,
            `an environment is a mapping with metadata, spec and parameters, got ${describeNode(e.value)}`,
            "write prod: {spec: {...}}",
          );
          continue;
        }
        for (const [k, f] of e.value.entries) {
          if (!["metadata", "spec", "parameters"].includes(k))
            problems.add(
              f.key,
              [...at, k],
              `unknown field '${clip(k)}' in environment '${clip(name)}'`,
              `${didYouMean(k, ["metadata", "spec", "parameters"]) ? `did you mean '${didYouMean(k, ["metadata", "spec", "parameters"])}'? ` : ""}allowed here: metadata, spec, parameters`,
            );
        }
        const pv = e.value.entries.get("parameters")?.value;
        if (pv && pv.t !== "map")
          problems.add(
            pv.pos,
            [...at, "parameters"],
            `environment parameters are a mapping of parameter name to value, got ${describeNode(pv)}`,
            "write parameters: {replicas: 3}",
          );
        else if (pv?.t === "map") {
          for (const [pname, pe] of pv.entries) {
            if (!params.has(pname))
              problems.add(
                pe.key,
                [...at, "parameters", pname],
                `unknown parameter '${pname}'`,
                unknownNameHint(pname, [...params.keys()], "parameters"),
              );
          }
        }
        envs.set(name, e);
      }
    }
  }
  result.environments = [...envs.keys()];

  // Every ${name} anywhere in the file must be declared; every declared one should be used.
  const refs: { name: string; pos: Pos; path: IssuePath }[] = [];
  for (const [k, e] of root.entries) if (k !== "parameters") references(e.value, [k], refs);
  const referenced = new Set(refs.map((r) => r.name));
  for (const r of refs) {
    if (!params.has(r.name)) {
      problems.add(
        r.pos,
        r.path,
        `unknown parameter '\${${r.name}}'`,
        unknownNameHint(r.name, [...params.keys()], "parameters"),
      );
    }
  }
  for (const p of params.values()) {
    if (!referenced.has(p.decl.name))
      problems.add(
        p.pos,
        "parameters",
        `parameter '${p.decl.name}' is declared but never used`,
        `reference it as \${${p.decl.name}} or remove it`,
        "warning",
      );
  }

  // 3. Environment overlay
  let merged: LNode = {
    t: "map",
    entries: new Map(
      [...root.entries].filter(([k]) => !(BLUEPRINT_ONLY_FIELDS as readonly string[]).includes(k)),
    ),
    pos: root.pos,
  };
  if (options.env !== undefined) {
    const env = envs.get(options.env);
    if (!env) {
      const known = [...envs.keys()];
      problems.add(
        envEntry?.key ?? { line: 1, col: 1 },
        "environments",
        `unknown environment '${options.env}'`,
        envs.size
          ? `${didYouMean(options.env, known) ? `did you mean '${didYouMean(options.env, known)}'? ` : ""}available: ${known.join(", ")}`
          : "this blueprint defines no environments: leave out --env",
        "error",
        "--env",
      );
      return finish();
    }
    if (env.value.t === "map") {
      const origin = `environment '${options.env}'`;
      const overlay = withOrigin(env.value, origin);
      if (overlay.t === "map") {
        for (const [pname, pe] of (
          overlay.entries.get("parameters")?.value as Extract<LNode, { t: "map" }> | undefined
        )?.entries ?? []) {
          const state = params.get(pname);
          if (state)
            setParameter(
              state,
              toJS(pe.value),
              undefined,
              pe.value.pos,
              formatPath(["environments", options.env, "parameters", pname]),
              origin,
              problems,
            );
        }
        const overlayManifest: LNode = {
          t: "map",
          entries: new Map([...overlay.entries].filter(([k]) => k !== "parameters")),
          pos: overlay.pos,
        };
        merged = mergeOverlay(merged, overlayManifest, "", problems) ?? merged;
      }
    }
  }

  // 4. --set: parameters first (they feed substitution), fields after.
  const fieldSets: { segs: SetSegment[]; value: unknown; pos: Pos; arg: string }[] = [];
  for (const [n, arg] of (options.set ?? []).entries()) {
    const pos: Pos = { file: "(--set)", line: n + 1, col: 1 };
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      problems.add(
        pos,
        "",
        `--set '${arg}' is not path=value`,
        "write --set spec.components.api.replicas=3 or --set PARAMETER=value",
        "error",
        `--set ${arg}`,
      );
      continue;
    }
    const pathText = arg.slice(0, eq);
    const rawValue = arg.slice(eq + 1);
    const segs = parseSetPath(pathText);
    if (typeof segs === "string") {
      problems.add(
        pos,
        pathText,
        `--set '${arg}': ${segs}`,
        'write a path like spec.components.api.replicas or metadata.labels["team.io/owner"]',
        "error",
        `--set ${arg}`,
      );
      continue;
    }
    const value = parseSetValue(rawValue);
    const valuePos: Pos = { ...pos, col: eq + 2 };
    const first = segs[0];
    if (typeof first === "string" && params.has(first)) {
      if (segs.length > 1) {
        problems.add(
          pos,
          pathText,
          `'${first}' is a parameter; it has no fields`,
          `write --set ${first}=value`,
          "error",
          `--set ${arg}`,
        );
        continue;
      }
      setParameter(
        params.get(first) as ParamState,
        value,
        rawValue,
        valuePos,
        pathText,
        `--set ${arg}`,
        problems,
      );
      continue;
    }
    if (segs.length === 1 && !["apiVersion", "kind", "metadata", "spec"].includes(String(first))) {
      problems.add(
        pos,
        pathText,
        `'${String(first)}' is neither a parameter nor a manifest field`,
        `${unknownNameHint(String(first), [...params.keys()], "parameters")}; to set a field give its path, e.g. spec.ttl=2h`,
        "error",
        `--set ${arg}`,
      );
      continue;
    }
    if (
      ["apiVersion", "kind"].includes(String(first)) ||
      !["metadata", "spec"].includes(String(first))
    ) {
      problems.add(
        pos,
        pathText,
        `--set can change metadata.* and spec.* fields or parameters, not '${String(first)}'`,
        unknownNameHint(String(first), [...params.keys()], "parameters"),
        "error",
        `--set ${arg}`,
      );
      continue;
    }
    fieldSets.push({ segs, value, pos: valuePos, arg });
  }
  result.parameters = [...params.values()].map((p) => p.decl);

  // 5. Substitution, then field overrides (their values are taken literally).
  merged = substitute(merged, params, new Problems(options.file), []); // unknown references were reported above
  for (const s of fieldSets) merged = applySet(merged, s.segs, s.value, s.pos, s.arg, problems);
  merged = readConfigFiles(merged, options.readFile, problems);

  // 6. The Architecture itself
  const manifest = toJS(merged) as Record<string, unknown>;
  result.manifest = manifest;
  const validation = validateArchitecture(manifest);
  for (const issue of validation.issues) {
    const found = locate(merged, issue.path, issue.message.startsWith("unknown field"));
    const origins: string[] = [];
    if (found.pos.origin) origins.push(found.pos.origin);
    if (found.exact && found.node?.t === "scalar" && found.node.note) origins.push(found.node.note);
    let hint = issue.hint;
    if (
      found.pos.origin?.startsWith("--set ") &&
      /^expected string, got (number|boolean)$/.test(issue.message)
    ) {
      // --set reads YAML: 1 and true are not text unless quoted.
      const arg = found.pos.origin.slice("--set ".length);
      const eq = arg.indexOf("=");
      hint = `quote the value to pass text: --set '${arg.slice(0, eq)}="${arg.slice(eq + 1)}"'`;
    }
    problems.add(
      found.pos,
      issue.path,
      issue.message,
      hint,
      issue.severity,
      origins.length ? origins.join("; ") : undefined,
    );
  }
  if (!problems.hasErrors && validation.architecture) result.architecture = validation.architecture;
  return finish();
}

/**
 * Validates the blueprint as written and in every environment it declares,
 * so that CI catches a broken prod overlay while someone edits dev. Problems
 * found only in some environments say which.
 */
export function validateBlueprint(
  text: string,
  options: Omit<BlueprintOptions, "env">,
): BlueprintProblem[] {
  const base = loadBlueprint(text, options);
  if (!base.manifest) return base.problems;
  const runs: { env: string | undefined; problems: BlueprintProblem[] }[] = [
    { env: undefined, problems: base.problems },
  ];
  for (const env of base.environments)
    runs.push({ env, problems: loadBlueprint(text, { ...options, env }).problems });
  const key = (p: BlueprintProblem): string =>
    `${p.file}:${p.line}:${p.col}:${p.path}:${p.message}`;
  const seenIn = new Map<string, { problem: BlueprintProblem; envs: string[] }>();
  for (const run of runs) {
    for (const p of run.problems) {
      const k = key(p);
      const entry = seenIn.get(k) ?? { problem: p, envs: [] };
      entry.envs.push(run.env ?? "(base)");
      seenIn.set(k, entry);
    }
  }
  const out: BlueprintProblem[] = [];
  for (const { problem, envs } of seenIn.values()) {
    if (envs.length === runs.length || runs.length === 1) out.push(problem);
    else {
      const where = envs.map((e) => (e === "(base)" ? "without --env" : `--env ${e}`)).join(", ");
      const named = envs.length === 1 && problem.origin?.includes(`environment '${envs[0]}'`);
      out.push(
        named
          ? problem
          : { ...problem, origin: problem.origin ? `${problem.origin}; ${where}` : where },
      );
    }
  }
  return sortProblems(out);
}

/** Formats one problem as `file:line:col  path  message  (hint)`. */
export function formatProblem(p: BlueprintProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  const sev = p.severity === "warning" ? "warning: " : "";
  const origin = p.origin ? ` [${p.origin}]` : "";
  return `${where}  ${p.path || "(root)"}  ${sev}${p.message}${origin}${p.hint ? `  (${p.hint})` : ""}`;
}

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

import { LineCounter, parseDocument } from "yaml";
import { didYouMean } from "../../operator/api/suggest.ts";
import type { IssuePath } from "../../operator/api/validate.ts";
import { formatPath, validateArchitecture } from "../../operator/api/validate.ts";
import { readConfigFiles } from "./config-files.ts";
import { readEnvironments } from "./environment-declarations.ts";
import { describeNode, mergeOverlay } from "./environments.ts";
import type { LNode, Pos } from "./located.ts";
import { firstLine, locate, MAX_ALIAS_COUNT, toJS, toLNode, withOrigin } from "./located.ts";
import type { BlueprintOptions, BlueprintProblem, LoadedBlueprint } from "./model.ts";
import { BLUEPRINT_ONLY_FIELDS, Problems } from "./model.ts";
import {
  readParameters,
  references,
  setParameter,
  substitute,
  unknownNameHint,
} from "./parameters.ts";
import { sortProblems } from "./problem-report.ts";
import { applySet } from "./set.ts";
import { readSetArguments } from "./set-arguments.ts";
import { parseProblems } from "./yaml-syntax.ts";

// Kept importable from here, where the CLI has always found it.
export { formatProblem } from "./problem-report.ts";

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
  const envs = readEnvironments(envEntry, params, problems);
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
  const fieldSets = readSetArguments(options.set, params, problems);
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

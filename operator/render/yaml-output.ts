// The one YAML writer: everything archctl prints or generates as YAML goes
// through here, so that YAML 1.1 readers (kubectl, Helm, kustomize, Argo CD,
// Flux: all go-yaml based) read exactly what a YAML 1.2 reader reads.
//
// A plain scalar is quoted whenever a reader could take it for something else
// than the string it is:
//   - the `yaml` package's own YAML 1.1 schema resolves it to another type
//     (yes/no/on/off/y/n, ~, 0755, 1:20, 1_000, .inf, 2001-12-14, <<, ...);
//   - its 1.2 core schema does (true, 0o17, 1e3, null, ...);
//   - go-yaml v2 would (it strips `_` and hands the rest to Go's ParseInt with
//     base prefixes in either case, 0X1F, 0O17, 0B1, +0o17, 1e1_0), or a 1.1
//     reader knows a type for it the `yaml` package does not (`=`, the value
//     key), or it is a bool/null word in another case (yEs);
//   - it holds a character that YAML 1.1 takes as a line break (U+0085,
//     U+2028, U+2029) or that YAML forbids unescaped (C1 controls, U+FEFF,
//     U+FFFE/U+FFFF): those are written double-quoted and escaped.
// Pure: no I/O.
import type { Document, ToStringOptions } from "yaml";
import { isDocument, Scalar, Schema, visit, Document as YamlDocument } from "yaml";

/** Layout of every YAML archctl writes: no folding, no anchors. */
const TO_STRING: ToStringOptions = { lineWidth: 0 };

const STRING_TAG = "tag:yaml.org,2002:str";

/** The implicit-type tests of the 1.1 and 1.2 core schemas, from the `yaml` package itself. */
const IMPLICIT_TESTS: RegExp[] = [
  ...new Schema({ schema: "yaml-1.1" }).tags,
  ...new Schema({ schema: "core" }).tags,
].flatMap((tag) => (tag.default && tag.tag !== STRING_TAG && tag.test ? [tag.test] : []));

/** go-yaml v2's number rule: `_` removed, then Go's ParseInt (base 0) or its float pattern. */
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$/;
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Words some 1.1 reader resolves, in any case; `=` is YAML 1.1's value key. */
const WORDS = /^(?:y|n|yes|no|on|off|true|false|null|~|=|<<|[-+]?\.inf|\.nan)$/i;

/** Characters that must be escaped in a double-quoted scalar to read the same in 1.1 and 1.2. */
const ESCAPE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;
const ESCAPE_ALL = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;
const NAMED_ESCAPES: Record<string, string> = {
  "\u0085": "\\N",
  "\u2028": "\\L",
  "\u2029": "\\P",
};

/** True when a string written as a plain scalar could be read as another type by some reader. */
export function needsQuotes(value: string): boolean {
  if (IMPLICIT_TESTS.some((test) => test.test(value))) return true;
  if (WORDS.test(value)) return true;
  const digits = value.replaceAll("_", "");
  return /^[-+.0-9]/.test(value) && (GO_INT.test(digits) || GO_FLOAT.test(digits));
}

function escapeChar(ch: string): string {
  return NAMED_ESCAPES[ch] ?? `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
}

/** Marks every string scalar that needs it as double-quoted (keys included). */
function quoteAmbiguous(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string") return;
      if (ESCAPE.test(node.value)) node.type = Scalar.QUOTE_DOUBLE;
      else if (
        needsQuotes(node.value) &&
        node.type !== Scalar.QUOTE_DOUBLE &&
        node.type !== Scalar.QUOTE_SINGLE
      )
        node.type = Scalar.QUOTE_DOUBLE;
    },
  });
}

/**
 * The text of a Document (a parsed one keeps its comments and styles). The
 * characters in ESCAPE occur only inside double-quoted scalars (quoteAmbiguous
 * forces that), so escaping them in the text is escaping them in those scalars.
 */
export function yamlDocumentText(doc: Document): string {
  quoteAmbiguous(doc);
  return doc.toString(TO_STRING).replace(ESCAPE_ALL, escapeChar);
}

/** One value as one YAML document. */
export function toYaml(value: unknown): string {
  if (isDocument(value)) return yamlDocumentText(value);
  return yamlDocumentText(new YamlDocument(value, { aliasDuplicateObjects: false }));
}

/** Several values as a YAML stream, `---` between documents (and before the first with `leading`). */
export function toYamlStream(values: readonly unknown[], opts: { leading?: boolean } = {}): string {
  const docs = values.map((v) => toYaml(v));
  return opts.leading ? docs.map((d) => `---\n${d}`).join("") : docs.join("---\n");
}

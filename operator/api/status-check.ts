// Would the API server take this status? The zod schema checks types, bounds
// and enums; what it cannot say, list-map keys (x-kubernetes-list-type: map,
// a list whose entries must differ in their key fields), is read from the
// generated CRD itself, so a new list-map in the schema is checked too. Pure.
import { buildCrd } from "./crd.ts";
import type { ArchitectureStatus } from "./schema.ts";
import { ArchitectureStatusSchema } from "./schema.ts";

type JsonSchema = { [key: string]: unknown };

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Every list-map in `value` (walked along `schema`, an openAPIV3Schema node)
 * with two entries of one key, as "path: duplicate key {...}" — the API
 * server's "Duplicate value" refusal, said before the write.
 */
export function listMapDuplicates(schema: JsonSchema, value: unknown, path = ""): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    const items = isObject(schema.items) ? (schema.items as JsonSchema) : undefined;
    const keys = schema["x-kubernetes-list-map-keys"];
    if (schema["x-kubernetes-list-type"] === "map" && Array.isArray(keys)) {
      const seen = new Map<string, number>();
      value.forEach((entry, i) => {
        const id = JSON.stringify(
          Object.fromEntries(keys.map((k: string) => [k, isObject(entry) ? entry[k] : undefined])),
        );
        const first = seen.get(id);
        if (first === undefined) seen.set(id, i);
        else out.push(`${path}[${i}]: duplicate key ${id} (also at ${path}[${first}])`);
      });
    }
    if (items)
      for (const [i, v] of value.entries())
        out.push(...listMapDuplicates(items, v, `${path}[${i}]`));
  } else if (isObject(value) && isObject(schema.properties)) {
    const props = schema.properties as Record<string, JsonSchema>;
    for (const [k, v] of Object.entries(value)) {
      const sub = props[k];
      if (sub) out.push(...listMapDuplicates(sub, v, path ? `${path}.${k}` : k));
    }
  }
  return out;
}

let statusSchema: JsonSchema | undefined;

/** The status part of the CRD's openAPIV3Schema, as the API server sees it. */
function crdStatusSchema(): JsonSchema {
  if (!statusSchema) {
    const crd = buildCrd() as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { status: JsonSchema } } } }[] };
    };
    statusSchema = crd.spec.versions[0]?.schema.openAPIV3Schema.properties.status ?? {};
  }
  return statusSchema;
}

/** Why the API server would refuse this status, one line each; empty when it would take it. */
export function statusProblems(status: ArchitectureStatus): string[] {
  const parsed = ArchitectureStatusSchema.safeParse(status);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `status.${i.path.join(".")}: ${i.message}`);
  return [...problems, ...listMapDuplicates(crdStatusSchema(), status, "status")];
}

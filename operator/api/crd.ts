// Generates the CustomResourceDefinition from the zod schema, so the API server
// enforces the same rules the CLI checks. Pure: `archctl crd` prints it and a
// test compares it with the copy committed in the chart.
import { z } from "zod";
import {
  ArchitectureSpecSchema,
  ArchitectureStatusSchema,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
} from "./schema.ts";

type JsonSchema = { [key: string]: unknown };

// Kubernetes wants a *structural* schema: no additionalProperties beside
// properties, no propertyNames, and int-or-string written as the extension only.
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (node === null || typeof node !== "object") return node;
  const src = node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === "$schema" || key === "propertyNames") continue;
    if (key === "additionalProperties" && value === false) continue;
    if (key === "anyOf" && src["x-kubernetes-int-or-string"] === true) continue;
    // A string-or-object value (secretEnv) is kept as written: the operator checks it.
    if (key === "anyOf" && src["x-kubernetes-preserve-unknown-fields"] === true) continue;
    out[key] = structural(value);
  }
  return out;
}

function toOpenApi(schema: z.ZodType): JsonSchema {
  return structural(z.toJSONSchema(schema, { target: "openapi-3.0", io: "input" })) as JsonSchema;
}

export const CRD_NAME = `${PLURAL}.${GROUP}`;

export function buildCrd(): JsonSchema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: CRD_NAME,
      labels: { "app.kubernetes.io/part-of": "archctl", "app.kubernetes.io/managed-by": "archctl" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: KIND.toLowerCase(),
        shortNames: ["arch"],
        categories: ["archctl"],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Phase", type: "string", jsonPath: ".status.phase" },
            {
              name: "Ready",
              type: "string",
              jsonPath: ".status.ready",
              description: "ready components / all",
            },
            {
              name: "Reason",
              type: "string",
              jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
              priority: 1,
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
            { name: "Expires", type: "string", jsonPath: ".status.expiresAt" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description:
                "Architecture is a whole system (applications, datastores, ingress, autoscaling, backups, monitoring) that the archctl operator keeps running.",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: toOpenApi(ArchitectureSpecSchema),
                status: toOpenApi(ArchitectureStatusSchema),
              },
              "x-kubernetes-validations": [
                {
                  rule: "size(self.metadata.name) <= 40",
                  message:
                    "the name of an Architecture is at most 40 characters: its objects are named <name>-<component>",
                },
              ],
            },
          },
        },
      ],
    },
  };
}

// The building blocks every part of the schema uses: bounded strings, names,
// quantities and durations. Every free string and list has a bound, which keeps
// the API server's CEL cost estimate within budget.
import { z } from "zod";
import {
  BOUNDED_DURATION,
  DURATION_BOUND_CEL,
  isBoundedDuration,
  MAX_DURATION_TEXT,
} from "../duration.ts";

// DNS-1035 label: what a Service name must be. Component names become part of
// object names, so they follow the strictest rule any of those objects has.
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const dnsLabel = (max: number) =>
  z
    .string()
    .max(max)
    .regex(DNS_LABEL, "must be lower-case letters, digits and '-', starting with a letter");

/** A Kubernetes resource quantity such as `250m`, `1`, `512Mi`, `20Gi`. */
export const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
export const quantity = z
  .union([
    z.string().max(32).regex(QUANTITY, "must be a quantity such as 250m, 1, 512Mi or 20Gi"),
    z.number().nonnegative(),
  ])
  .meta({ "x-kubernetes-int-or-string": true });

/** A duration such as `90s`, `30m`, `2h`, `7d` or `1h30m`, at most MAX_DURATION_TEXT. */
export const duration = z
  .string()
  .max(32)
  .regex(BOUNDED_DURATION, "must be a duration such as 30m, 2h or 7d")
  .refine(isBoundedDuration, `must be at most ${MAX_DURATION_TEXT}`)
  .meta({
    "x-kubernetes-validations": [
      { rule: DURATION_BOUND_CEL, message: `must be at most ${MAX_DURATION_TEXT}` },
    ],
  });

// A list keyed by a field: the API server refuses duplicate keys, and server-side
// apply merges entries by key instead of replacing the whole list.
export const listMap = (key: string) => ({
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": [key],
});

export const port = z.number().int().min(1).max(65535);
export const shortString = z.string().max(253);
export const stringList = z.array(z.string().max(1024)).max(64);
export const stringMap = z.record(z.string().max(253), z.string().max(4096));

export type Quantity = z.infer<typeof quantity>;

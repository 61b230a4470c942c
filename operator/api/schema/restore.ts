// A datastore that starts from a backup instead of empty.
import { z } from "zod";
import { dnsLabel } from "./primitives.ts";
import { RestoreSourceS3Schema } from "./restore-source-s3.ts";

/** A backup's file name: <component>-<yyyymmddThhmmssZ>.<ext>, or `latest`. */
export const BACKUP_NAME = /^(latest|[a-z0-9]([-a-z0-9]*[a-z0-9])?-[0-9]{8}T[0-9]{6}Z\.[a-z.]+)$/;

export const RestoreSchema = z
  .strictObject({
    from: z.strictObject({
      architecture: dnsLabel(63)
        .optional()
        .describe("the Architecture whose backups to read (default: this one)"),
      namespace: dnsLabel(63)
        .optional()
        .describe("its namespace (default: this one; another needs an s3 source)"),
      component: dnsLabel(40).describe("the backed-up component"),
      backup: z
        .string()
        .max(253)
        .regex(BACKUP_NAME)
        .optional()
        .describe("'latest' (default) or a backup's file name, as `archctl backup list` shows"),
      s3: RestoreSourceS3Schema.optional(),
    }),
  })
  .describe(
    "start this datastore from a backup (mysql, postgres, mongodb, redis); refused if it already holds data",
  );

export type Restore = z.infer<typeof RestoreSchema>;

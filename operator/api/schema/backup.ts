// Scheduled backups of a datastore component, to a PVC or to S3.
import { z } from "zod";
import { dnsLabel, quantity, shortString } from "./primitives.ts";

export const BackupSchema = z
  .strictObject({
    component: dnsLabel(40),
    schedule: z.string().max(128).describe("cron schedule, e.g. '0 3 * * *'"),
    retention: z.number().int().min(1).max(3650).optional().describe("backups to keep (default 7)"),
    pvc: z
      .strictObject({ size: quantity, storageClassName: shortString.optional() })
      .optional()
      .describe("keep backups on a PersistentVolumeClaim"),
    s3: z
      .strictObject({
        bucket: z.string().min(3).max(63),
        endpoint: z.string().max(512).optional(),
        prefix: z.string().max(512).optional(),
        credentialsSecret: dnsLabel(253).describe(
          "Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
      })
      .optional()
      .describe("upload backups to S3-compatible storage"),
  })
  .meta({
    "x-kubernetes-validations": [
      { rule: "!(has(self.pvc) && has(self.s3))", message: "choose one backup target: pvc or s3" },
    ],
  });

export type Backup = z.infer<typeof BackupSchema>;

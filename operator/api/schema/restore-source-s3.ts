// Where a restore reads backups kept in S3 by another Architecture, possibly
// in another namespace: the source's bucket, prefix and endpoint (as its
// spec.backups has them) and a Secret in THIS namespace whose credentials can
// read that bucket. A pod mounts only Secrets of its own namespace, so the
// source's own Secret cannot be used; and a PVC cannot be mounted across
// namespaces at all, hence S3 only.
import { z } from "zod";
import { dnsLabel } from "./primitives.ts";

export const RestoreSourceS3Schema = z
  .strictObject({
    bucket: z.string().min(3).max(63).describe("the source's bucket"),
    endpoint: z.string().max(512).optional().describe("the source's S3 endpoint, if not AWS"),
    prefix: z.string().max(512).optional().describe("the source's key prefix"),
    credentialsSecret: dnsLabel(253).describe(
      "Secret in this namespace with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY that can read the bucket",
    ),
  })
  .describe(
    "read the backups from this S3 bucket (needed for a source in another namespace; `archctl restore` fills it in from the source)",
  );

export type RestoreSourceS3 = z.infer<typeof RestoreSourceS3Schema>;

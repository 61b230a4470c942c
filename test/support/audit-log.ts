// Reading the reliability cluster's audit log (test/support/rel-cluster.ts
// sets its policy): who wrote what, from the API server's side.
import { readFileSync } from "node:fs";

export type AuditEvent = {
  stage: string;
  verb: string;
  userAgent?: string;
  requestReceivedTimestamp: string;
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
};

export const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/** The audit events written since byte `from`, one per request (ResponseComplete). */
export function auditSince(file: string, from: number): AuditEvent[] {
  const text = readFileSync(file).subarray(from).toString("utf8");
  const out: AuditEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const e = JSON.parse(line) as AuditEvent;
      if (e.stage === "ResponseComplete") out.push(e);
    } catch {} // the last line may be half written
  }
  return out;
}

/** The identity an archctl process sends in its user agent: `archctl/<version> (<identity>)`. */
export function archctlIdentity(e: AuditEvent): string | undefined {
  return /^archctl\/\S+ \((.+)\)$/.exec(e.userAgent ?? "")?.[1];
}

// Reading a local cluster's kube-apiserver audit log (its policy is set in
// test/support/rel-cluster.ts; the file is test/cluster/kwokctl-config.ts's
// auditLogPath), to check from the API server's side who wrote what.
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

/** The audit events written to the cluster's audit log since byte `from`, one per request. */
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

export const what = (e: AuditEvent) =>
  `${e.verb} ${e.objectRef?.resource ?? "?"}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""} ${e.objectRef?.name ?? ""} -> ${e.responseStatus?.code}`;

export function tally(events: AuditEvent[]): string {
  const by = new Map<string, number>();
  for (const e of events) {
    const k = `${e.verb} ${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""}`;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return [...by].map(([k, n]) => `${n} ${k}`).join(", ");
}

/** The identity an archctl process sends in its user agent: `archctl/<version> (<identity>)`. */
export function archctlIdentity(e: AuditEvent): string | undefined {
  return /^archctl\/\S+ \((.+)\)$/.exec(e.userAgent ?? "")?.[1];
}

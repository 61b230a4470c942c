// The children plan would write, sent to the API server as a server-side
// dry-run apply: what its schema validation, admission (Pod Security, quotas,
// webhooks) or immutability rules would refuse shows now, in the plan, rather
// than later as a Degraded Architecture. Nothing is stored.

import { deniedBy, isNotFound, KubeApiError } from "../../operator/kube/errors.ts";
import type { ObjectClient } from "../../operator/kube/objects.ts";
import type { KubeObject } from "../../operator/kube/types.ts";

export interface ServerCheck {
  /** How many objects the API server accepted. */
  accepted: number;
  /** "<Kind> <name>: <why>", for each object it refused. */
  refused: string[];
  /** Set when the check stopped early, and why (rights, a namespace not there yet). */
  skipped?: string;
}

// The operator's manager, so ownership is judged as it will be at apply time.
const FIELD_MANAGER = "archctl-operator";
// A few in flight, as the operator's workers would: a plan of 25 objects takes
// one round trip per 4, not 25 in a row.
const IN_FLIGHT = 4;

function why(err: KubeApiError): string {
  const causes = err.body.details?.causes
    ?.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message))
    .filter(Boolean);
  return causes?.length ? causes.join("; ") : err.message;
}

/** Dry-runs each object; stops at the first sign the check itself cannot work. */
export async function checkOnServer(
  objects: ObjectClient,
  toWrite: KubeObject[],
): Promise<ServerCheck> {
  const result: ServerCheck = { accepted: 0, refused: [] };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (result.skipped === undefined) {
      const obj = toWrite[next++];
      if (!obj) return;
      try {
        await objects.apply(obj, { fieldManager: FIELD_MANAGER, force: true, dryRun: true });
        result.accepted++;
      } catch (err) {
        if (!(err instanceof KubeApiError)) throw err;
        const denied = err.status === 403 ? deniedBy(err.message) : undefined;
        if (denied) {
          result.skipped = `you may not ${denied.verb} ${denied.resource} here (the operator applies them with its own rights)`;
        } else if (isNotFound(err) && err.body.details?.kind === "namespaces") {
          result.skipped = `namespace ${obj.metadata.namespace} does not exist yet`;
        } else if (err.status >= 500) {
          throw err;
        } else {
          result.refused.push(`${obj.kind} ${obj.metadata.name}: ${why(err)}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, toWrite.length) }, worker));
  return result;
}

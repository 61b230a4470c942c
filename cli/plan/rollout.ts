// Whether a change to a workload rolls its pods because its config files
// changed: the content hash in the pod template (see render/app-secrets.ts)
// differs from the live one. Pure.
import { CONFIG_HASH_ANNOTATION } from "../../operator/render/app-secrets.ts";

type WithTemplate = {
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
};

const hashOf = (o: unknown): string | undefined =>
  (o as WithTemplate | undefined)?.spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];

/** The note for a plan line, or undefined when the config files did not change. */
export function configRolloutNote(desired: unknown, live: unknown): string | undefined {
  const want = hashOf(desired);
  const have = hashOf(live);
  if (want === have || (want === undefined && have === undefined)) return undefined;
  if (want === undefined) return "config files removed: the pods roll out";
  return "config files changed: the pods roll out";
}

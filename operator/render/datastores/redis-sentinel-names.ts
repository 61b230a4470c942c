// Names a Redis with Sentinel is reached by; shared by the renderer and the
// connection details applications get.
import { childName } from "../../api/names.ts";
import type { RenderContext } from "../context.ts";

export const SENTINEL_PART = "sentinel";
export const SENTINEL_PORT = 26379;
/** Three Sentinels, two of which must agree that the master is down. */
export const SENTINELS = 3;
export const SENTINEL_QUORUM = 2;

/** The name Sentinel monitors the master under: the component's name. */
export function sentinelMasterName(component: string): string {
  return component;
}

/** `host:port` of every Sentinel, through its stable DNS name. */
export function sentinelHosts(ctx: RenderContext, component: string): string[] {
  const sts = childName(ctx.arch.name, component, SENTINEL_PART);
  const headless = childName(ctx.arch.name, component, `${SENTINEL_PART}-headless`);
  return Array.from(
    { length: SENTINELS },
    (_, i) => `${sts}-${i}.${headless}.${ctx.arch.namespace}.svc:${SENTINEL_PORT}`,
  );
}

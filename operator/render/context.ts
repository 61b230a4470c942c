// What every renderer module receives: the resolved Architecture and the
// cluster's capabilities. Nothing here reads the clock, the network or a file.
import type { ResolvedArchitecture, ResolvedComponent } from "../api/defaults.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Capabilities, RenderNotice, SecretSpec } from "./types.ts";

export interface RenderContext {
  arch: ResolvedArchitecture;
  capabilities: Capabilities;
  component(name: string): ResolvedComponent | undefined;
}

/** What one module adds to the result. */
export interface Rendered {
  objects: KubeObject[];
  secrets?: SecretSpec[];
  notices?: RenderNotice[];
}

export type ComponentRenderer = (component: ResolvedComponent, ctx: RenderContext) => Rendered;
export type ConcernRenderer = (ctx: RenderContext) => Rendered;

export function createContext(
  arch: ResolvedArchitecture,
  capabilities: Capabilities,
): RenderContext {
  const byName = new Map(arch.components.map((c) => [c.name, c]));
  return { arch, capabilities, component: (name) => byName.get(name) };
}

// Object metadata shared by every child: names, labels, owner reference.
import { childLabels, childName, ownerReference } from "../api/names.ts";
import type { ObjectMeta } from "../kube/types.ts";
import type { RenderContext } from "./context.ts";

/** Metadata of a child of `component`, named `<architecture>-<component>[-suffix]`. */
export function childMeta(
  ctx: RenderContext,
  component: string,
  suffix?: string,
  extraLabels?: Record<string, string>,
): ObjectMeta {
  const { arch } = ctx;
  const meta: ObjectMeta = {
    name: childName(arch.name, component, suffix),
    namespace: arch.namespace,
    labels: { ...childLabels(arch.name, component), ...extraLabels },
  };
  // The owner reference needs the stored object's uid, so a preview rendered
  // from a file has none; the operator always renders from the stored object.
  if (arch.uid) meta.ownerReferences = [ownerReference(arch.name, arch.uid)];
  return meta;
}

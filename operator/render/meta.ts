// Object metadata shared by every child: names, labels, owner reference.
import { childLabels, childName } from "../api/names.ts";
import { API_VERSION, KIND } from "../api/schema.ts";
import type { RenderContext } from "./context.ts";
import type { ObjectMeta } from "./types.ts";

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
  if (arch.uid) {
    meta.ownerReferences = [
      {
        apiVersion: API_VERSION,
        kind: KIND,
        name: arch.name,
        uid: arch.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  return meta;
}

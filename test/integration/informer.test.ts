// The operator's cache (operator/runtime/informer.ts) against a real API
// server: a list read in pages, lean entries, and the 410 Gone path — a watch
// that resumes from a resourceVersion the API server no longer has makes
// client-node list again; the relist is counted, the cache comes out right
// (what was deleted meanwhile is reported deleted) and later changes still
// arrive. Runs against an existing cluster with ARCHCTL_TEST_KUBECONFIG.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadKubeConfig } from "../../operator/kube/config.ts";
import { ObjectClient } from "../../operator/kube/objects.ts";
import {
  CRDS,
  type ResourceType,
  resourceFor,
  resourcePath,
} from "../../operator/kube/resources.ts";
import { APPLY_PATCH, KubeRest } from "../../operator/kube/rest.ts";
import type { KubeObject } from "../../operator/kube/types.ts";
import { compactChild } from "../../operator/runtime/child-entry.ts";
import { type EventType, Informer } from "../../operator/runtime/informer.ts";
import { waitEstablished } from "../cluster/kubectl.ts";
import { getCluster, type TestCluster } from "../support/cluster.ts";

const CONFIGMAPS = resourceFor("v1", "ConfigMap");
const SECRETS = resourceFor("v1", "Secret");
const LABEL = "archctl.io/informer-test";

let cluster: TestCluster;
let rest: KubeRest;
let objects: ObjectClient;

// A kind of its own for the 410 test: the API server's watch cache of a kind
// starts at the resourceVersion its CRD was created at, so any older one is
// one the API server no longer has — on a young cluster too, where the caches
// of built-in kinds still reach back to resourceVersion 1.
const GROUP = "informer-test.archctl.io";
const WIDGETS: ResourceType = {
  apiVersion: `${GROUP}/v1`,
  kind: "Widget",
  plural: "widgets",
  namespaced: true,
};

before(async () => {
  cluster = await getCluster("apiserver");
  rest = new KubeRest(loadKubeConfig({ kubeconfig: cluster.kubeconfig }));
  objects = new ObjectClient(rest);
  await cluster.apply(undefined, [
    {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `widgets.${GROUP}` },
      spec: {
        group: GROUP,
        names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
        scope: "Namespaced",
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            },
          },
        ],
      },
    },
  ]);
  await waitEstablished(cluster.kubectl, [`widgets.${GROUP}`]);
});

after(async () => {
  await rest.request("DELETE", resourcePath(CRDS, undefined, `widgets.${GROUP}`)).catch(() => {});
});

const widget = (ns: string, name: string, value = "1"): KubeObject =>
  ({
    apiVersion: WIDGETS.apiVersion,
    kind: WIDGETS.kind,
    metadata: { name, namespace: ns, labels: { [LABEL]: "yes" } },
    data: { value },
  }) as KubeObject;

const applyWidget = (w: KubeObject) =>
  rest.request("PATCH", resourcePath(WIDGETS, w.metadata.namespace, w.metadata.name), {
    body: w,
    contentType: APPLY_PATCH,
    query: { fieldManager: "archctl-test" },
  });

const configMap = (ns: string, name: string, value = "1"): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, labels: { [LABEL]: "yes" } },
  data: { value },
});

type Data = KubeObject & {
  data?: Record<string, string>;
  metadata: KubeObject["metadata"] & { resourceVersion?: string };
};

function recordEvents(inf: Informer<Data>) {
  const events: { type: EventType; name: string; value?: string }[] = [];
  inf.on((type, obj) => events.push({ type, name: obj.metadata.name, value: obj.data?.value }));
  return events;
}

describe("informer", () => {
  test("lists in pages, and keeps lean entries with apiVersion and kind", async (t) => {
    const ns = await cluster.namespace(t);
    for (let i = 0; i < 12; i++)
      await objects.apply(configMap(ns, `cm-${i}`), { fieldManager: "archctl-test" });
    const lists: string[] = [];
    rest.observe((verb, path) => {
      if (verb === "GET" && path.endsWith(`/namespaces/${ns}/configmaps`)) lists.push(path);
    });
    const inf = new Informer<Data>(rest, CONFIGMAPS, {
      namespace: ns,
      labelSelector: `${LABEL}=yes`,
      listPageSize: 5,
    });
    t.after(() => inf.stop());
    await inf.start();
    assert.equal(lists.length, 3, "12 objects in pages of 5");
    const cached = inf.list(ns);
    assert.equal(cached.length, 12);
    for (const o of cached) {
      assert.equal(o.apiVersion, "v1");
      assert.equal(o.kind, "ConfigMap");
      assert.ok(!("managedFields" in o.metadata), "no managedFields");
      assert.equal(o.data?.value, "1");
    }
    assert.equal(inf.relists, 0);
  });

  test("a cached Secret keeps its metadata and key names but not its values", async (t) => {
    const ns = await cluster.namespace(t);
    await objects.create(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "creds", namespace: ns, labels: { [LABEL]: "yes" } },
        type: "Opaque",
        stringData: { password: "not-in-the-cache" },
      } as KubeObject,
      "archctl-test",
    );
    const inf = new Informer<KubeObject & { data?: unknown; type?: string }>(rest, SECRETS, {
      namespace: ns,
      labelSelector: `${LABEL}=yes`,
    });
    t.after(() => inf.stop());
    await inf.start();
    const s = inf.get("creds", ns);
    assert.ok(s);
    assert.equal(s.metadata.labels?.[LABEL], "yes");
    assert.equal(s.type, "Opaque");
    assert.deepEqual(s.data, { password: "" });
    assert.ok(!JSON.stringify(s).includes("not-in-the-cache"));
    assert.ok(!JSON.stringify(s).includes(Buffer.from("not-in-the-cache").toString("base64")));
  });

  // Both forms the caches keep: lean (Architectures, pods) and compact (every
  // child cache). The compact projection once dropped the ERROR event's 410
  // code, and client-node then resumed from the gone version forever.
  for (const [form, keep] of [
    ["lean entries", undefined],
    ["compact child entries", compactChild],
  ] as const)
    test(`410 Gone (${form}): a watch resumed from an expired resourceVersion relists, and later changes arrive`, async (t) => {
      const ns = await cluster.namespace(t);
      await applyWidget(widget(ns, "kept"));
      await applyWidget(widget(ns, "gone"));
      let relisted = 0;
      const restarts: unknown[] = [];
      const inf = new Informer<Data>(rest, WIDGETS, {
        namespace: ns,
        labelSelector: `${LABEL}=yes`,
        onRelist: () => relisted++,
        onRestart: (err) => restarts.push(err),
        ...(keep ? { keep } : {}),
      });
      t.after(() => inf.stop());
      const events = recordEvents(inf);
      await inf.start();
      assert.deepEqual(
        inf
          .list(ns)
          .map((o) => o.metadata.name)
          .sort(),
        ["gone", "kept"],
      );

      // Away: the watch stops and things change that it does not see.
      await inf.stop();
      await rest.request("DELETE", resourcePath(WIDGETS, ns, "gone"));
      await applyWidget(widget(ns, "new"));
      // It comes back resuming from resourceVersion 1, older than what the API
      // server's watch cache of the kind holds (see WIDGETS) — the position an
      // informer is in after an API server restart or a long disconnect.
      // client-node's ListWatch keeps it in a private field; set it, and fail
      // loudly if client-node renamed it.
      const lw = (inf as unknown as { lw: { resourceVersion?: unknown } }).lw;
      assert.equal(typeof lw.resourceVersion, "string", "client-node ListWatch.resourceVersion");
      lw.resourceVersion = "1";
      events.length = 0;
      await inf.start();

      // The API server answers 410 (too old resource version); client-node lists again.
      await cluster.eventually("the relist", async () => inf.relists === 1);
      assert.equal(relisted, 1);
      assert.deepEqual(restarts, [], "a 410 is not an error restart");
      await cluster.eventually("the cache to match the API server", async () => {
        const names = inf
          .list(ns)
          .map((o) => o.metadata.name)
          .sort();
        return names.join() === "kept,new";
      });
      assert.ok(
        events.some((e) => e.type === "delete" && e.name === "gone"),
        "gone reported deleted",
      );
      assert.ok(
        events.some((e) => e.type === "add" && e.name === "new"),
        "new reported added",
      );

      // And the watch runs again from the relist: a later change arrives (a
      // compact entry keeps no data: its resourceVersion moves).
      const before = inf.get("kept", ns)?.metadata.resourceVersion;
      await applyWidget(widget(ns, "kept", "2"));
      await cluster.eventually("the later change", async () =>
        keep
          ? inf.get("kept", ns)?.metadata.resourceVersion !== before
          : inf.get("kept", ns)?.data?.value === "2",
      );
      assert.ok(events.some((e) => e.type === "update" && e.name === "kept"));
      assert.equal(inf.relists, 1);
    });
});

// Replicated datastores on the dashboard and in Prometheus: every member is
// scraped (through the -ro Service where the client Service selects only the
// primary), and the dashboard shows members, role and lag per engine.
import assert from "node:assert/strict";
import { test } from "node:test";
import { render } from "../../../operator/render/index.ts";
import { dashboardPanels } from "../../../operator/render/monitoring.ts";
import { ctxOf, find, type Json } from "./datastore-helpers.ts";

const SPEC = {
  components: [
    { name: "db", type: "postgres" as const, replicas: 3 },
    { name: "posts", type: "mysql" as const, replicas: 3 },
    { name: "history", type: "mongodb" as const, replicas: 3 },
    { name: "cache", type: "redis" as const, replicas: 3 },
    { name: "one", type: "mysql" as const },
  ],
  monitoring: { serviceMonitors: true, dashboards: true },
};

test("a replicated postgres or mysql is scraped through its -ro Service, every member", () => {
  const { objects } = render(
    {
      apiVersion: "archctl.io/v1alpha1",
      kind: "Architecture",
      metadata: { name: "shop", namespace: "prod" },
      spec: SPEC,
    },
    { keda: true, serviceMonitors: true },
  );
  for (const name of ["shop-db", "shop-posts"]) {
    const rw = find(objects, "Service", name);
    assert.equal(rw.metadata.labels["archctl.io/metrics"], undefined, `${name} (primary only)`);
    assert.ok(!rw.spec.ports.some((p: Json) => p.name === "metrics"));
    const ro = find(objects, "Service", `${name}-ro`);
    assert.equal(ro.metadata.labels["archctl.io/metrics"], "true");
    assert.ok(ro.spec.ports.some((p: Json) => p.name === "metrics"));
    // The ServiceMonitor's selector picks the -ro Service and not the other.
    const sel = find(objects, "ServiceMonitor", name).spec.selector.matchLabels;
    const matches = (o: Json) =>
      Object.entries(sel).every(([k, v]) => o.metadata.labels?.[k] === v);
    assert.ok(matches(ro));
    assert.ok(!matches(rw));
  }
  // Engines whose client Service reaches every member keep it there.
  assert.equal(
    find(objects, "Service", "shop-history").metadata.labels["archctl.io/metrics"],
    "true",
  );
  assert.equal(find(objects, "Service", "shop-one").metadata.labels["archctl.io/metrics"], "true");
});

test("the dashboard shows members, role and lag of each replicated datastore, nothing for a single one", () => {
  const panels = dashboardPanels(ctxOf(SPEC));
  const titles = panels.map((p) => p.title);
  for (const c of ["db", "posts", "history", "cache"])
    for (const t of ["members ready", "role (1 = primary)", "replication lag"])
      assert.ok(titles.includes(`${c}: ${t}`), `${c}: ${t}`);
  assert.ok(!titles.some((t) => t.startsWith("one: replication")));
  const expr = (title: string) => panels.find((p) => p.title === title)?.targets[0]?.expr ?? "";
  assert.match(
    expr("posts: replication lag"),
    /mysql_slave_status_seconds_behind_source\{namespace="prod", service="shop-posts-ro"\}/,
  );
  assert.match(
    expr("db: replication lag"),
    /pg_replication_lag_seconds\{namespace="prod", service="shop-db-ro"\}/,
  );
  assert.match(expr("db: connections") || expr("db: backends"), /service="shop-db-ro"/);
  assert.match(
    expr("history: role (1 = primary)"),
    /mongodb_mongod_replset_my_state\{namespace="prod", service="shop-history"\} == bool 1/,
  );
  assert.match(
    expr("posts: members ready"),
    /kube_statefulset_status_replicas_ready\{namespace="prod", statefulset="shop-posts"\}/,
  );
});

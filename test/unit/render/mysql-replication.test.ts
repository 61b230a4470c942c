// MySQL with replicas > 1: a GTID primary and read-only replicas bootstrapped
// from it, a read-write Service on the primary, a -ro Service, client env.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { connectionEnv } from "../../../operator/render/connection.ts";
import { createContext } from "../../../operator/render/context.ts";
import { MYSQL_SCRIPTS } from "../../../operator/render/datastores/mysql-replication.ts";
import { render } from "../../../operator/render/index.ts";
import { container, find, type Json } from "./datastore-helpers.ts";

function arch(
  replicas: number,
  annotations?: Record<string, string>,
  settings?: Json,
): Architecture {
  return {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "prod", ...(annotations ? { annotations } : {}) },
    spec: {
      components: [
        { name: "api", type: "service", image: "ex/api:1", uses: ["posts"] },
        { name: "posts", type: "mysql", replicas, ...(settings ? { settings } : {}) },
      ],
    },
  };
}

test("mysql replicas: read-write Service on the primary pod, -ro over every member, moved by annotation", () => {
  const { objects } = render(arch(3));
  const rw = find(objects, "Service", "shop-posts");
  assert.equal(rw.spec.selector["statefulset.kubernetes.io/pod-name"], "shop-posts-0");
  const ro = find(objects, "Service", "shop-posts-ro");
  assert.equal(ro.spec.selector["statefulset.kubernetes.io/pod-name"], undefined);
  assert.equal(ro.spec.selector["archctl.io/role"], "server");
  assert.deepEqual(ro.spec.ports, [
    { name: "mysql", port: 3306, targetPort: "mysql", protocol: "TCP" },
    { name: "metrics", port: 9104, targetPort: "metrics", protocol: "TCP" },
  ]);
  const moved = render(arch(3, { "primary.archctl.io/posts": "1" })).objects;
  assert.equal(
    find(moved, "Service", "shop-posts").spec.selector["statefulset.kubernetes.io/pod-name"],
    "shop-posts-1",
  );
  // The pod template never names the primary: moving it restarts nothing.
  assert.deepEqual(
    find(moved, "StatefulSet", "shop-posts").spec.template,
    find(objects, "StatefulSet", "shop-posts").spec.template,
  );
});

test("mysql replicas: GTID config, bootstrap scripts, replication secret, replica-aware readiness", () => {
  const result = render(arch(3, undefined, { max_connections: "500", relay_log: "relay" }));
  const config = find(result.objects, "ConfigMap", "shop-posts-config").data["archctl.cnf"];
  assert.match(config, /^gtid_mode = ON$/m);
  assert.match(config, /^enforce_gtid_consistency = ON$/m);
  assert.match(config, /^max_connections = 500$/m);
  assert.match(config, /^relay_log = relay$/m, "the user's setting wins");
  const sts = find(result.objects, "StatefulSet", "shop-posts");
  const my = container(sts.spec.template.spec, "mysql");
  assert.deepEqual(my.command, ["sh", "/etc/archctl/start.sh"]);
  assert.deepEqual(my.readinessProbe.exec.command, ["sh", "/etc/archctl/ready.sh"]);
  assert.deepEqual(my.livenessProbe.tcpSocket, { port: 3306 });
  assert.equal(my.startupProbe.failureThreshold, 360);
  const env = Object.fromEntries(my.env.map((e: Json) => [e.name, e]));
  assert.equal(env.PRIMARY_HOST.value, "shop-posts.prod.svc");
  assert.equal(env.HEADLESS_HOST.value, "shop-posts-headless.prod.svc");
  assert.equal(env.POD_NAME.valueFrom.fieldRef.fieldPath, "metadata.name");
  assert.deepEqual(env.REPLICATION_PASSWORD.valueFrom.secretKeyRef, {
    name: "shop-posts-replication",
    key: "password",
  });
  const mounts = my.volumeMounts.map((m: Json) => m.mountPath).sort();
  assert.deepEqual(mounts, [
    "/docker-entrypoint-initdb.d",
    "/etc/archctl",
    "/etc/mysql/conf.d",
    "/var/lib/mysql",
  ]);
  const scripts = find(result.objects, "ConfigMap", "shop-posts-scripts").data;
  assert.match(scripts["start.sh"], /--server-id="\$\(\(ordinal \+ 1\)\)"/);
  assert.match(scripts["10-replication.sh"], /--set-gtid-purged=ON/);
  assert.match(scripts["10-replication.sh"], /SOURCE_AUTO_POSITION = 1/);
  assert.match(scripts["10-replication.sh"], /SET PERSIST super_read_only = ON/);
  assert.match(scripts["ready.sh"], /service_state = 'ON'/);
  const secret = result.secrets.find((s) => s.name === "shop-posts-replication");
  assert.ok(secret);
  assert.deepEqual(secret.keys, { username: { literal: "replicator" }, password: { random: 32 } });
  // One member down at a time, spread over nodes.
  const pdb = find(result.objects, "PodDisruptionBudget", "shop-posts");
  assert.equal(pdb.spec.maxUnavailable, 1);
  assert.ok(sts.spec.template.spec.topologySpreadConstraints.length >= 1);
});

test("mysql replicas: the scripts are valid POSIX sh", () => {
  for (const [name, text] of Object.entries(MYSQL_SCRIPTS))
    assert.doesNotThrow(() => execFileSync("sh", ["-n"], { input: text }), name);
});

test("mysql clients: READ_HOST and READ_URL on the -ro Service, after the vars they use", () => {
  const ctx = createContext(applyDefaults(arch(2)), { keda: true, serviceMonitors: true });
  const api = ctx.component("api");
  assert.ok(api);
  const env = connectionEnv(ctx, api);
  const by = Object.fromEntries(env.map((e) => [e.name, e as Json]));
  assert.equal(by.POSTS_HOST.value, "shop-posts.prod.svc");
  assert.equal(by.POSTS_READ_HOST.value, "shop-posts-ro.prod.svc");
  assert.equal(
    by.POSTS_READ_URL.value,
    "mysql://$(POSTS_USERNAME):$(POSTS_PASSWORD)@shop-posts-ro.prod.svc:3306/app",
  );
  const names = env.map((e) => e.name);
  assert.ok(names.indexOf("POSTS_PASSWORD") < names.indexOf("POSTS_READ_URL"));
});

test("a single mysql renders as before: no scripts, no -ro, no replication secret", () => {
  const result = render(arch(1));
  assert.equal(
    result.objects.find((o) => o.metadata.name === "shop-posts-ro"),
    undefined,
  );
  assert.equal(
    result.objects.find((o) => o.metadata.name === "shop-posts-scripts"),
    undefined,
  );
  assert.equal(
    (result.secrets ?? []).find((s) => s.name === "shop-posts-replication"),
    undefined,
  );
  const my = container(
    find(result.objects, "StatefulSet", "shop-posts").spec.template.spec,
    "mysql",
  );
  assert.equal(my.command, undefined);
  assert.equal(my.readinessProbe.exec.command[0], "mysqladmin");
  const ctx = createContext(applyDefaults(arch(1)), { keda: true, serviceMonitors: true });
  const api = ctx.component("api");
  assert.ok(api);
  assert.equal(
    connectionEnv(ctx, api).find((e) => e.name === "POSTS_READ_URL"),
    undefined,
  );
});

test("backups of replicated mysql and postgres dump from the member after the primary", () => {
  const withBackup = (type: string, annotations?: Record<string, string>): Architecture => ({
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "prod", ...(annotations ? { annotations } : {}) },
    spec: {
      components: [{ name: "db", type: type as "mysql", replicas: 3 }],
      backups: [{ component: "db", schedule: "0 3 * * *", retention: 5 }],
    },
  });
  const script = (a: Architecture): string =>
    JSON.stringify(find(render(a).objects, "CronJob", "shop-db-backup").spec.jobTemplate);
  const mysql = script(withBackup("mysql"));
  assert.match(mysql, /mysqldump --host=shop-db-1\.shop-db-headless\.prod\.svc /);
  assert.match(mysql, /--set-gtid-purged=OFF/);
  assert.match(
    script(withBackup("mysql", { "primary.archctl.io/db": "2" })),
    /--host=shop-db-0\.shop-db-headless\.prod\.svc /,
  );
  assert.match(
    script(withBackup("postgres")),
    /pg_dump --host=shop-db-1\.shop-db-headless\.prod\.svc /,
  );
  // A single member dumps through its Service, without the GTID flag.
  const single = withBackup("mysql");
  (single.spec.components[0] as { replicas?: number }).replicas = 1;
  assert.match(script(single), /mysqldump --host=shop-db\.prod\.svc /);
  assert.doesNotMatch(script(single), /gtid/);
});

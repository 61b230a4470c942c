// MongoDB with replicas > 1: a replica set with keyfile authentication,
// initiated once by member 0, and one client URL with every member.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { applyDefaults } from "../../../operator/api/defaults.ts";
import type { Architecture } from "../../../operator/api/schema.ts";
import { connectionEnv } from "../../../operator/render/connection.ts";
import { createContext } from "../../../operator/render/context.ts";
import { MONGODB_SCRIPTS } from "../../../operator/render/datastores/mongodb-replication.ts";
import { render } from "../../../operator/render/index.ts";
import { container, find, type Json } from "./datastore-helpers.ts";

function arch(replicas: number, settings?: Json): Architecture {
  return {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "chat", namespace: "prod" },
    spec: {
      components: [
        { name: "api", type: "service", image: "ex/api:1", uses: ["history"] },
        { name: "history", type: "mongodb", replicas, ...(settings ? { settings } : {}) },
      ],
    },
  };
}

const MEMBERS = [0, 1, 2]
  .map((i) => `chat-history-${i}.chat-history-headless.prod.svc:27017`)
  .join(",");

test("mongodb replica set: --replSet and a keyfile from a generated Secret, started together", () => {
  const result = render(arch(3, { "operationProfiling.slowOpThresholdMs": "200" }));
  const sts = find(result.objects, "StatefulSet", "chat-history");
  assert.equal(sts.spec.podManagementPolicy, "Parallel");
  const spec = sts.spec.template.spec;
  const m = container(spec, "mongodb");
  assert.deepEqual(m.command, ["sh", "/etc/archctl/start.sh"]);
  assert.deepEqual(m.args, [
    "mongod",
    "--bind_ip_all",
    "--port=27017",
    "--config=/etc/mongo/mongod.conf",
  ]);
  const env = Object.fromEntries(m.env.map((e: Json) => [e.name, e]));
  assert.equal(env.REPLICA_SET.value, "history");
  assert.equal(env.MEMBERS.value, MEMBERS);
  assert.equal(env.MONGODB_PORT.value, "27017");
  const keyfile = spec.volumes.find((v: Json) => v.name === "keyfile");
  assert.deepEqual(keyfile.secret, { secretName: "chat-history-keyfile", defaultMode: 0o440 });
  assert.ok(m.volumeMounts.some((v: Json) => v.mountPath === "/etc/archctl-keyfile"));
  const secret = result.secrets.find((s) => s.name === "chat-history-keyfile");
  assert.ok(secret);
  assert.deepEqual(secret.keys, { keyfile: { random: 756 } });
  const scripts = find(result.objects, "ConfigMap", "chat-history-scripts").data;
  assert.match(scripts["start.sh"], /--replSet "\$REPLICA_SET" --keyFile \/tmp\/archctl-keyfile/);
  assert.match(scripts["start.sh"], /install -m 0400 \/etc\/archctl-keyfile\/keyfile/);
  // Initiated only when the server says no set was ever initiated.
  assert.match(scripts["start.sh"], /code !== 94/);
  assert.match(scripts["start.sh"], /rs\.initiate/);
  // Ready when primary or secondary; alive when the port accepts connections.
  assert.deepEqual(m.readinessProbe.exec.command, ["sh", "/etc/archctl/ready.sh"]);
  assert.match(scripts["ready.sh"], /isWritablePrimary \|\| h\.secondary/);
  assert.deepEqual(m.livenessProbe.tcpSocket, { port: 27017 });
  assert.equal(find(result.objects, "PodDisruptionBudget", "chat-history").spec.maxUnavailable, 1);
});

test("mongodb replica set: the scripts are valid POSIX sh", () => {
  for (const [name, text] of Object.entries(MONGODB_SCRIPTS))
    assert.doesNotThrow(() => execFileSync("sh", ["-n"], { input: text }), name);
});

test("mongodb clients: one URL with every member and replicaSet=, after the vars it uses", () => {
  const ctx = createContext(applyDefaults(arch(3)), { keda: true, serviceMonitors: true });
  const api = ctx.component("api");
  assert.ok(api);
  const env = connectionEnv(ctx, api);
  const by = Object.fromEntries(env.map((e) => [e.name, e as Json]));
  assert.equal(
    by.HISTORY_URL.value,
    `mongodb://$(HISTORY_USERNAME):$(HISTORY_PASSWORD)@${MEMBERS}/app?authSource=admin&replicaSet=history`,
  );
  assert.equal(by.HISTORY_REPLICA_SET.value, "history");
  const names = env.map((e) => e.name);
  assert.ok(names.indexOf("HISTORY_PASSWORD") < names.indexOf("HISTORY_URL"));
});

test("a single mongodb renders as before: no replica set, no keyfile, the URL from the Secret", () => {
  const result = render(arch(1));
  const m = container(
    find(result.objects, "StatefulSet", "chat-history").spec.template.spec,
    "mongodb",
  );
  assert.equal(m.command, undefined);
  assert.equal(m.readinessProbe.exec.command[0], "mongosh");
  assert.equal(
    (result.secrets ?? []).find((s) => s.name === "chat-history-keyfile"),
    undefined,
  );
  const ctx = createContext(applyDefaults(arch(1)), { keda: true, serviceMonitors: true });
  const api = ctx.component("api");
  assert.ok(api);
  const url = connectionEnv(ctx, api).find((e) => e.name === "HISTORY_URL") as Json;
  assert.deepEqual(url.valueFrom.secretKeyRef, { name: "chat-history-credentials", key: "url" });
});

test("a replica set's backup reads from a secondary when one is up", () => {
  const a = arch(3);
  a.spec.backups = [{ component: "history", schedule: "0 3 * * *", retention: 5 }];
  const job = JSON.stringify(
    find(render(a).objects, "CronJob", "chat-history-backup").spec.jobTemplate,
  );
  assert.ok(job.includes(`--host=history/${MEMBERS} --readPreference=secondaryPreferred`));
});

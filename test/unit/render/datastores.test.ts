import assert from "node:assert/strict";
import { test } from "node:test";
import { DATASTORE_DEFAULTS } from "../../../operator/api/defaults.ts";
import type { DatastoreType } from "../../../operator/api/schema.ts";
import type { KubeObject } from "../../../operator/kube/types.ts";
import { connectionSecret, materializeSecret } from "../../../operator/render/connection.ts";
import type { ComponentRenderer } from "../../../operator/render/context.ts";
import { renderKafka } from "../../../operator/render/datastores/kafka.ts";
import { renderMilvus } from "../../../operator/render/datastores/milvus.ts";
import { renderMongodb } from "../../../operator/render/datastores/mongodb.ts";
import { renderMysql } from "../../../operator/render/datastores/mysql.ts";
import { renderPostgres } from "../../../operator/render/datastores/postgres.ts";
import { renderRabbitmq } from "../../../operator/render/datastores/rabbitmq.ts";
import { renderRedis } from "../../../operator/render/datastores/redis.ts";
import { dottedYaml } from "../../../operator/render/datastores/statefulset.ts";
import {
  assertRestricted,
  container,
  ctxOf,
  envOf,
  find,
  type Json,
  podSpecs,
  secretRefs,
} from "./datastore-helpers.ts";

const RENDERERS: Record<DatastoreType, ComponentRenderer> = {
  mysql: renderMysql,
  postgres: renderPostgres,
  mongodb: renderMongodb,
  redis: renderRedis,
  rabbitmq: renderRabbitmq,
  kafka: renderKafka,
  milvus: renderMilvus,
};
const TYPES = Object.keys(RENDERERS) as DatastoreType[];

function renderOne(
  type: DatastoreType,
  extra: Record<string, unknown> = {},
  uid?: string,
): KubeObject[] {
  const ctx = ctxOf({ components: [{ name: "store", type, ...extra }] }, undefined, uid);
  const c = ctx.component("store");
  assert.ok(c);
  return RENDERERS[type](c, ctx).objects;
}

for (const type of TYPES) {
  test(`${type}: StatefulSet, headless and client Services with named ports`, () => {
    const objects = renderOne(type);
    const sts: Json = find(objects, "StatefulSet", "shop-store");
    const headless: Json = find(objects, "Service", "shop-store-headless");
    const client: Json = find(objects, "Service", "shop-store");
    assert.equal(headless.spec.clusterIP, "None");
    assert.equal(headless.spec.publishNotReadyAddresses, true);
    assert.equal(sts.spec.serviceName, "shop-store-headless");
    assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
    assert.deepEqual(sts.spec.updateStrategy, { type: "RollingUpdate" });
    assert.ok(["OrderedReady", "Parallel"].includes(sts.spec.podManagementPolicy));
    // Selectors are the stable subset, never every label.
    assert.deepEqual(sts.spec.selector.matchLabels, {
      "app.kubernetes.io/instance": "shop-store",
      "archctl.io/architecture": "shop",
    });
    const podLabels = sts.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(client.spec.selector))
      assert.equal(podLabels[k], v, `pod label ${k}`);
    assert.equal(sts.spec.template.metadata.annotations?.["prometheus.io/scrape"], undefined);
    // Client port first, then metrics.
    const { port, metricsPort } = DATASTORE_DEFAULTS[type];
    assert.equal(client.spec.ports[0].port, port);
    const metrics = client.spec.ports.find((p: Json) => p.name === "metrics");
    assert.deepEqual(metrics, {
      name: "metrics",
      port: metricsPort,
      targetPort: "metrics",
      protocol: "TCP",
    });
    assert.equal(client.metadata.labels["archctl.io/metrics"], "true");
    // Every Service targetPort names a port of a selected container.
    const names = new Set(
      sts.spec.template.spec.containers.flatMap((c: Json) =>
        (c.ports ?? []).map((p: Json) => p.name),
      ),
    );
    for (const svc of [client, headless])
      for (const p of svc.spec.ports) assert.ok(names.has(p.targetPort), `${type} ${p.targetPort}`);
    // The data volume.
    const claim = sts.spec.volumeClaimTemplates[0];
    assert.equal(claim.metadata.name, "data");
    assert.equal(claim.spec.resources.requests.storage, DATASTORE_DEFAULTS[type].storage);
    const server = sts.spec.template.spec.containers[0];
    assert.ok(server.volumeMounts.some((m: Json) => m.name === "data"));
    assert.ok(server.image.includes(DATASTORE_DEFAULTS[type].version));
  });

  test(`${type}: restricted pods`, () => {
    assertRestricted(renderOne(type, type === "kafka" ? { topics: [{ name: "t" }] } : {}));
  });

  test(`${type}: credentials only by reference to existing Secret keys`, () => {
    const ctx = ctxOf({ components: [{ name: "store", type }] });
    const c = ctx.component("store");
    assert.ok(c);
    const objects = RENDERERS[type](c, ctx).objects;
    const secret = connectionSecret(ctx, c);
    for (const ref of secretRefs(objects)) {
      assert.equal(ref.name, "shop-store-credentials");
      assert.ok(secret && ref.key in secret.keys, `${type} refers to missing key ${ref.key}`);
    }
    if (secret) {
      const values = materializeSecret(secret, (n) => "S3NTINEL".padEnd(n, "x"));
      const json = JSON.stringify(objects);
      assert.ok(!json.includes("S3NTINEL"));
      for (const v of Object.values(values)) if (v.length > 8) assert.ok(!json.includes(v));
    }
    for (const pod of podSpecs(objects)) {
      for (const ct of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const e of ct.env ?? []) {
          if (/PASS|SECRET|COOKIE|AUTH|KEY/.test(e.name) && !e.name.startsWith("KAFKA_")) {
            assert.ok(
              e.valueFrom?.secretKeyRef,
              `${type}/${ct.name}: ${e.name} must come from the Secret`,
            );
          }
        }
      }
    }
  });

  test(`${type}: exporter or built-in metrics port`, () => {
    const sts: Json = find(renderOne(type), "StatefulSet", "shop-store");
    const containers = sts.spec.template.spec.containers;
    const exporter = DATASTORE_DEFAULTS[type].exporter;
    const withMetrics = containers.filter((c: Json) =>
      (c.ports ?? []).some((p: Json) => p.name === "metrics"),
    );
    assert.equal(withMetrics.length, 1);
    if (exporter) {
      assert.equal(withMetrics[0].name, "exporter");
      assert.equal(withMetrics[0].image, exporter.image);
      assert.equal(withMetrics[0].ports[0].containerPort, exporter.port);
      assert.equal(withMetrics[0].securityContext.readOnlyRootFilesystem, true);
      assert.ok(withMetrics[0].resources.limits.memory);
    } else {
      assert.equal(withMetrics[0], containers[0]);
    }
  });

  test(`${type}: deterministic`, () => {
    const extra = { settings: { b: "2", a: "1" }, replicas: type === "milvus" ? 1 : 3 };
    assert.equal(
      JSON.stringify(renderOne(type, extra, "u-1")),
      JSON.stringify(renderOne(type, extra, "u-1")),
    );
  });
}

test("storage size and class reach the claim template; owner reference with a uid", () => {
  const objects = renderOne(
    "postgres",
    { storage: { size: "50Gi", storageClassName: "fast" } },
    "uid-9",
  );
  const sts: Json = find(objects, "StatefulSet", "shop-store");
  assert.deepEqual(sts.spec.volumeClaimTemplates[0].spec, {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: "50Gi" } },
    storageClassName: "fast",
  });
  for (const o of objects) assert.equal(o.metadata.ownerReferences?.[0]?.uid, "uid-9");
});

test("mysql: env from the Secret, mysqladmin ping, exporter as root, my.cnf from settings", () => {
  const objects = renderOne("mysql", {
    settings: { max_connections: "500", innodb_buffer_pool_size: "512M" },
  });
  const pod: Json = find(objects, "StatefulSet", "shop-store").spec.template;
  const mysql = container(pod.spec, "mysql");
  assert.deepEqual(envOf(mysql, "MYSQL_ROOT_PASSWORD").valueFrom.secretKeyRef, {
    name: "shop-store-credentials",
    key: "root-password",
  });
  assert.equal(envOf(mysql, "MYSQL_USER").valueFrom.secretKeyRef.key, "username");
  assert.equal(envOf(mysql, "MYSQL_PASSWORD").valueFrom.secretKeyRef.key, "password");
  assert.equal(envOf(mysql, "MYSQL_DATABASE").valueFrom.secretKeyRef.key, "database");
  assert.deepEqual(mysql.readinessProbe.exec.command.slice(0, 2), ["mysqladmin", "ping"]);
  assert.equal(pod.spec.securityContext.runAsUser, 999);
  const exporter = container(pod.spec, "exporter");
  assert.ok(exporter.args.includes("--mysqld.username=root"));
  assert.equal(
    envOf(exporter, "MYSQLD_EXPORTER_PASSWORD").valueFrom.secretKeyRef.key,
    "root-password",
  );
  const cm: Json = find(objects, "ConfigMap", "shop-store-config");
  assert.equal(
    cm.data["archctl.cnf"],
    "[mysqld]\ninnodb_buffer_pool_size = 512M\nmax_connections = 500\n",
  );
  assert.ok(mysql.volumeMounts.some((m: Json) => m.mountPath === "/etc/mysql/conf.d"));
  assert.match(pod.metadata.annotations["archctl.io/config-hash"], /^[0-9a-f]{16}$/);
  // Without settings: no ConfigMap, no hash.
  const plain = renderOne("mysql");
  assert.equal(plain.filter((o) => o.kind === "ConfigMap").length, 0);
});

test("postgres: PGDATA subdirectory, -c settings sorted, pg_isready, exporter from the Secret", () => {
  const objects = renderOne("postgres", {
    settings: { shared_buffers: "256MB", max_connections: "200" },
  });
  const pod: Json = find(objects, "StatefulSet", "shop-store").spec.template.spec;
  const pg = container(pod, "postgres");
  assert.equal(envOf(pg, "PGDATA").value, "/var/lib/postgresql/data/pgdata");
  assert.equal(envOf(pg, "POSTGRES_USER").valueFrom.secretKeyRef.key, "username");
  assert.equal(envOf(pg, "POSTGRES_PASSWORD").valueFrom.secretKeyRef.key, "password");
  assert.equal(envOf(pg, "POSTGRES_DB").valueFrom.secretKeyRef.key, "database");
  assert.deepEqual(pg.args, [
    "postgres",
    "-c",
    "port=5432",
    "-c",
    "max_connections=200",
    "-c",
    "shared_buffers=256MB",
  ]);
  assert.match(pg.readinessProbe.exec.command[2], /pg_isready/);
  const exporter = container(pod, "exporter");
  assert.equal(envOf(exporter, "DATA_SOURCE_USER").valueFrom.secretKeyRef.key, "username");
  assert.equal(envOf(exporter, "DATA_SOURCE_PASS").valueFrom.secretKeyRef.key, "password");
  // $(DATA_SOURCE_DB) is expanded by the kubelet, so it must be defined before.
  const names = exporter.env.map((e: Json) => e.name);
  assert.ok(names.indexOf("DATA_SOURCE_DB") < names.indexOf("DATA_SOURCE_URI"));
});

test("mongodb: root user from the Secret, ping probe, exporter uri without credentials, mongod.conf", () => {
  const objects = renderOne("mongodb", {
    settings: {
      "storage.wiredTiger.engineConfig.cacheSizeGB": "1",
      "net.compression.compressors": "zstd",
    },
  });
  const pod: Json = find(objects, "StatefulSet", "shop-store").spec.template.spec;
  const mongo = container(pod, "mongodb");
  assert.equal(envOf(mongo, "MONGO_INITDB_ROOT_USERNAME").valueFrom.secretKeyRef.key, "username");
  assert.equal(envOf(mongo, "MONGO_INITDB_ROOT_PASSWORD").valueFrom.secretKeyRef.key, "password");
  assert.ok(mongo.readinessProbe.exec.command.includes("db.adminCommand('ping').ok"));
  assert.ok(mongo.args.includes("--config=/etc/mongo/mongod.conf"));
  const exporter = container(pod, "exporter");
  const uri = exporter.args.find((a: string) => a.startsWith("--mongodb.uri="));
  assert.equal(uri, "--mongodb.uri=mongodb://127.0.0.1:27017/admin");
  assert.equal(envOf(exporter, "MONGODB_PASSWORD").valueFrom.secretKeyRef.key, "password");
  const cm: Json = find(objects, "ConfigMap", "shop-store-config");
  assert.equal(
    cm.data["mongod.conf"],
    "net:\n  compression:\n    compressors: zstd\nstorage:\n  wiredTiger:\n    engineConfig:\n      cacheSizeGB: 1\n",
  );
});

test("redis: requirepass from env, appendonly, REDISCLI_AUTH probe, settings as args", () => {
  const objects = renderOne("redis", {
    settings: { "maxmemory-policy": "allkeys-lru", maxmemory: "200mb" },
  });
  const pod: Json = find(objects, "StatefulSet", "shop-store").spec.template.spec;
  const redis = container(pod, "redis");
  const args: string[] = redis.args;
  assert.equal(args[args.indexOf("--requirepass") + 1], "$(REDIS_PASSWORD)");
  assert.equal(args[args.indexOf("--appendonly") + 1], "yes");
  assert.deepEqual(args.slice(-4), ["--maxmemory", "200mb", "--maxmemory-policy", "allkeys-lru"]);
  assert.equal(envOf(redis, "REDIS_PASSWORD").valueFrom.secretKeyRef.key, "password");
  assert.equal(envOf(redis, "REDISCLI_AUTH").valueFrom.secretKeyRef.key, "password");
  assert.match(redis.readinessProbe.exec.command[2], /redis-cli .*ping/);
  assert.equal(redis.securityContext.readOnlyRootFilesystem, true);
  assert.equal(
    envOf(container(pod, "exporter"), "REDIS_PASSWORD").valueFrom.secretKeyRef.key,
    "password",
  );
});

test("rabbitmq: plugins, exchanges in definitions without credentials, metrics 15692, diagnostics probes", () => {
  const objects = renderOne("rabbitmq", {
    exchanges: [
      { name: "rooms", type: "topic" },
      { name: "broadcast", type: "fanout" },
    ],
    settings: { vm_memory_high_watermark__relative: "0.6" },
  });
  const cm: Json = find(objects, "ConfigMap", "shop-store-config");
  assert.equal(cm.data.enabled_plugins, "[rabbitmq_management,rabbitmq_prometheus].\n");
  const defs = JSON.parse(cm.data["definitions.json"]);
  assert.deepEqual(
    defs.exchanges.map((e: Json) => [e.name, e.type, e.vhost, e.durable]),
    [
      ["broadcast", "fanout", "/", true],
      ["rooms", "topic", "/", true],
    ],
  );
  assert.equal(defs.users, undefined);
  assert.equal(defs.permissions, undefined);
  assert.ok(!/password/i.test(cm.data["definitions.json"]));
  assert.match(cm.data["rabbitmq.conf"], /vm_memory_high_watermark__relative = 0\.6/);
  const pod: Json = find(objects, "StatefulSet", "shop-store").spec.template.spec;
  const rmq = container(pod, "rabbitmq");
  assert.equal(envOf(rmq, "RABBITMQ_DEFAULT_USER").valueFrom.secretKeyRef.key, "username");
  assert.equal(envOf(rmq, "RABBITMQ_DEFAULT_PASS").valueFrom.secretKeyRef.key, "password");
  assert.equal(envOf(rmq, "RABBITMQ_ERLANG_COOKIE").valueFrom.secretKeyRef.key, "erlang-cookie");
  assert.deepEqual(rmq.readinessProbe.exec.command.slice(0, 1), ["rabbitmq-diagnostics"]);
  assert.match(
    rmq.lifecycle.postStart.exec.command[2],
    /import_definitions \/etc\/rabbitmq\/definitions\/definitions\.json/,
  );
  assert.equal(rmq.ports.find((p: Json) => p.name === "metrics").containerPort, 15692);
});

test("rabbitmq with replicas: classic peer discovery over long names", () => {
  const objects = renderOne("rabbitmq", { replicas: 3 });
  const conf: string = (find(objects, "ConfigMap", "shop-store-config") as Json).data[
    "rabbitmq.conf"
  ];
  assert.match(
    conf,
    /cluster_formation\.classic_config\.nodes\.3 = rabbit@shop-store-2\.shop-store-headless\.prod\.svc/,
  );
  const rmq = container(
    (find(objects, "StatefulSet", "shop-store") as Json).spec.template.spec,
    "rabbitmq",
  );
  assert.equal(envOf(rmq, "RABBITMQ_USE_LONGNAME").value, "true");
  // Quorum queues by default when clustered; a single broker and the user's own choice keep theirs.
  assert.match(conf, /^default_queue_type = quorum$/m);
  const confOf = (objs: unknown[]): string =>
    (find(objs as never, "ConfigMap", "shop-store-config") as Json).data["rabbitmq.conf"];
  assert.doesNotMatch(confOf(renderOne("rabbitmq", {})), /default_queue_type/);
  const own = confOf(
    renderOne("rabbitmq", { replicas: 3, settings: { default_queue_type: "classic" } }),
  );
  assert.equal(own.match(/default_queue_type/g)?.length, 1);
  assert.match(own, /^default_queue_type = classic$/m);
});

test("dottedYaml nests, sorts and types scalars", () => {
  assert.equal(
    dottedYaml({ "b.y": "x", a: "true", "b.x": "-1.5", "b.z": "yes", "b.0": "0755" }),
    'a: true\nb:\n  "0": "0755"\n  x: -1.5\n  "y": x\n  z: "yes"\n',
  );
  assert.equal(dottedYaml({}), "");
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import {
  kafkaClusterId,
  kafkaEnvName,
  renderKafka,
} from "../../../operator/render/datastores/kafka.ts";
import { container, ctxOf, envOf, find, type Json } from "./datastore-helpers.ts";

function render(extra: Record<string, unknown> = {}) {
  const ctx = ctxOf({ components: [{ name: "bus", type: "kafka", ...extra }] });
  const c = ctx.component("bus");
  assert.ok(c);
  return renderKafka(c, ctx).objects;
}

test("single broker: KRaft combined mode, node id 1, replication defaults of 1", () => {
  const objects = render();
  const sts = find(objects, "StatefulSet", "shop-bus");
  const kafka = container(sts.spec.template.spec, "kafka");
  assert.equal(kafka.command, undefined);
  assert.equal(envOf(kafka, "KAFKA_NODE_ID").value, "1");
  assert.equal(envOf(kafka, "KAFKA_PROCESS_ROLES").value, "broker,controller");
  assert.equal(envOf(kafka, "KAFKA_LISTENERS").value, "PLAINTEXT://:9092,CONTROLLER://:9093");
  assert.equal(envOf(kafka, "KAFKA_CONTROLLER_LISTENER_NAMES").value, "CONTROLLER");
  assert.equal(
    envOf(kafka, "KAFKA_ADVERTISED_LISTENERS").value,
    "PLAINTEXT://$(POD_NAME).shop-bus-headless.prod.svc:9092",
  );
  assert.equal(
    envOf(kafka, "KAFKA_CONTROLLER_QUORUM_VOTERS").value,
    "1@shop-bus-0.shop-bus-headless.prod.svc:9093",
  );
  assert.equal(envOf(kafka, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR").value, "1");
  assert.equal(envOf(kafka, "KAFKA_MIN_INSYNC_REPLICAS").value, "1");
  assert.equal(envOf(kafka, "KAFKA_LOG_DIRS").value, "/var/lib/kafka/data/logs");
  assert.ok(
    kafka.volumeMounts.some(
      (m: Json) => m.name === "data" && m.mountPath === "/var/lib/kafka/data",
    ),
  );
  // POD_NAME is referenced by $(POD_NAME), so it comes first.
  assert.equal(kafka.env[0].name, "POD_NAME");
  assert.equal(sts.spec.template.spec.securityContext.runAsUser, 1000);
  assert.equal(sts.spec.template.spec.enableServiceLinks, false);
  assert.equal(objects.filter((o) => o.kind === "Job").length, 0);
});

test("three brokers: node id from the ordinal, three voters, min.insync.replicas 2, Parallel", () => {
  const sts = find(render({ replicas: 3 }), "StatefulSet", "shop-bus");
  assert.equal(sts.spec.podManagementPolicy, "Parallel");
  const kafka = container(sts.spec.template.spec, "kafka");
  assert.equal(
    kafka.env.find((e: Json) => e.name === "KAFKA_NODE_ID"),
    undefined,
  );
  assert.match(kafka.command[2], /KAFKA_NODE_ID=`expr "\$\{POD_NAME##\*-\}" \+ 1`/);
  assert.match(kafka.command[2], /exec \/etc\/kafka\/docker\/run$/);
  assert.doesNotMatch(kafka.command[2], /\$\(/, "no $( that the kubelet would try to expand");
  assert.equal(
    envOf(kafka, "KAFKA_CONTROLLER_QUORUM_VOTERS").value,
    ["1@shop-bus-0", "2@shop-bus-1", "3@shop-bus-2"]
      .map((v) => `${v}.shop-bus-headless.prod.svc:9093`)
      .join(","),
  );
  assert.equal(envOf(kafka, "KAFKA_MIN_INSYNC_REPLICAS").value, "2");
  assert.equal(envOf(kafka, "KAFKA_DEFAULT_REPLICATION_FACTOR").value, "3");
  const headless = find(render({ replicas: 3 }), "Service", "shop-bus-headless");
  assert.ok(headless.spec.ports.some((p: Json) => p.port === 9093));
});

test("cluster id: base64url of the first 16 bytes of sha256(namespace/arch/component)", () => {
  const expected = createHash("sha256")
    .update("prod/shop/bus")
    .digest()
    .subarray(0, 16)
    .toString("base64url");
  assert.equal(kafkaClusterId("prod", "shop", "bus"), expected);
  assert.equal(expected.length, 22);
  assert.notEqual(kafkaClusterId("prod", "shop", "bus"), kafkaClusterId("dev", "shop", "bus"));
  const kafka = container(find(render(), "StatefulSet", "shop-bus").spec.template.spec, "kafka");
  assert.equal(envOf(kafka, "CLUSTER_ID").value, expected);
});

test("settings become KAFKA_ env vars and override the defaults", () => {
  assert.equal(kafkaEnvName("log.retention.hours"), "KAFKA_LOG_RETENTION_HOURS");
  assert.equal(kafkaEnvName("some_prop.with-dash"), "KAFKA_SOME__PROP_WITH___DASH");
  const kafka = container(
    find(
      render({ settings: { "min.insync.replicas": "1", "auto.create.topics.enable": "false" } }),
      "StatefulSet",
      "shop-bus",
    ).spec.template.spec,
    "kafka",
  );
  assert.equal(envOf(kafka, "KAFKA_AUTO_CREATE_TOPICS_ENABLE").value, "false");
  assert.equal(kafka.env.filter((e: Json) => e.name === "KAFKA_MIN_INSYNC_REPLICAS").length, 1);
});

test("exporter sidecar on 9308 scraping the local broker", () => {
  const exporter = container(
    find(render(), "StatefulSet", "shop-bus").spec.template.spec,
    "exporter",
  );
  assert.equal(exporter.image, "danielqsj/kafka-exporter:v1.8.0");
  assert.ok(exporter.args.includes("--kafka.server=127.0.0.1:9092"));
  assert.equal(exporter.ports[0].containerPort, 9308);
});

test("topics Job creates each topic idempotently", () => {
  const objects = render({
    replicas: 3,
    topics: [{ name: "orders", partitions: 12, replicationFactor: 3 }, { name: "fills" }],
  });
  const job = find(objects, "Job", "shop-bus-topics");
  assert.equal(job.apiVersion, "batch/v1");
  assert.match(job.metadata.annotations["archctl.io/config-hash"], /^[0-9a-f]{16}$/);
  const pod = job.spec.template.spec;
  const script: string = pod.containers[0].command[2];
  assert.match(
    script,
    /kafka-topics\.sh --bootstrap-server shop-bus\.prod\.svc:9092 --create --if-not-exists --topic 'orders' --partitions 12 --replication-factor 3/,
  );
  assert.match(script, /--create --if-not-exists --topic 'fills'\n/);
  assert.equal(pod.containers[0].image, "apache/kafka:3.9.0");
  // The Job's pod must not become an endpoint of the broker Services.
  const client = find(objects, "Service", "shop-bus");
  const labels = job.spec.template.metadata.labels;
  assert.ok(Object.entries(client.spec.selector).some(([k, v]) => labels[k] !== v));
});

test("kafka: deterministic", () => {
  const extra = { replicas: 3, topics: [{ name: "a" }], settings: { "x.y": "1" } };
  assert.equal(JSON.stringify(render(extra)), JSON.stringify(render(extra)));
});

// Names and values that would make Kubernetes refuse an object, or make two
// objects collide, are caught by validation, before anything is applied: each
// case goes through validateArchitecture and through loadBlueprint (which must
// point at a line and column).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { stringify } from "yaml";
import { loadBlueprint } from "../../cli/blueprint/loader.ts";
import { formatPath, validateArchitecture } from "../../operator/api/validate.ts";
import { render } from "../../operator/render/index.ts";

type Spec = Record<string, unknown>;
const arch = (name: string, spec: Spec) => ({
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name },
  spec,
});
const svc = (name: string, extra: Spec = {}) => ({
  name,
  type: "service",
  image: "ghcr.io/example/a:1",
  ...extra,
});

interface Case {
  name: string;
  input: ReturnType<typeof arch>;
  path: string;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: "Architecture name over 40 characters",
    input: arch("a".repeat(41), { components: [svc("api")] }),
    path: "metadata.name",
    message: /at most 40 characters/,
  },
  {
    name: "upper-case Architecture name",
    input: arch("Shop", { components: [svc("api")] }),
    path: "metadata.name",
    message: /lower-case/,
  },
  {
    name: "upper-case component name",
    input: arch("shop", { components: [svc("Api")] }),
    path: "spec.components[0].name",
    message: /lower-case/,
  },
  {
    name: "component name starting with a digit (not a DNS-1035 label: Services refuse it)",
    input: arch("shop", { components: [svc("1api")] }),
    path: "spec.components[0].name",
    message: /starting with a letter/,
  },
  {
    name: "component name ending with '-'",
    input: arch("shop", { components: [svc("api-")] }),
    path: "spec.components[0].name",
    message: /lower-case letters/,
  },
  {
    name: "component name with a dot",
    input: arch("shop", { components: [svc("api.v1")] }),
    path: "spec.components[0].name",
    message: /lower-case letters/,
  },
  {
    name: "reserved name dashboard",
    input: arch("shop", { components: [svc("dashboard")] }),
    path: "spec.components[0].name",
    message: /'dashboard' is reserved/,
  },
  {
    name: "reserved name ingress",
    input: arch("shop", { components: [svc("ingress")] }),
    path: "spec.components[0].name",
    message: /'ingress' is reserved/,
  },
  {
    name: "duplicate component names",
    input: arch("shop", { components: [svc("api"), { name: "api", type: "redis" }] }),
    path: "spec.components[1].name",
    message: /two components are named 'api'/,
  },
  {
    name: "StatefulSet name over 52 (controller-revision-hash label)",
    input: arch("a".repeat(30), {
      components: [svc("api"), { name: "b".repeat(25), type: "postgres" }],
    }),
    path: "spec.components[1].name",
    message: /StatefulSet name .* over the Kubernetes limit of 52/,
  },
  {
    name: "CronJob name over 52 (its Jobs' names)",
    input: arch("a".repeat(30), {
      components: [{ ...svc("c".repeat(23)), type: "cron", schedule: "0 * * * *" }],
    }),
    path: "spec.components[0].name",
    message: /CronJob name .* over the Kubernetes limit of 52/,
  },
  {
    name: "backup CronJob name over 52",
    input: arch("a".repeat(30), {
      components: [svc("api"), { name: "d".repeat(16), type: "mysql" }],
      backups: [{ component: "d".repeat(16), schedule: "0 3 * * *" }],
    }),
    path: "spec.components[1].name",
    message: /backup CronJob name .* over the Kubernetes limit of 52/,
  },
  {
    name: "Milvus' MinIO StatefulSet name over 52",
    input: arch("a".repeat(30), {
      components: [svc("api"), { name: "m".repeat(16), type: "milvus" }],
    }),
    path: "spec.components[1].name",
    message: /MinIO StatefulSet name .* over the Kubernetes limit of 52/,
  },
  {
    name: "Service name over 63",
    input: arch("a".repeat(40), { components: [svc("s".repeat(23))] }),
    path: "spec.components[0].name",
    message: /Service name .* over the Kubernetes limit of 63/,
  },
  {
    name: "env name with a '-'",
    input: arch("shop", { components: [svc("api", { env: { "LOG-LEVEL": "debug" } })] }),
    path: 'spec.components[0].env["LOG-LEVEL"]',
    message: /not a valid environment variable name/,
  },
  {
    name: "env name starting with a digit",
    input: arch("shop", { components: [svc("api", { env: { "1X": "y" } })] }),
    path: 'spec.components[0].env["1X"]',
    message: /not a valid environment variable name/,
  },
  {
    name: "a component named like another's headless Service",
    input: arch("shop", { components: [{ name: "db", type: "postgres" }, svc("db-headless")] }),
    path: "spec.components[1].name",
    message: /'db' and 'db-headless' would both create objects named 'shop-db-headless'/,
  },
  {
    name: "a component named like Milvus' MinIO",
    input: arch("shop", { components: [svc("vec-minio"), { name: "vec", type: "milvus" }] }),
    path: "spec.components[1].name",
    message: /'vec-minio' and 'vec' would both create objects named 'shop-vec-minio'/,
  },
  {
    name: "a component named like a backup CronJob",
    input: arch("shop", {
      components: [
        { name: "db", type: "mysql" },
        { ...svc("db-backup"), type: "cron", schedule: "0 * * * *" },
      ],
      backups: [{ component: "db", schedule: "0 3 * * *" }],
    }),
    path: "spec.components[1].name",
    message: /would both create objects named 'shop-db-backup'/,
  },
  {
    name: "upper-case ingress host",
    input: arch("shop", {
      components: [svc("api")],
      ingress: { hosts: [{ host: "Shop.Example.com", routes: [{ path: "/", component: "api" }] }] },
    }),
    path: "spec.ingress.hosts[0].host",
    message: /DNS host name/,
  },
  {
    name: "Kafka topic with a space",
    input: arch("shop", {
      components: [svc("api"), { name: "bus", type: "kafka", topics: [{ name: "my topic" }] }],
    }),
    path: "spec.components[1].topics[0].name",
    message: /letters, digits/,
  },
];

describe("names Kubernetes would refuse or that would collide are caught before apply", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const v = validateArchitecture(c.input);
      assert.equal(v.architecture, undefined, "accepted");
      const errors = v.issues.filter((i) => i.severity === "error");
      const hit = errors.find((i) => formatPath(i.path) === c.path && c.message.test(i.message));
      assert.ok(
        hit,
        `no error at ${c.path} matching ${c.message}; got: ${errors.map((i) => `${formatPath(i.path)}: ${i.message}`).join(" | ")}`,
      );
      // The same through a blueprint file: a line and column that point into it.
      const text = stringify(c.input);
      const loaded = loadBlueprint(text, { file: "b.yaml" });
      assert.equal(loaded.architecture, undefined);
      const p = loaded.problems.find((x) => x.path === c.path && c.message.test(x.message));
      assert.ok(p, `loadBlueprint: no problem at ${c.path}`);
      assert.ok(p.line >= 1 && p.line <= text.split("\n").length, `line ${p.line} in the file`);
    });
  }

  test("at the limits exactly, names are accepted and render within Kubernetes' limits", () => {
    const a = arch("a".repeat(30), {
      components: [
        svc("s".repeat(21)), // Service 52 <= 63
        { name: "b".repeat(21), type: "postgres" }, // StatefulSet 52
        { ...svc("c".repeat(21)), type: "cron", schedule: "0 * * * *" }, // CronJob 52
      ],
    });
    const v = validateArchitecture(a);
    assert.ok(v.architecture, v.issues.map((i) => i.message).join("; "));
    const r = render(v.architecture);
    for (const o of r.objects) {
      assert.ok(o.metadata.name.length <= 253, o.metadata.name);
      if (["StatefulSet", "CronJob"].includes(o.kind))
        assert.ok(o.metadata.name.length <= 52, `${o.kind} ${o.metadata.name}`);
      if (o.kind === "Service") assert.ok(o.metadata.name.length <= 63, o.metadata.name);
    }
  });
});

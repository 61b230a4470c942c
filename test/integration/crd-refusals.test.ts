// Invalid Architectures sent straight to the API server (`kubectl apply -f`
// of raw YAML, no archctl in between) are refused there, by the CRD's OpenAPI
// schema and CEL rules, with a message a person understands; nothing is stored.
// First: the cluster names, before test/support/cluster.ts is evaluated.
import "../support/rel-cluster.ts";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TestCluster } from "../support/cluster.ts";
import { getCluster, stopFileClusterOf } from "../support/cluster.ts";
import { installCrd } from "../support/operator.ts";

let cluster: TestCluster;
// Its own cluster: gone when this file ends (test/cluster/README.md, "One cluster at a time").
after(() => stopFileClusterOf(cluster));
before(async () => {
  cluster = await getCluster("apiserver");
  await installCrd(cluster);
});

const head = (name: string) => `apiVersion: archctl.io/v1alpha1
kind: Architecture
metadata:
  name: ${name}
spec:
`;

interface Case {
  name: string;
  yaml: string;
  /** What the person reading kubectl's error must see. */
  message: RegExp;
  /** Where: the field path the API server names. */
  field?: RegExp;
}

const CASES: Case[] = [
  {
    name: "uses names a component that does not exist",
    yaml: `${head("bad-uses")}  components:
    - {name: api, type: service, image: ghcr.io/example/api:1, uses: [db]}
`,
    message: /every name in uses must be a component of this Architecture/,
    field: /spec/,
  },
  {
    name: "autoscaling on a datastore",
    yaml: `${head("bad-scale")}  components:
    - {name: api, type: service, image: ghcr.io/example/api:1}
    - {name: db, type: postgres}
  autoscaling:
    - {component: db, minReplicas: 1, maxReplicas: 3, targetCPUUtilization: 70}
`,
    message:
      /autoscaling applies only to service, gateway or worker components of this Architecture/,
  },
  {
    name: "gpu pool not defined",
    yaml: `${head("bad-gpu")}  components:
    - {name: embed, type: worker, image: ghcr.io/example/e:1, gpu: {pool: a100, count: 1}}
`,
    message: /every gpu\.pool must be defined in spec\.gpuPools/,
  },
  {
    name: "minReplicas above maxReplicas",
    yaml: `${head("bad-minmax")}  components:
    - {name: api, type: service, image: ghcr.io/example/api:1}
  autoscaling:
    - {component: api, minReplicas: 5, maxReplicas: 2, targetCPUUtilization: 70}
`,
    message: /minReplicas must not exceed maxReplicas/,
    field: /spec\.autoscaling\[0\]/,
  },
  {
    name: "a schedule on a component that is not a cron",
    yaml: `${head("bad-schedule")}  components:
    - {name: api, type: service, image: ghcr.io/example/api:1, schedule: "0 * * * *"}
`,
    message: /schedule is required for type cron and allowed only there/,
    field: /spec\.components\[0\]/,
  },
  {
    name: "a cron without a schedule",
    yaml: `${head("bad-cron")}  components:
    - {name: tick, type: cron, image: busybox:1.36}
`,
    message: /schedule is required for type cron and allowed only there/,
  },
  {
    name: "an application component without an image",
    yaml: `${head("bad-image")}  components:
    - {name: api, type: service}
`,
    message: /application components \(service, gateway, worker, job, cron\) need an image/,
    field: /spec\.components\[0\]/,
  },
  {
    name: "a name over 40 characters",
    yaml: `${head("a".repeat(41))}  components:
    - {name: api, type: service, image: ghcr.io/example/api:1}
`,
    message:
      /the name of an Architecture is at most 40 characters: its objects are named <name>-<component>/,
  },
  {
    name: "two components with one name",
    yaml: `${head("bad-dup")}  components:
    - {name: api, type: service, image: ghcr.io/example/api:1}
    - {name: api, type: redis}
`,
    message: /Duplicate value: .*"name":"api"/,
    field: /spec\.components\[1\]/,
  },
  {
    name: "an unknown component type",
    yaml: `${head("bad-type")}  components:
    - {name: api, type: lambda, image: ghcr.io/example/api:1}
`,
    message: /Unsupported value: "lambda": supported values: "service", "gateway"/,
  },
  {
    name: "an upper-case component name",
    yaml: `${head("bad-case")}  components:
    - {name: API, type: service, image: ghcr.io/example/api:1}
`,
    message: /spec\.components\[0\]\.name.*should match/,
  },
  {
    name: "storage on an application component",
    yaml: `${head("bad-storage")}  components:
    - {name: api, type: service, image: ghcr.io/example/api:1, storage: {size: 1Gi}}
`,
    message: /storage is only for datastore components/,
  },
  {
    // Once passed every check, then made every reconcile throw (Invalid time value).
    name: "a ttl past the one-year bound",
    yaml: `${head("bad-ttl")}  ttl: 100000000d
  components:
    - {name: api, type: service, image: ghcr.io/example/api:1}
`,
    message: /must be at most 365d/,
    field: /spec\.ttl/,
  },
  {
    name: "a ttl whose parts add up past the bound",
    yaml: `${head("bad-ttl-sum")}  ttl: 300d2000h
  components:
    - {name: api, type: service, image: ghcr.io/example/api:1}
`,
    message: /must be at most 365d/,
  },
];

test("kubectl apply of invalid Architectures is refused by the CRD's schema and CEL rules, with a readable message", async (t) => {
  const ns = await cluster.namespace(t, { prefix: "crd-refusals" });
  let refused = 0;
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const r = await cluster.kubectl(["apply", "-n", ns, "-f", "-"], {
        input: c.yaml,
        reject: false,
      });
      assert.notEqual(r.exitCode, 0, `accepted:\n${r.stdout}`);
      assert.match(r.stderr, /is invalid/, r.stderr);
      assert.match(r.stderr, c.message, r.stderr);
      if (c.field) assert.match(r.stderr, c.field, r.stderr);
      // One line a person can read: no Go stack, no schema dump.
      assert.ok(r.stderr.length < 2000, `a ${r.stderr.length}-character error`);
      const name = /name: (\S+)/.exec(c.yaml)?.[1] ?? "";
      const got = await cluster.kubectl(["get", "architecture", name, "-n", ns], {
        reject: false,
      });
      assert.notEqual(got.exitCode, 0, "stored anyway");
      refused++;
    });
  }
  // Control: a valid one is accepted, so the refusals are not an artefact.
  const ok = await cluster.kubectl(["apply", "-n", ns, "-f", "-"], {
    input: `${head("fine")}  ttl: 364d23h60m
  components:
    - {name: api, type: service, image: ghcr.io/example/api:1, uses: [db]}
    - {name: db, type: postgres}
`,
  });
  assert.match(ok.stdout, /created/);
  t.diagnostic(
    `${refused} of ${CASES.length} invalid Architectures refused by the API server; a valid control accepted`,
  );
});

// Member counts of replicated datastores: odd counts for consensus engines,
// no step below a majority, Kafka shrinking only when forced, members beyond
// the nodes a warning; and the operator's refusal of the same steps.
import assert from "node:assert/strict";
import { test } from "node:test";
import { schedulableNodes } from "../../cli/plan/nodes.ts";
import type { Architecture } from "../../operator/api/schema.ts";
import {
  checkMemberChanges,
  checkMembersFitNodes,
  memberChangeRefusal,
} from "../../operator/api/semantics/membership.ts";
import { formatPath, validateArchitecture } from "../../operator/api/validate.ts";
import { destructiveChange } from "../../operator/reconcile/immutable.ts";
import { render } from "../../operator/render/index.ts";

function arch(components: unknown[], annotations?: Record<string, string>): Architecture {
  return {
    apiVersion: "archctl.io/v1alpha1",
    kind: "Architecture",
    metadata: { name: "shop", namespace: "prod", ...(annotations ? { annotations } : {}) },
    spec: {
      components: [{ name: "api", type: "service", image: "ex/api:1" }, ...components],
    } as Architecture["spec"],
  };
}

const problems = (components: unknown[]): string[] =>
  validateArchitecture(arch(components))
    .issues.filter((i) => i.severity === "error")
    .map((i) => `${formatPath(i.path)}: ${i.message} (${i.hint})`);

test("even member counts of consensus engines are refused with the reason and a fix", () => {
  for (const type of ["rabbitmq", "kafka"]) {
    const got = problems([{ name: "q", type, replicas: 4 }]);
    assert.equal(got.length, 1, got.join("\n"));
    assert.match(
      got[0] ?? "",
      /^spec\.components\[1\]\.replicas: .*decides by majority: 4 members/,
    );
    assert.match(got[0] ?? "", /use an odd number of replicas: 3 or 5/);
    assert.deepEqual(problems([{ name: "q", type, replicas: 3 }]), []);
  }
  // Primary/replica engines have no vote: two members are fine.
  assert.deepEqual(problems([{ name: "db", type: "postgres", replicas: 2 }]), []);
  assert.deepEqual(problems([{ name: "c", type: "redis", replicas: 2 }]), []);
});

test("mysql and mongodb replicate (mongodb: odd counts); milvus says why it stays standalone", () => {
  assert.deepEqual(problems([{ name: "m", type: "mysql", replicas: 2 }]), []);
  assert.deepEqual(problems([{ name: "m", type: "mysql", replicas: 3 }]), []);
  assert.deepEqual(problems([{ name: "m", type: "mongodb", replicas: 3 }]), []);
  assert.match(problems([{ name: "m", type: "mongodb", replicas: 2 }])[0] ?? "", /even|odd/);
  assert.match(
    problems([{ name: "v", type: "milvus", replicas: 3 }])[0] ?? "",
    /standalone.*cluster mode would take/,
  );
});

test("a step below a majority of the current members is refused, a step to it is not", () => {
  assert.match(
    memberChangeRefusal("rabbitmq", "q", 5, 1, false)?.message ?? "",
    /below a majority \(3\)/,
  );
  assert.match(memberChangeRefusal("rabbitmq", "q", 5, 1, false)?.hint ?? "", /first to 3/);
  assert.equal(memberChangeRefusal("rabbitmq", "q", 5, 3, false), undefined);
  assert.equal(memberChangeRefusal("rabbitmq", "q", 3, 5, false), undefined);
  // Stopping all members is no quorum change (scale to zero).
  assert.equal(memberChangeRefusal("rabbitmq", "q", 3, 0, false), undefined);
  // Not a consensus engine: any step.
  assert.equal(memberChangeRefusal("postgres", "db", 3, 1, false), undefined);
});

test("shrinking kafka is refused unless forced; forcing does not bypass the majority rule", () => {
  assert.match(
    memberChangeRefusal("kafka", "log", 5, 3, false)?.message ?? "",
    /only in-sync copies/,
  );
  assert.match(
    memberChangeRefusal("kafka", "log", 5, 3, false)?.hint ?? "",
    /archctl\.io\/allow-shrink=log/,
  );
  assert.equal(memberChangeRefusal("kafka", "log", 5, 3, true), undefined);
  assert.ok(memberChangeRefusal("kafka", "log", 5, 1, true));
});

test("plan: the refused member changes between the stored and the applied spec", () => {
  const before = arch([{ name: "log", type: "kafka", replicas: 5 }]);
  const after = arch([{ name: "log", type: "kafka", replicas: 3 }]);
  const issues = checkMemberChanges(before, after);
  assert.equal(issues.length, 1);
  assert.deepEqual(issues[0]?.path, ["spec", "components", 1, "replicas"]);
  const forced = arch([{ name: "log", type: "kafka", replicas: 3 }], {
    "archctl.io/allow-shrink": "log",
  });
  assert.deepEqual(checkMemberChanges(before, forced), []);
  assert.deepEqual(checkMemberChanges(undefined, after), []);
});

test("members beyond the schedulable nodes are a warning; cordoned and tainted nodes do not count", () => {
  const nodes = [
    {},
    { spec: {} },
    { spec: { unschedulable: true } },
    { spec: { taints: [{ effect: "NoSchedule" }] } },
    { spec: { taints: [{ effect: "PreferNoSchedule" }] } },
  ];
  assert.equal(schedulableNodes(nodes), 3);
  const a = arch([
    { name: "db", type: "postgres", replicas: 5 },
    { name: "q", type: "rabbitmq", replicas: 3 },
  ]);
  const w = checkMembersFitNodes(a, 3);
  assert.equal(w.length, 1);
  assert.equal(w[0]?.severity, "warning");
  assert.match(
    w[0]?.message ?? "",
    /postgres 'db' has 5 members but the cluster has 3 schedulable nodes/,
  );
});

test("the operator refuses the same steps on the live StatefulSet (and plan flags them as refused)", () => {
  const sts = (replicas: number, annotations?: Record<string, string>) => {
    const o = render(arch([{ name: "log", type: "kafka", replicas }], annotations)).objects.find(
      (x) => x.kind === "StatefulSet" && x.metadata.name === "shop-log",
    );
    assert.ok(o);
    return o;
  };
  const blocked = destructiveChange(sts(3), sts(5));
  assert.equal(blocked?.field, "spec.replicas");
  assert.equal(blocked?.component, "log");
  assert.match(blocked?.message ?? "", /only in-sync copies/);
  assert.equal(destructiveChange(sts(3, { "archctl.io/allow-shrink": "log" }), sts(5)), undefined);
  assert.equal(destructiveChange(sts(5), sts(3)), undefined);
});

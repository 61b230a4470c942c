// A 422 says "fix your blueprint" only when a field of the blueprint is at
// fault: an Architecture's spec, and only at the CLI. A refused child (an
// immutable selector of an object created earlier or by hand) or a refused
// status speaks of that object and its likely cause, in the operator's words
// (describeKubeError), which carry no CLI advice at all. Bodies as
// kube-apiserver sends them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { explainKubeError } from "../../../cli/kube-errors.ts";
import { describeKubeError, KubeApiError } from "../../../operator/kube/errors.ts";

const invalid = (path: string, kind: string, name: string, causes: object[], message: string) =>
  new KubeApiError("PATCH", path, 422, {
    kind: "Status",
    status: "Failure",
    code: 422,
    reason: "Invalid",
    message,
    details: { name, kind, causes },
  });

const BLUEPRINT_ADVICE = /archctl validate|Fix those fields/;

test("an immutable selector of an existing Deployment: delete it or rename, not 'fix your blueprint'", () => {
  const line = describeKubeError(
    invalid(
      "/apis/apps/v1/namespaces/shop/deployments/shop-api?fieldManager=archctl-operator&force=true",
      "Deployment",
      "shop-api",
      [
        {
          reason: "FieldValueInvalid",
          field: "spec.selector",
          message:
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"shop-api"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
        },
      ],
      'Deployment.apps "shop-api" is invalid: spec.selector: Invalid value: ...: field is immutable',
    ),
  );
  assert.match(
    line,
    /^the API server refused Deployment shop-api \(422 Invalid\): spec\.selector: /,
  );
  assert.match(line, /created with other values in fields that cannot change/);
  assert.match(line, /kubectl delete deployments\.apps shop-api -n shop/);
  assert.doesNotMatch(line, BLUEPRINT_ADVICE);
});

test("a refused status is archctl's bug, not the blueprint's", () => {
  const line = describeKubeError(
    invalid(
      "/apis/archctl.io/v1alpha1/namespaces/team/architectures/tq/status",
      "Architecture",
      "tq",
      [
        {
          reason: "FieldValueDuplicate",
          field: "status.conditions[4]",
          message: 'Duplicate value: map[string]interface {}{"type":"KedaMissing"}',
        },
      ],
      'Architecture.archctl.io "tq" is invalid: status.conditions[4]: Duplicate value',
    ),
  );
  assert.match(line, /status\.conditions\[4\]: Duplicate value/);
  assert.match(line, /a bug in archctl/);
  assert.doesNotMatch(line, BLUEPRINT_ADVICE);
});

test("a child refused by the cluster's policy points at the rendering and the policy", () => {
  const line = describeKubeError(
    invalid(
      "/api/v1/namespaces/shop/services/shop-api",
      "Service",
      "shop-api",
      [],
      "ValidatingAdmissionPolicy 'no-nodeport' with binding 'b' denied request: NodePort is not allowed",
    ),
  );
  assert.match(line, /denied request: NodePort is not allowed/);
  assert.match(line, /archctl's rendering of the Architecture/);
  assert.doesNotMatch(line, BLUEPRINT_ADVICE);
});

test("an Architecture's own spec refused: the blueprint's fields, and how to check them offline", () => {
  const line = explainKubeError(
    invalid(
      "/apis/archctl.io/v1alpha1/namespaces/team/architectures/post",
      "Architecture",
      "post",
      [{ field: "spec.ttl", message: 'Invalid value: "soon"' }],
      "invalid",
    ),
  );
  assert.match(line, /Fix those fields \(archctl validate -f FILE/);
  // The operator never writes an Architecture's spec, and never gives CLI advice.
  const fact = describeKubeError(
    invalid(
      "/apis/archctl.io/v1alpha1/namespaces/team/architectures/post",
      "Architecture",
      "post",
      [{ field: "spec.ttl", message: 'Invalid value: "soon"' }],
      "invalid",
    ),
  );
  assert.doesNotMatch(fact, BLUEPRINT_ADVICE);
});

test("the operator's words carry no CLI advice, whatever the error", () => {
  const CLI =
    /--context|--kubeconfig|-n\)|--force-conflicts|archctl (install|validate|dev|render)|run the command again/;
  const errors = [
    new KubeApiError("PATCH", "/apis/apps/v1/namespaces/shop/deployments/x", 401, {}),
    new KubeApiError("PATCH", "/apis/apps/v1/namespaces/shop/deployments/x", 403, {
      message:
        'deployments.apps "x" is forbidden: User "system:serviceaccount:archctl:op" cannot patch resource "deployments" in API group "apps" in the namespace "shop"',
    }),
    new KubeApiError("GET", "/apis/archctl.io/v1alpha1/namespaces/a/architectures", 404, {}),
    new KubeApiError("GET", "/api/v1/namespaces/shop/services/x", 404, {
      details: { name: "x", kind: "services" },
    }),
    new KubeApiError("PATCH", "/api/v1/namespaces/shop/services/x", 409, {
      message: "Apply failed with 1 conflict: conflict with kubectl",
    }),
    new KubeApiError("PATCH", "/api/v1/namespaces/shop/services/x", 409, { message: "changed" }),
  ];
  for (const err of errors) {
    const fact = describeKubeError(err);
    assert.doesNotMatch(fact, CLI, fact);
    // The CLI says the same fact, and then what to type.
    assert.ok(explainKubeError(err).startsWith(fact.replace(/\.$/, "")), explainKubeError(err));
  }
});

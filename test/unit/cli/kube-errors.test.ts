// What archctl says when the API server (or the lack of one) says no: one line
// each with what, where and the next step, and the exit code it maps to. The
// errors are built from the Status bodies kube-apiserver sends (captured from
// a real one), so only explainKubeError / connectionError / planError run here.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { planError } from "../../../cli/commands/plan.ts";
import { UserError } from "../../../cli/context.ts";
import { EXIT_CODES_HELP, ExitCode } from "../../../cli/exit-codes.ts";
import {
  connectionError,
  explainKubeError,
  inSourceCheckout,
  noClusterHint,
} from "../../../cli/kube-errors.ts";
import { loadKubeConfig } from "../../../operator/kube/config.ts";
import { ClusterUnreachableError, KubeApiError } from "../../../operator/kube/errors.ts";
import { tempDir } from "./helpers.ts";

const ARCH = "/apis/archctl.io/v1alpha1/namespaces/team/architectures/post";

const api = (method: string, path: string, status: number, body: object) =>
  new KubeApiError(method, path, status, {
    kind: "Status",
    status: "Failure",
    code: status,
    ...body,
  });

const cases: { name: string; err: unknown; code: number; says: RegExp[] }[] = [
  {
    name: "401: credentials, with how to refresh them",
    err: api("GET", ARCH, 401, { reason: "Unauthorized", message: "Unauthorized" }),
    code: ExitCode.UNREACHABLE,
    says: [
      /did not accept your credentials \(401 Unauthorized\) to get architectures\.archctl\.io in namespace team/,
      /log in again or refresh the credentials/,
      /--context/,
    ],
  },
  {
    name: "403 from RBAC: the user, verb, resource and namespace, and what to ask for",
    err: api("PATCH", ARCH, 403, {
      reason: "Forbidden",
      message:
        'architectures.archctl.io "post" is forbidden: User "jane" cannot patch resource "architectures" in API group "archctl.io" in the namespace "team"',
      details: { name: "post", group: "archctl.io", kind: "architectures" },
    }),
    code: ExitCode.REFUSED,
    says: [
      /^forbidden: user jane may not patch architectures\.archctl\.io in namespace team\./,
      /Ask your cluster admin for a Role and RoleBinding allowing 'patch' on 'architectures' in API group 'archctl\.io' in team/,
      /kubectl auth can-i patch architectures\.archctl\.io -n team/,
    ],
  },
  {
    name: "403 at the cluster scope, core group: a ClusterRole",
    err: api("GET", "/api/v1/nodes", 403, {
      reason: "Forbidden",
      message:
        'nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope',
    }),
    code: ExitCode.REFUSED,
    says: [
      /^forbidden: user jane may not list nodes cluster-wide\./,
      /a ClusterRole and ClusterRoleBinding allowing 'list' on 'nodes' in API group ''/,
      /kubectl auth can-i list nodes\)/,
    ],
  },
  {
    name: "403 not from RBAC (a terminating namespace): the server's reason",
    err: api("POST", "/api/v1/namespaces/old/configmaps", 403, {
      reason: "Forbidden",
      message:
        'configmaps "x" is forbidden: unable to create new content in namespace old because it is being terminated',
    }),
    code: ExitCode.REFUSED,
    says: [/refused to create configmaps in namespace old \(403 Forbidden\): .*being terminated/],
  },
  {
    name: "404 of the archctl.io group: archctl is not installed",
    err: api("GET", "/apis/archctl.io/v1alpha1/namespaces/team/architectures", 404, {
      reason: "NotFound",
      message: "the server could not find the requested resource",
      details: {},
    }),
    code: ExitCode.NOT_FOUND,
    says: [
      /^archctl is not installed in this cluster \(no Architecture CRD\): run archctl install/,
    ],
  },
  {
    name: "404 under the archctl.io group when it is not served (a plain-text 404 page)",
    err: api("GET", "/apis/archctl.io/v1alpha1/namespaces/team/architectures", 404, {
      message: "404 page not found\n",
    }),
    code: ExitCode.NOT_FOUND,
    says: [/^archctl is not installed in this cluster \(no Architecture CRD\)/],
  },
  {
    name: "404 of one Architecture is not 'not installed'",
    err: api("GET", ARCH, 404, {
      reason: "NotFound",
      message: 'architectures.archctl.io "post" not found',
      details: { name: "post", group: "archctl.io", kind: "architectures" },
    }),
    code: ExitCode.NOT_FOUND,
    says: [/^architectures post not found in namespace team/],
  },
  {
    name: "404 of a missing namespace: create it",
    err: api("PATCH", "/apis/archctl.io/v1alpha1/namespaces/nope/architectures/post", 404, {
      reason: "NotFound",
      message: 'namespaces "nope" not found',
      details: { name: "nope", kind: "namespaces" },
    }),
    code: ExitCode.NOT_FOUND,
    says: [/^namespace nope not found: create it: kubectl create namespace nope/, /-n/],
  },
  {
    name: "404 of an object: which, where, and how to list them",
    err: api("GET", "/apis/apps/v1/namespaces/team/deployments/web", 404, {
      reason: "NotFound",
      message: 'deployments.apps "web" not found',
      details: { name: "web", group: "apps", kind: "deployments" },
    }),
    code: ExitCode.NOT_FOUND,
    says: [
      /^deployments web not found in namespace team: check the name and the namespace \(-n\)/,
      /kubectl get deployments\.apps -n team/,
    ],
  },
  {
    name: "409 from server-side apply: the fields and --force-conflicts",
    err: api("PATCH", ARCH, 409, {
      reason: "Conflict",
      message: 'Apply failed with 1 conflict: conflict with "kubectl": .spec.ttl',
      details: { causes: [{ reason: "FieldManagerConflict", field: ".spec.ttl" }] },
    }),
    code: ExitCode.FAILURE,
    says: [
      /^conflict on architectures\.archctl\.io in namespace team: Apply failed/,
      /--force-conflicts/,
    ],
  },
  {
    name: "409 optimistic concurrency: run again",
    err: api("PUT", ARCH, 409, {
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on architectures.archctl.io "post": the object has been modified',
    }),
    code: ExitCode.FAILURE,
    says: [
      /the object has been modified\. The object changed while archctl wrote it: run the command again/,
    ],
  },
  {
    name: "409 AlreadyExists",
    err: api("POST", "/api/v1/namespaces", 409, {
      reason: "AlreadyExists",
      message: 'namespaces "team" already exists',
    }),
    code: ExitCode.FAILURE,
    says: [
      /^create namespaces: namespaces "team" already exists; delete it first or choose another name/,
    ],
  },
  {
    name: "422: every cause with its field, and how to check offline",
    err: api("PATCH", ARCH, 422, {
      reason: "Invalid",
      message: 'Architecture.archctl.io "post" is invalid: ...',
      details: {
        name: "post",
        kind: "Architecture",
        causes: [
          { field: "spec.components[0].replicas", message: "Invalid value: -1: should be >= 0" },
          { field: "spec.ttl", message: 'Invalid value: "soon"' },
        ],
      },
    }),
    code: ExitCode.REFUSED,
    says: [
      /^the API server refused Architecture post \(422 Invalid\): spec\.components\[0\]\.replicas: Invalid value: -1: should be >= 0; spec\.ttl: Invalid value: "soon"\./,
      /archctl validate -f FILE/,
    ],
  },
  {
    name: "500 (a failing admission webhook): server side, retry or ask the admin",
    err: api("PATCH", ARCH, 500, {
      reason: "InternalError",
      message:
        'Internal error occurred: failed calling webhook "deny.example.com": failed to call webhook: Post "https://127.0.0.1:1/?timeout=2s": dial tcp 127.0.0.1:1: connect: connection refused',
    }),
    code: ExitCode.FAILURE,
    says: [
      /^patch architectures\.archctl\.io in namespace team failed: the API server answered 500 InternalError: Internal error occurred: failed calling webhook/,
      /problem on the server side: try again; if it persists, ask your cluster admin/,
    ],
  },
  {
    name: "503",
    err: api("GET", "/apis/keda.sh/v1alpha1", 503, {
      reason: "ServiceUnavailable",
      message: "service unavailable",
    }),
    code: ExitCode.FAILURE,
    says: [
      /^get \/apis\/keda\.sh\/v1alpha1 failed: the API server answered 503 ServiceUnavailable/,
    ],
  },
  {
    name: "unreachable: the server and context, and how to check which cluster is used",
    err: new ClusterUnreachableError(
      "https://127.0.0.1:9",
      "dead",
      Object.assign(new TypeError("fetch failed"), {
        cause: new Error("connect ECONNREFUSED 127.0.0.1:9"),
      }),
    ),
    code: ExitCode.UNREACHABLE,
    says: [
      /^no cluster at https:\/\/127\.0\.0\.1:9 \(context dead\): connect ECONNREFUSED 127\.0\.0\.1:9\./,
      /kubectl config current-context/,
      /--kubeconfig FILE \/ --context NAME/,
    ],
  },
];

describe("explainKubeError and the exit codes of API failures", () => {
  for (const c of cases) {
    test(c.name, () => {
      const line = explainKubeError(c.err);
      for (const re of c.says) assert.match(line, re);
      assert.doesNotMatch(line, /\n/, "one line");
      const mapped = connectionError(c.err);
      assert.ok(mapped instanceof UserError);
      assert.equal(mapped.exitCode, c.code);
      assert.equal(mapped.message, line);
    });
  }
});

describe("no cluster: the hints fit where archctl runs", () => {
  test("npm run cluster:up only from a source checkout", () => {
    assert.equal(inSourceCheckout(), true, "the tests run in a checkout");
    assert.match(noClusterHint(true), /npm run cluster:up/);
    const installed = noClusterHint(false);
    assert.doesNotMatch(installed, /cluster:up/);
    assert.match(installed, /kubectl config current-context/);
    assert.match(installed, /--kubeconfig FILE \/ --context NAME/);
  });

  test("a kubeconfig without a current context names the file and what to check", () => {
    const file = join(tempDir(), "empty.kubeconfig");
    writeFileSync(file, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
    assert.throws(
      () => loadKubeConfig({ kubeconfig: file }),
      (e: Error) => {
        // The fact from the loader; what to check from the CLI.
        const line = connectionError(e).message;
        return (
          e.message.includes(`the kubeconfig (${file}) has no current context`) &&
          !/kubectl config current-context/.test(e.message) &&
          /kubectl config current-context/.test(line)
        );
      },
    );
  });
});

test("no kubeconfig anywhere: exit 4 saying so, not client-node's refusal of its http://localhost:8080 fallback", () => {
  const saved = {
    HOME: process.env.HOME,
    KUBECONFIG: process.env.KUBECONFIG,
    KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST,
  };
  process.env.HOME = tempDir();
  delete process.env.KUBECONFIG;
  delete process.env.KUBERNETES_SERVICE_HOST;
  try {
    assert.throws(
      () => loadKubeConfig(),
      (e: Error) => {
        const err = connectionError(e) as UserError;
        return (
          err.exitCode === ExitCode.UNREACHABLE &&
          /KUBECONFIG is not set and ~\/\.kube\/config does not exist/.test(err.message)
        );
      },
    );
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
});

describe("plan's exit codes: 1 only for changes", () => {
  test("a failure another command reports with 1 becomes 7; 2-6 stay", () => {
    const server = connectionError(
      api("PATCH", ARCH, 500, {
        reason: "InternalError",
        message: "etcdserver: request timed out",
      }),
    );
    assert.equal((server as UserError).exitCode, ExitCode.FAILURE, "apply would exit 1");
    const p = planError(server);
    assert.equal(p.exitCode, ExitCode.PLAN_FAILED);
    assert.notEqual(p.exitCode, ExitCode.CHANGES);
    assert.equal(p.message, (server as UserError).message);
    for (const code of [2, 3, 4, 5, 6] as const)
      assert.equal(planError(new UserError("x", code)).exitCode, code);
  });

  test("an internal error exits 7 with one line and the ARCHCTL_DEBUG hint, no trace", () => {
    const p = planError(new TypeError("cannot read properties of undefined"));
    assert.equal(p.exitCode, ExitCode.PLAN_FAILED);
    assert.equal(
      p.message,
      "internal error: cannot read properties of undefined\nrerun with ARCHCTL_DEBUG=1 for details",
    );
  });

  test("archctl --help documents it", () => {
    assert.match(EXIT_CODES_HELP, /^ {2}0 {4}success \(plan: no changes\)$/m);
    assert.match(
      EXIT_CODES_HELP,
      /^ {2}1 {4}failure, or the Architecture is Degraded \(plan: there are changes\)$/m,
    );
    assert.match(EXIT_CODES_HELP, /^ {2}7 {4}plan only: /m);
  });
});

// Imported first (a side-effect import) by the reliability and security tests:
// their own cluster names, set before test/support/cluster.ts reads them at
// import time. Static imports are evaluated before a module's own statements,
// so setting process.env at the top of a test file comes too late.
// Per checkout, like the shared test clusters: another checkout's run must not stop them.
import { CHECKOUT_ID } from "./checkout-id.ts";

process.env.ARCHCTL_TEST_CLUSTER_NAME ||= `archctl-test-rel-${CHECKOUT_ID}`;
process.env.ARCHCTL_TEST_APISERVER_NAME ||= `archctl-test-rel-api-${CHECKOUT_ID}`;

// The reliability cluster's kube-apiserver keeps an audit log
// (test/cluster/kwokctl-config.ts: auditLogPath), so that a test can check from
// the API server's side who wrote what: every write request, and every request
// on Leases (so a replica that only campaigns still shows up), at Metadata
// level (user agent, verb, object, response code; no bodies). Reads of other
// resources are not logged: they are most of the traffic and prove nothing here.
process.env.ARCHCTL_CLUSTER_AUDIT_POLICY ||= JSON.stringify({
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  omitManagedFields: true,
  rules: [
    { level: "Metadata", verbs: ["create", "update", "patch", "delete", "deletecollection"] },
    { level: "Metadata", resources: [{ group: "coordination.k8s.io", resources: ["leases"] }] },
    { level: "None" },
  ],
});

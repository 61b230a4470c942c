// Imported first (a side-effect import) by the chart and install tests: their own
// apiserver cluster (archctl-test-chart-<checkout> unless ARCHCTL_TEST_APISERVER_NAME
// is set), because they install and delete cluster-wide objects (ClusterRoles, the
// CRD). Per checkout, so two checkouts on one machine never share (or restart)
// each other's cluster. Set before test/support/cluster.ts reads it at import time.
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

process.env.ARCHCTL_TEST_APISERVER_NAME ||= `archctl-test-chart-${createHash("sha256")
  .update(fileURLToPath(new URL("../../", import.meta.url)))
  .digest("hex")
  .slice(0, 6)}`;

// Imported first (a side-effect import) by the CLI error tests
// (test/integration/cli-*-errors.test.ts, cli-errors.test.ts): their own
// apiserver cluster, archctl-test-clierr-<checkout> unless
// ARCHCTL_TEST_APISERVER_NAME is set, named before test/support/cluster.ts
// reads it at import time. Their own, because cli-errors.test.ts's first test
// needs a cluster without the Architecture CRD, and they write cluster-wide
// objects (the CRD, a ValidatingWebhookConfiguration).
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

// The same hash of the checkout's path (with its trailing slash) as before
// these tests were split, so that the cluster keeps its name.
const CHECKOUT = createHash("sha256")
  .update(fileURLToPath(new URL("../../", import.meta.url)))
  .digest("hex")
  .slice(0, 6);
process.env.ARCHCTL_TEST_APISERVER_NAME ||= `archctl-test-clierr-${CHECKOUT}`;

// Imported first (a side-effect import) by the reliability and security tests:
// their own cluster names, set before test/support/cluster.ts reads them at
// import time. Static imports are evaluated before a module's own statements,
// so setting process.env at the top of a test file comes too late.
process.env.ARCHCTL_TEST_CLUSTER_NAME ||= "archctl-test-rel";
process.env.ARCHCTL_TEST_APISERVER_NAME ||= "archctl-test-rel-api";

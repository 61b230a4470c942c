import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fromSourceArchitecture,
  secretMissing,
  sourceForbidden,
} from "../../../cli/restore-source.ts";

const source = (backup: Record<string, unknown>) => ({
  metadata: { name: "shop", namespace: "prod" },
  spec: {
    components: [
      { name: "db", type: "postgres" },
      { name: "cache", type: "redis" },
    ],
    backups: [{ component: "db", schedule: "@daily", ...backup }],
  },
});
const S3 = {
  s3: { bucket: "bkt", prefix: "shop/", endpoint: "http://minio:9000", credentialsSecret: "aws" },
};
const from = { namespace: "prod", architecture: "shop", component: "db" };

test("another namespace's S3 backups: bucket, prefix and endpoint copied, the Secret is this namespace's", () => {
  assert.deepEqual(fromSourceArchitecture(from, source(S3), "postgres", "staging", "reader"), {
    ...from,
    s3: {
      bucket: "bkt",
      prefix: "shop/",
      endpoint: "http://minio:9000",
      credentialsSecret: "reader",
    },
  });
  // Without --credentials-secret: the same name as the source's Secret (which must exist here too).
  assert.equal(
    fromSourceArchitecture(from, source(S3), "postgres", "staging").s3?.credentialsSecret,
    "aws",
  );
});

test("refusals: PVC across namespaces, other engine, no such component, no backups", () => {
  assert.throws(
    () => fromSourceArchitecture(from, source({ pvc: { size: "1Gi" } }), "postgres", "staging"),
    (e: Error & { exitCode?: number }) =>
      /prod\/shop keeps the backups of 'db' on a PVC, which a pod in namespace staging cannot mount/.test(
        e.message,
      ),
  );
  assert.throws(
    () => fromSourceArchitecture(from, source(S3), "mysql", "staging"),
    /prod\/shop\/db is a postgres; the target is a mysql/,
  );
  assert.throws(
    () => fromSourceArchitecture({ ...from, component: "x" }, source(S3), "postgres", "staging"),
    /prod\/shop has no component 'x' \(it has db, cache\)/,
  );
  assert.throws(
    () => fromSourceArchitecture({ ...from, component: "cache" }, source(S3), "redis", "staging"),
    /prod\/shop has no backups of 'cache'/,
  );
  // The same namespace, on a PVC: the PVC is read as before, nothing added.
  const same = { architecture: "shop", component: "db" };
  assert.deepEqual(
    fromSourceArchitecture(same, source({ pvc: { size: "1Gi" } }), "postgres", "prod"),
    same,
  );
});

test("what a user without rights, or without the Secret, is told", () => {
  assert.match(
    sourceForbidden(from, "staging").message,
    /cannot read Architecture prod\/shop: forbidden\. A restore from it needs 'get' on architectures\.archctl\.io in namespace prod/,
  );
  assert.equal(sourceForbidden(from, "staging").exitCode, 6);
  assert.match(
    secretMissing("aws", "staging").message,
    /Secret 'aws' not found in namespace staging: the restore Job reads the bucket with it/,
  );
});

// `archctl failover` for a MySQL component in-process: a fake cluster for the
// Architecture, its annotation and Events, and a fake kubectl on $KUBECTL that
// plays three members, so the exec wiring (container, script, arguments) and
// what the command writes are what is checked.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Connection } from "../../../cli/cluster.ts";
import { inProcess } from "./in-process.ts";

const P = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const dir = mkdtempSync(join(tmpdir(), "failover-command-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const kubectl = join(dir, "kubectl");
const log = join(dir, "calls.log");
// Logs its arguments; answers as the member and script they name.
writeFileSync(
  kubectl,
  `#!/bin/sh
echo "$*" >> "${dir}/calls.log"
while [ "$1" != exec ]; do shift; done
pod=$2; script=$(basename "$7")
case "$script:$pod" in
  state.sh:post-mysql-0) echo "0;;;0;${P};${P}:1-100;" ;;
  state.sh:post-mysql-1) echo "1;ON;ON;1;aaaaaaaa-0000-0000-0000-000000000001;${P}:1-100;${P}:1-100" ;;
  state.sh:post-mysql-2) echo "1;ON;ON;1;aaaaaaaa-0000-0000-0000-000000000002;${P}:1-97;${P}:1-98" ;;
  fence.sh:*|promote.sh:*) echo "${P}:1-100" ;;
  repoint.sh:*) ;;
  *) echo "no such script" >&2; exit 1 ;;
esac
`,
);
chmodSync(kubectl, 0o755);

function cluster(type: string) {
  const writes: string[] = [];
  const conn = {
    namespace: "shop",
    objects: {
      find: async () => ({
        apiVersion: "archctl.io/v1alpha1",
        kind: "Architecture",
        metadata: { name: "post", namespace: "shop", uid: "u-1" },
        spec: { components: [{ name: "mysql", type, replicas: 3 }] },
      }),
      create: async (o: { reason: string; type: string; note: string }) => {
        writes.push(`event ${o.type} ${o.reason}: ${o.note}`);
        return o;
      },
    },
    rest: {
      request: async (method: string, path: string, opts: { body: unknown }) => {
        writes.push(`${method} ${path} ${JSON.stringify(opts.body)}`);
        return {};
      },
    },
  } as unknown as Connection;
  return { conn, writes };
}

test("fails over a MySQL: each step execs its script in the mysql container, then the annotation and an Event", async () => {
  writeFileSync(log, "");
  const { conn, writes } = cluster("mysql");
  const r = await inProcess(["failover", "post", "mysql"], {
    env: { KUBECTL: kubectl },
    deps: { connect: async () => conn },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^mysql: post-mysql-1 is the primary \(was post-mysql-0\), in \d+ ms\n$/);
  const calls = readFileSync(log, "utf8").trim().split("\n");
  assert.deepEqual(calls.slice(3), [
    "--namespace shop exec post-mysql-0 -c mysql -- sh /etc/archctl/fence.sh",
    "--namespace shop exec post-mysql-1 -c mysql -- sh /etc/archctl/state.sh",
    "--namespace shop exec post-mysql-1 -c mysql -- sh /etc/archctl/promote.sh",
    "--namespace shop exec post-mysql-0 -c mysql -- sh /etc/archctl/repoint.sh post-mysql-1",
    "--namespace shop exec post-mysql-2 -c mysql -- sh /etc/archctl/repoint.sh post-mysql-1",
  ]);
  assert.equal(writes.length, 2);
  assert.match(
    writes[0] ?? "",
    /^PATCH \/apis\/archctl\.io\/v1alpha1\/namespaces\/shop\/architectures\/post \{"metadata":\{"annotations":\{"primary\.archctl\.io\/mysql":"1"\}\}\}$/,
  );
  assert.match(
    writes[1] ?? "",
    /^event Normal FailedOver: mysql: promoted post-mysql-1 in place of post-mysql-0/,
  );
});

test("a MongoDB is refused with the reason, nothing exec'd or written", async () => {
  writeFileSync(log, "");
  const { conn, writes } = cluster("mongodb");
  const r = await inProcess(["failover", "post", "mysql"], {
    env: { KUBECTL: kubectl },
    deps: { connect: async () => conn },
  });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /archctl failover promotes PostgreSQL and MySQL replicas; 'mysql' is a mongodb \(its replica set elects a primary by itself\)/,
  );
  assert.equal(readFileSync(log, "utf8"), "");
  assert.deepEqual(writes, []);
});

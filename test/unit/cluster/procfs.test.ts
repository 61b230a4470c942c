// The /proc parsers the lifecycle test relies on to prove "only 127.0.0.1":
// if they misread an address, that proof would be worthless.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import {
  decodeAddress,
  listenersOf,
  parseProcNet,
  processesMentioning,
  processRunning,
  processState,
  rssKiB,
} from "../../cluster/procfs.ts";

// Lines as the kernel prints them (taken from this machine, inodes kept).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:7FFD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 190133 2 00000000baa59efd 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 190150 2 0000000077c63518 100 0 0 10 0
   2: 0100007F:7FFD 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 190999 1 00000000eb874a6f 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 200001 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 200002 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 200003 1 0000000000000000 100 0 0 10 0
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  10: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 300001 2 0000000000000000 0
  11: 0100007F:D431 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 300002 2 0000000000000000 0
`;

describe("decodeAddress", () => {
  test("IPv4 words are little-endian", () => {
    assert.equal(decodeAddress("0100007F"), "127.0.0.1");
    assert.equal(decodeAddress("00000000"), "0.0.0.0");
    assert.equal(decodeAddress("0101A8C0"), "192.168.1.1");
  });
  test("IPv6: loopback, any, v4-mapped, and a full address", () => {
    assert.equal(decodeAddress("00000000000000000000000001000000"), "::1");
    assert.equal(decodeAddress("00000000000000000000000000000000"), "::");
    assert.equal(decodeAddress("0000000000000000FFFF00000100007F"), "::ffff:127.0.0.1");
    assert.equal(decodeAddress("B80D0120000000000000000001000000"), "2001:db8::1");
  });
  test("anything else is an error naming the input", () => {
    assert.throws(() => decodeAddress("0100"), /not an address from \/proc\/net: '0100'/);
  });
});

describe("parseProcNet", () => {
  test("tcp: LISTEN sockets only, with address, port and inode", () => {
    assert.deepEqual(parseProcNet(TCP, "tcp"), [
      { proto: "tcp", address: "127.0.0.1", port: 32765, inode: 190133 },
      { proto: "tcp", address: "0.0.0.0", port: 8080, inode: 190150 },
    ]);
  });
  test("tcp6: ::1, :: and v4-mapped listeners are told apart", () => {
    assert.deepEqual(
      parseProcNet(TCP6, "tcp6").map((l) => `${l.address}:${l.port}`),
      ["::1:8081", ":::8082", "::ffff:127.0.0.1:8083"],
    );
  });
  test("udp: unconnected sockets are servers, connected ones are clients", () => {
    assert.deepEqual(parseProcNet(UDP, "udp"), [
      { proto: "udp", address: "0.0.0.0", port: 68, inode: 300001 },
    ]);
  });
});

describe("reading /proc for a live process", () => {
  test("listenersOf finds this process's own loopback server and nothing it does not own", async () => {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as { port: number }).port;
    try {
      const mine = listenersOf(process.pid);
      assert.ok(
        mine.some((l) => l.proto === "tcp" && l.address === "127.0.0.1" && l.port === port),
        JSON.stringify(mine),
      );
      // A fresh child process has no server sockets at all.
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 60000)"]);
      await once(child, "spawn");
      try {
        assert.deepEqual(listenersOf(child.pid ?? 0), []);
      } finally {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    } finally {
      server.close();
    }
  });

  test("process state, command-line search and RSS", async () => {
    const marker = `archctl-procfs-marker-${process.pid}`;
    // It says when it runs: right after exec its RSS is still tiny.
    const child = spawn(process.execPath, [
      "-e",
      'process.stdout.write("up"); setInterval(() => {}, 60000)',
      marker,
    ]);
    await once(child.stdout, "data");
    const pid = child.pid ?? 0;
    try {
      assert.deepEqual(processesMentioning(marker), [pid]);
      assert.ok(processRunning(pid));
      assert.match(processState(pid) ?? "", /^[RSD]$/);
      // A Node process needs more than 10 MiB and far less than 10 GiB.
      const rss = rssKiB(pid);
      assert.ok(rss > 10_240 && rss < 10_485_760, `rss ${rss} KiB`);
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    // Reaped by us (we are its parent): gone from /proc.
    assert.equal(processState(pid), undefined);
    assert.equal(processRunning(pid), false);
    assert.deepEqual(processesMentioning(marker), []);
    assert.equal(rssKiB(pid), 0);
  });
});

// RabbitMQ 3.10: the rendered postStart hook imports the rendered definitions
// into a real node, and the exchanges then exist for the application, which
// connects with the URL it is given. A RabbitMQ component has no backup: its
// definitions are in the blueprint and messages are in flight (see README).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import amqp from "amqplib";
import { freePort } from "../support/free-port.ts";
import { type Json, runContainer } from "./pod.ts";
import { ARCH, credentials, onLoopback, renderDatastore } from "./rendered.ts";
import { chownTree, ownedTempDir, removeDir } from "./servers/process.ts";
import { startRabbitmq } from "./servers/rabbitmq.ts";

test("the rendered definitions declare the exchanges on a real node; the application's URL sees them", async () => {
  const exchanges = [
    { name: "orders", type: "topic" },
    { name: "audit", type: "fanout" },
    { name: "direct-jobs", type: "direct" },
  ];
  const r = renderDatastore("rabbitmq", await freePort(), {
    db: { exchanges, settings: { channel_max: "100" } },
  });
  const config = r.find("ConfigMap", `${ARCH}-db-config`).data;
  const server: Json = r.find("StatefulSet", `${ARCH}-db`).spec.template.spec.containers[0];
  const c = credentials(r);
  const node = await startRabbitmq({
    user: c.username as string,
    password: c.password as string,
    cookie: c["erlang-cookie"] as string,
    port: r.db.port as number,
    config: config["rabbitmq.conf"],
  });
  const definitions = ownedTempDir("definitions");
  try {
    writeFileSync(join(definitions, "definitions.json"), config["definitions.json"]);
    chownTree(definitions);
    // The hook as rendered, in the server container's shape (its env and mounts).
    const hook = {
      name: "post-start",
      command: server.lifecycle.postStart.exec.command,
      env: server.env,
      volumeMounts: server.volumeMounts.filter((m: Json) => m.name === "definitions"),
    };
    const res = await runContainer(hook, {
      secrets: r.secrets,
      volumes: { definitions },
      hosts: [r.host],
      // Where the launcher's node is: its name, epmd port and the management CLI.
      env: { ...node.env, PATH: `/usr/lib/rabbitmq/bin:${process.env.PATH}` },
    });
    assert.equal(res.code, 0, `${res.stdout}${res.stderr}`);
    assert.equal(
      (await node.ctl("eval", "application:get_env(rabbit, channel_max).")).trim(),
      "{ok,100}",
    );

    const conn = await amqp.connect(onLoopback(r.appEnv.DB_URL as string, r.host));
    try {
      const ch = await conn.createChannel();
      for (const e of exchanges) await ch.checkExchange(e.name);
      await ch.close();
      // A name that was not declared is refused by the broker: the check above can fail.
      const probe = await conn.createChannel();
      probe.on("error", () => undefined);
      await assert.rejects(probe.checkExchange("not-declared"), /NOT_FOUND/);
    } finally {
      await conn.close().catch(() => undefined);
    }
    const listed = await node.ctl("list_exchanges", "name", "type", "durable");
    for (const e of exchanges)
      assert.match(listed, new RegExp(`^${e.name}\\s+${e.type}\\s+true$`, "m"));
  } finally {
    removeDir(definitions);
    await node.stop();
  }
});

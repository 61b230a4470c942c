// What `archctl secret rotate` rotates and restarts, decided from the spec.
import assert from "node:assert/strict";
import { test } from "node:test";
import { planRotation } from "../../../cli/secret-rotation.ts";
import type { Architecture } from "../../../operator/api/schema.ts";

const arch: Architecture = {
  apiVersion: "archctl.io/v1alpha1",
  kind: "Architecture",
  metadata: { name: "post" },
  spec: {
    secrets: [
      { name: "jwt", generate: { bytes: 64 } },
      { name: "ex", fromSecret: { name: "keys", keys: ["k"] } },
      { name: "stripe", external: { store: "vault", key: "s" } },
    ],
    components: [
      { name: "api", type: "service", image: "x", secretEnv: { JWT: "jwt" } },
      {
        name: "ws",
        type: "gateway",
        image: "x",
        secretFiles: [{ secret: "jwt", mountPath: "/k" }],
      },
      { name: "mailer", type: "worker", image: "x" },
      { name: "nightly", type: "cron", image: "x", schedule: "0 3 * * *", secretEnv: { J: "jwt" } },
    ],
  },
};

test("a generated secret: its Secret, the Deployments that read it, the crons that pick it up later", () => {
  assert.deepEqual(planRotation(arch, "jwt"), {
    secret: "post-jwt-secret",
    generate: { bytes: 64 },
    restart: ["post-api", "post-ws"],
    later: ["nightly"],
  });
});

test("not generated, or not defined: refused with where to rotate it", () => {
  const ex = planRotation(arch, "ex");
  assert.ok("error" in ex);
  assert.match(ex.error, /the Secret keys your team manages: change it there/);
  const stripe = planRotation(arch, "stripe");
  assert.ok("error" in stripe);
  assert.match(stripe.error, /external store 'vault': rotate it there/);
  const none = planRotation(arch, "nope");
  assert.ok("error" in none);
  assert.match(none.error, /has no secret 'nope' \(its secrets: jwt, ex, stripe\)/);
});

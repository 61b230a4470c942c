// A broad table of broken blueprints and bad flags: each must exit 2 with
// `file:line:col  path  message  (hint)` and never a stack trace.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tempDir, writeTemp } from "./helpers.ts";
import { inProcess } from "./in-process.ts";

const VALID = `apiVersion: archctl.io/v1alpha1
kind: Architecture
metadata:
  name: demo
spec:
  components:
    - name: api
      type: service
      image: \${registry}/api:1.0
      uses: [db]
    - name: db
      type: postgres
parameters:
  - name: registry
    description: image registry
    default: ghcr.io/example
environments:
  dev:
    spec:
      components:
        - name: api
          replicas: 1
`;

interface Case {
  name: string;
  /** Blueprint text; undefined = the file does not exist. */
  text?: string;
  args?: string[];
  /** Expected line:col, or undefined to only require one. */
  at?: string;
  path?: string;
  message: RegExp;
  hint?: RegExp;
}

const spec = (extra: string) => VALID.replace("parameters:", `${extra}parameters:`);

const CASES: Case[] = [
  {
    name: "YAML syntax error",
    text: "apiVersion: [a, b\nkind: x\n",
    message: /Flow sequence|must be sufficiently indented|Missing/i,
    hint: /YAML|indent/,
  },
  {
    name: "duplicate key",
    text: VALID.replace("kind: Architecture\n", "kind: Architecture\nkind: Architecture\n"),
    at: "3:1",
    message: /Map keys must be unique/,
    hint: /remove or rename/,
  },
  {
    name: "alias bomb",
    text: `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`,
    message: /too many aliases/,
    hint: /aliases/,
  },
  {
    name: "tab indentation",
    text: "apiVersion: archctl.io/v1alpha1\nmetadata:\n\tname: x\n",
    at: "3:1",
    message: /Tabs/,
    hint: /spaces/,
  },
  {
    name: "two YAML documents",
    text: `${VALID}---\n${VALID}`,
    message: /multiple documents/,
    hint: /one YAML document/,
  },
  { name: "empty file", text: "", at: "1:1", message: /empty/, hint: /archctl init/ },
  {
    name: "not a mapping",
    text: "- a\n- b\n",
    at: "1:1",
    message: /a blueprint is a mapping/,
    hint: /archctl init/,
  },
  {
    name: "unknown field with did-you-mean",
    text: VALID.replace("      uses: [db]", "      replica: 3\n      uses: [db]"),
    at: "10:7",
    path: "spec.components[0].replica",
    message: /unknown field 'replica'/,
    hint: /did you mean 'replicas'/,
  },
  {
    name: "wrong type",
    text: VALID.replace("      uses: [db]", "      replicas: two\n      uses: [db]"),
    at: "10:17",
    path: "spec.components[0].replicas",
    message: /expected number, got string/,
    hint: /number/,
  },
  {
    name: "unknown component type",
    text: VALID.replace("type: postgres", "type: postgress"),
    at: "12:13",
    path: "spec.components[1].type",
    message: /"postgress" is not allowed/,
    hint: /postgres/,
  },
  {
    name: "wrong apiVersion",
    text: VALID.replace("archctl.io/v1alpha1", "archctl.io/v1"),
    at: "1:13",
    path: "apiVersion",
    message: /not allowed/,
    hint: /archctl.io\/v1alpha1/,
  },
  {
    name: "missing components",
    text: "apiVersion: archctl.io/v1alpha1\nkind: Architecture\nmetadata:\n  name: x\nspec:\n  ttl: 2h\n",
    path: "spec.components",
    message: /required field 'components' is missing/,
    hint: /add it/,
  },
  {
    name: "unknown uses target",
    text: VALID.replace("uses: [db]", "uses: [dbb]"),
    at: "10:14",
    path: "spec.components[0].uses[0]",
    message: /uses 'dbb', which is not a component/,
    hint: /did you mean 'db'/,
  },
  {
    name: "duplicate component names",
    text: VALID.replace("- name: db", "- name: api"),
    at: "11:13",
    path: "spec.components[1].name",
    message: /two components are named 'api'/,
    hint: /unique/,
  },
  {
    name: "application without image",
    text: VALID.replace("      image: ${registry}/api:1.0\n", ""),
    path: "spec.components[0].image",
    message: /needs an image/,
    hint: /image:/,
  },
  {
    name: "undefined GPU pool",
    text: VALID.replace("      uses: [db]", "      uses: [db]\n      gpu: {pool: gpus, count: 1}"),
    path: "spec.components[0].gpu.pool",
    message: /GPU pool 'gpus' is not defined/,
    hint: /gpuPools/,
  },
  {
    name: "autoscaling a datastore",
    text: spec(
      "  autoscaling:\n    - {component: db, minReplicas: 1, maxReplicas: 3, targetCPUUtilization: 50}\n",
    ).replace("parameters:", "parameters:"),
    path: "spec.autoscaling[0].component",
    message: /'db' is a postgres; only service, gateway and worker/,
    hint: /replicas/,
  },
  {
    name: "autoscaling min above max",
    text: spec(
      "  autoscaling:\n    - {component: api, minReplicas: 5, maxReplicas: 3, targetCPUUtilization: 50}\n",
    ),
    path: "spec.autoscaling[0].minReplicas",
    message: /minReplicas 5 is more than maxReplicas 3/,
    hint: /lower minReplicas/,
  },
  {
    name: "bad cron schedule",
    text: VALID.replace(
      "    - name: db\n",
      "    - name: nightly\n      type: cron\n      image: x/y:1\n      schedule: '0 25 * * *'\n    - name: db\n",
    ),
    path: "spec.components[1].schedule",
    message: /invalid cron schedule '0 25 \* \* \*': hour 25/,
    hint: /five fields/,
  },
  {
    name: "bad backup schedule",
    text: spec("  backups:\n    - {component: db, schedule: 'daily'}\n"),
    path: "spec.backups[0].schedule",
    message: /invalid cron schedule 'daily'/,
    hint: /five fields/,
  },
  {
    name: "non-positive rate limit",
    text: spec(
      "  ingress:\n    hosts: [{host: x.example.com, routes: [{path: /, component: api}]}]\n    rateLimit: {rps: 0}\n",
    ),
    path: "spec.ingress.rateLimit.rps",
    message: /at least 1/,
    hint: /.+/,
  },
  {
    name: "route to a datastore",
    text: spec(
      "  ingress:\n    hosts: [{host: x.example.com, routes: [{path: /, component: db}]}]\n",
    ),
    path: "spec.ingress.hosts[0].routes[0].component",
    message: /only services and gateways take traffic/,
    hint: /service or gateway/,
  },
  {
    name: "name too long",
    text: VALID.replace("name: demo", `name: ${"a".repeat(38)}`)
      .replace(
        /- name: db\n {6}type: postgres/,
        "- name: database-primary-store\n      type: postgres",
      )
      .replace("uses: [db]", "uses: [database-primary-store]"),
    path: "spec.components[1].name",
    message: /over the Kubernetes limit/,
    hint: /shorten/,
  },
  {
    name: "unknown parameter reference",
    text: VALID.replace("${registry}", "${registy}"),
    at: "9:14",
    path: "spec.components[0].image",
    message: /unknown parameter '\$\{registy\}'/,
    hint: /did you mean 'registry'/,
  },
  {
    name: "parameter default of the wrong type",
    text: VALID.replace(
      "    default: ghcr.io/example\n",
      "    default: ghcr.io/example\n  - name: n\n    description: count\n    type: integer\n    default: many\n",
    ).replace("uses: [db]", "uses: [db]\n      replicas: ${n}"),
    path: "parameters[1].default",
    message: /default "many" is not an integer/,
    hint: /integer/,
  },
  {
    name: "unknown field in an environment",
    text: VALID.replace("  dev:\n    spec:", "  dev:\n    specs: {}\n    spec:"),
    path: "environments.dev.specs",
    message: /unknown field 'specs' in environment 'dev'/,
    hint: /did you mean 'spec'/,
  },
  {
    name: "overlay entry without its key",
    text: VALID.replace("        - name: api\n          replicas: 1", "        - replicas: 1"),
    args: ["--env", "dev"],
    path: "spec.components",
    message: /has no name/,
    hint: /add name/,
  },
  {
    name: "invalid value from an environment overlay",
    text: VALID.replace("          replicas: 1", "          replicas: -1"),
    args: ["--env", "dev"],
    at: "22:21",
    path: "spec.components[0].replicas",
    message: /at least 0.*environment 'dev'/,
  },
  {
    name: "unknown environment",
    text: VALID,
    args: ["--env", "staging"],
    path: "environments",
    message: /unknown environment 'staging'/,
    hint: /available: dev/,
  },
  {
    name: "bad --set syntax",
    text: VALID,
    args: ["--set", "spec.components.api.replicas"],
    at: "1:1",
    message: /is not path=value/,
    hint: /--set spec\.components\.api\.replicas=3/,
  },
  {
    name: "--set of a missing list entry",
    text: VALID,
    args: ["--set", "spec.components.web.replicas=2"],
    path: "spec.components.web.replicas",
    message: /no entry 'web' in spec\.components \(entries: api, db\)/,
    hint: /render/,
  },
  {
    name: "--set of an unknown parameter",
    text: VALID,
    args: ["--set", "regsitry=x"],
    path: "regsitry",
    message: /neither a parameter nor a manifest field/,
    hint: /did you mean 'registry'/,
  },
  {
    name: "--set value out of range",
    text: VALID,
    args: ["--set", "spec.components.api.replicas=-2"],
    path: "spec.components[0].replicas",
    message: /at least 0.*--set spec\.components\.api\.replicas=-2/,
  },
];

describe("invalid blueprints exit 2 with file:line:col, path and hint", { concurrency: 8 }, () => {
  const dir = tempDir();
  for (const [i, c] of CASES.entries()) {
    test(c.name, async () => {
      const file =
        c.text === undefined
          ? `${dir}/missing-${i}.yaml`
          : writeTemp(dir, `case-${i}.yaml`, c.text);
      const r = await inProcess(["validate", "-f", file, ...(c.args ?? [])]);
      const all = r.stdout + r.stderr;
      assert.equal(r.code, 2, all);
      assert.doesNotMatch(all, /\n\s+at .+:\d+:\d+\)?\n/, "no stack trace");
      const lines = r.stdout.split("\n").filter((l) => l.includes("  "));
      const line = lines.find((l) => c.message.test(l));
      assert.ok(line, `no problem line matches ${c.message}:\n${all}`);
      const m = /^(\S+):(\d+):(\d+) {2}(\S+) {2}(.*)$/.exec(line);
      assert.ok(m, `not file:line:col  path  message: ${line}`);
      assert.ok(m[1] === file || m[1] === "(--set)", `names the file: ${line}`);
      if (c.at) assert.equal(`${m[2]}:${m[3]}`, c.at, line);
      if (c.path) assert.equal(m[4], c.path, line);
      assert.match(line, / {2}\(.+\)$/, `has a hint: ${line}`);
      if (c.hint) assert.match(line, c.hint);
    });
  }

  test("a missing file names the file and the fix", async () => {
    const r = await inProcess(["validate", "-f", `${dir}/nope.yaml`]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^archctl: cannot read blueprint '.*nope\.yaml': no such file \(check the path, or create one with: archctl init post/,
    );
    assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
  });

  test("a directory instead of a file", async () => {
    const r = await inProcess(["render", "-f", dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /it is a directory/);
  });

  test("-f is required", async () => {
    const r = await inProcess(["render"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /render needs a blueprint: pass -f FILE/);
  });

  test("render and graph refuse an invalid blueprint with the same problems on stderr", async () => {
    const file = writeTemp(dir, "bad-render.yaml", VALID.replace("uses: [db]", "uses: [dbb]"));
    for (const cmd of ["render", "graph", "estimate"]) {
      const r = await inProcess([cmd, "-f", file]);
      assert.equal(r.code, 2, cmd);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /bad-render\.yaml:10:14 {2}spec\.components\[0\]\.uses\[0\]/);
      assert.match(r.stderr, /archctl: .*is not valid: 1 error, 0 warnings/);
    }
  });

  test("unknown command and unknown option are short and exit 2", async () => {
    const cmd = await inProcess(["rendr"]);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /unknown command 'rendr'/);
    assert.match(cmd.stderr, /Did you mean render\?/);
    const opt = await inProcess(["validate", "--fiel", "x"]);
    assert.equal(opt.code, 2);
    assert.match(opt.stderr, /unknown option '--fiel'/);
    const fmt = await inProcess(["render", "-f", "blueprints/post.yaml", "-o", "xml"]);
    assert.equal(fmt.code, 2);
    assert.match(fmt.stderr, /unknown output format 'xml': use one of yaml, json/);
  });

  test(`the table has at least 25 cases (${CASES.length})`, () => {
    assert.ok(CASES.length >= 25);
  });
});

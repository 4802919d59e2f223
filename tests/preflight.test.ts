/**
 * Nothing is created for a mistake that can be seen: a worker that does not compile, Cloudflare's
 * limits, unknown config keys, overrides of undeclared workers, YAML syntax errors. Each case
 * changes one thing in the real reference declaration and asserts the message (its path, file and
 * fix) and that no resource was registered.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { cronProblems } from "../config/limits";
import { readStackConfig } from "../harness/pulumiConfig";
import { evaluate, ofType, referenceSystem, ROOT, TYPES, evaluateCase, InvalidCase } from "./helpers";

/** Fixtures written under the git-ignored .workers-stack folder of the project. */
const FIXTURES = ".workers-stack/test-fixtures";
function fixture(name: string, text: string): string {
  fs.mkdirSync(path.join(ROOT, FIXTURES), { recursive: true });
  fs.writeFileSync(path.join(ROOT, FIXTURES, name), text);
  return `${FIXTURES}/${name}`;
}

type Case = InvalidCase;

const BROKEN = () => fixture("broken.ts", "export default {\n  fetch() { return new Response( }\n};\n");
const long = (n: number) => "a".repeat(n);

const cases: Case[] = [
  {
    name: "a worker whose source does not compile (before the database, its migrations or any secret)",
    system: (s) => (s.workers.admin.entry = BROKEN()),
    expect: [/system\.workers\.admin\.entry: \.workers-stack\/test-fixtures\/broken\.ts does not bundle \(1 error from esbuild\)\n {6}\.workers-stack\/test-fixtures\/broken\.ts:2:34: Unexpected "}"/, " in Pulumi.yaml:"],
  },
  {
    name: "a compile error together with the worker's other problems, schema errors included",
    system: (s) => {
      s.workers.admin.entry = BROKEN();
      s.workers.admin.vars = ["not", "a", "record"];
      s.workers.admin.bindings.DB = { d1: "mian" };
      s.workers.admin.crons = ["61 * * * *"];
    },
    expect: [
      "system.workers.admin.entry: .workers-stack/test-fixtures/broken.ts does not bundle",
      "system.workers.admin.vars: Invalid input: expected record, received array",
      'system.workers.admin.bindings.DB: D1 database "mian" is not declared',
      'system.workers.admin.crons.0: "61 * * * *": minute 61 is out of range 0-59',
      /has 4 problems/,
    ],
  },
  {
    name: "a var over Cloudflare's 5 KB (a 300 KB one, which once crashed the bundler with E2BIG)",
    system: (s) => (s.workers.bot.vars.BIG = "ab".repeat(150_000)),
    expect: ["system.workers.bot.vars.BIG: the value is 293 KB; Cloudflare allows 5 KB per variable (Free and Paid)"],
  },
  {
    name: "a JSON var over 5 KB",
    system: (s) => (s.workers.bot.vars.LIST = Array.from({ length: 800 }, (_, i) => `item-${i}`)),
    expect: [/system\.workers\.bot\.vars\.LIST: the value is \d+(\.\d)? KB; Cloudflare allows 5 KB per variable/],
  },
  {
    name: "more vars than the Paid plan allows",
    system: (s) => (s.workers.admin.vars = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`V${i}`, "x"]))),
    expect: ["system.workers.admin: 133 environment variables (vars, secrets and the injected ENVIRONMENT and VERSION); Cloudflare allows 128 on the Workers Paid plan (64 on Free)"],
  },
  {
    name: "more vars than the Free plan allows, with plan: free",
    system: (s) => {
      s.plan = "free";
      s.workers.admin.vars = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`V${i}`, "x"]));
    },
    expect: ["system.workers.admin: 73 environment variables (vars, secrets and the injected ENVIRONMENT and VERSION); Cloudflare allows 64 on the Workers Free plan (128 on Paid)"],
  },
  {
    name: "more bindings than a script can hold",
    system: (s) => {
      s.kvNamespaces = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`kv-${i}`, {}]));
      s.workers.admin.bindings = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`KV_${i}`, { kv: `kv-${i}` }]));
    },
    expect: ["system.workers.admin.bindings: 5003 bindings (vars, secrets and bindings); Cloudflare allows about 5000 per script"],
  },
  {
    name: "a config secret over 5 KB",
    secrets: { OPENAI_API_KEY: "k".repeat(6000), TELEGRAM_BOT_TOKEN: "t" },
    expect: ["workers-stack:OPENAI_API_KEY: the secret is 5.9 KB; Cloudflare allows 5 KB per secret", " in stack config (pulumi config; Pulumi.staging.yaml):"],
  },
  {
    name: "a script name longer than 63 characters",
    system: (s) => {
      s.workers[long(31)] = s.workers.admin;
      delete s.workers.admin;
    },
    stackSettings: { suffix: `-${"s".repeat(30)}` },
    expect: [/system\.workers\.a{31}: script name "tg-a+\.\.\.s+" is 65 characters; Cloudflare allows 63/, "shorten the key, the app or the stack's suffix, or give the resource a `name`"],
  },
  {
    name: "a hostname label longer than DNS allows",
    stackSettings: { hostnameSuffix: `-${"h".repeat(60)}` },
    expect: [/system\.workers\.admin\.hostnames: hostname admin-h+\.\.\.h+\.example\.com has a label of 66 characters/, "DNS allows 63"],
  },
  {
    name: "cron expressions with out-of-range fields",
    system: (s) => (s.workers.admin.crons = ["0 24 * * *", "* * 0 13 *", "*/15 * * * 8", "0 0 * JAN-FOO *"]),
    expect: [
      'system.workers.admin.crons.0: "0 24 * * *": hour 24 is out of range 0-23',
      'system.workers.admin.crons.1: "* * 0 13 *": day of month 0 is out of range 1-31; month 13 is out of range 1-12',
      'system.workers.admin.crons.2: "*/15 * * * 8": day of week 8 is out of range 0-7',
      'system.workers.admin.crons.3: "0 0 * JAN-FOO *": month "JAN-FOO" is not a number or name',
    ],
  },
  {
    name: "more cron schedules than the Free plan's account allows",
    system: (s) => {
      s.plan = "free";
      s.workers.admin.crons = ["0 * * * *", "1 * * * *", "2 * * * *"];
      s.workers.bot.crons = ["3 * * * *", "4 * * * *", "5 * * * *"];
    },
    expect: ["system.workers: 6 cron schedules; Cloudflare allows 5 on the Workers Free plan (250 on Paid) per account"],
  },
  {
    name: "a queue name longer than 63 characters",
    system: (s) => (s.queues = { [long(31)]: {} }),
    stackSettings: { suffix: `-${"q".repeat(30)}` },
    expect: [/system\.queues\.a{31}: queue name "tg-a+\.\.\.q+" is 65 characters; Cloudflare allows 63/],
  },
  {
    name: "a misspelled project config key",
    plain: { acountId: "0123456789abcdef0123456789abcdef" },
    expect: ["workers-stack:acountId: unknown config key (did you mean accountId?)", "pulumi config rm acountId --stack staging"],
  },
  {
    name: "a config value for a generated secret",
    plain: { ADMIN_TOKEN: "set by hand" },
    expect: ["workers-stack:ADMIN_TOKEN: ADMIN_TOKEN is a generated secret ({ generate }): this config value is never used"],
  },
  {
    name: "an override of a worker the system does not declare",
    stackSettings: { overrides: { workers: { bto: { hostnames: ["bot"] } } } },
    expect: [' in Pulumi.staging.yaml:\n  - stack.overrides.workers.bto: worker "bto" is not declared in Pulumi.yaml (did you mean "bot"?)'],
  },
  {
    name: "a mistake an override puts into a declared worker, reported in the stack file",
    stackSettings: { overrides: { workers: { admin: { bindings: { DB: { d1: "mian" } } } } } },
    expect: [' in Pulumi.staging.yaml:\n  - stack.overrides.workers.admin.bindings.DB: D1 database "mian" is not declared'],
  },
  {
    name: "an unknown plan",
    system: (s) => (s.plan = "pro"),
    expect: ["system.plan: must be free or paid"],
  },
];

describe("preflight: nothing is registered for a mistake that can be seen", () => {
  after(() => fs.rmSync(path.join(ROOT, FIXTURES), { recursive: true, force: true }));

  for (const c of cases) {
    it(`reject ${c.name}`, async () => {
      const ev = await evaluateCase(c);
      assert.ok(ev.error, "the program must fail");
      assert.ok(pulumi.RunError.isInstance(ev.error), `a RunError, not: ${ev.error.stack}`);
      for (const e of c.expect) {
        if (typeof e === "string") assert.ok(ev.error.message.includes(e), `expected "${e}" in:\n${ev.error.message}`);
        else assert.match(ev.error.message, e);
      }
      assert.deepEqual(ev.resources, [], "no resource may be registered");
    });
  }

  it("read every migrations folder before registering: an unreadable migration stops the program", async () => {
    // A directory named like a migration file: listed fine, unreadable as a file (EISDIR).
    fs.mkdirSync(path.join(ROOT, FIXTURES, "migrations", "0001_init.sql"), { recursive: true });
    const system = referenceSystem();
    system.databases.main.migrations = `${FIXTURES}/migrations`;
    const ev = await evaluate("staging", { system });
    assert.ok(ev.error && pulumi.RunError.isInstance(ev.error), String(ev.error?.stack));
    assert.match(ev.error.message, /system\.databases\.main\.migrations: cannot read "\.workers-stack\/test-fixtures\/migrations": EISDIR/);
    assert.deepEqual(ev.resources, [], "no resource may be registered");
  });

  it("report a bundle over the Free plan's 3 MB (gzipped), naming the Paid limit", async () => {
    // Random bytes do not compress: ~4.4 MB of base64 stays over 3 MB gzipped.
    const blob = crypto.randomBytes(3_300_000).toString("base64");
    const entry = fixture("huge.js", `const BLOB = "${blob}";\nexport default { fetch() { return new Response(BLOB.slice(0, 10)); } };\n`);
    const system = referenceSystem();
    system.plan = "free";
    system.workers.admin.entry = entry;
    const ev = await evaluate("staging", { system });
    assert.ok(ev.error);
    assert.match(ev.error.message, /system\.workers\.admin\.entry: the bundle is 3\.\d MB gzipped; Cloudflare allows 3 MB on the Workers Free plan \(10 MB on Paid\)/);
    assert.deepEqual(ev.resources, []);
    system.plan = "paid";
    const paid = await evaluate("staging", { system });
    assert.equal(paid.error, undefined, "the same bundle fits the Paid plan");
  });

  it("bundle through esbuild's API even when the environment holds a config too large for any child process", () => {
    // Under `pulumi up` the stack config is in PULUMI_CONFIG. Over 128 KiB, one environment string
    // makes every spawn on Linux fail with E2BIG. esbuild starts its native child once per process,
    // so this runs in a fresh process whose first bundle sees such an environment.
    const script = [
      `process.env.PULUMI_CONFIG = JSON.stringify({ "workers-stack:big": "x".repeat(200000) });`,
      `const { buildBundle } = require("./components/bundle");`,
      `const built = buildBundle(process.cwd(), "workers/admin/index.ts", ".workers-stack/build/e2big/admin");`,
      `console.log(JSON.stringify({ ok: built.ok, errors: built.ok ? [] : built.errors, envKept: process.env.PULUMI_CONFIG.length }));`,
    ].join("\n");
    const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: ROOT, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.deepEqual(result.errors, []);
    assert.equal(result.ok, true);
    assert.ok(result.envKept > 200_000, "the environment is given back after bundling");
  });

  it("register the reference stack as before (the preflight bundles are what the scripts upload)", async () => {
    const ev = await evaluate("staging");
    assert.equal(ev.error, undefined);
    const scripts = ofType(ev, TYPES.script);
    assert.equal(scripts.length, 2);
    for (const s of scripts) {
      const file = path.resolve(process.cwd(), String(s.inputs.contentFile));
      const sha = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
      assert.equal(s.inputs.contentSha256, sha, `${s.name}: contentSha256 is the hash of the written bundle`);
    }
  });

  it("name the file, line and column of a YAML syntax error", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ws-yaml-"));
    try {
      fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: x\nruntime: nodejs\nconfig:\n  x:system:\n    value: { app: tg\n");
      assert.throws(() => readStackConfig(root, "staging"), (e: Error) => {
        assert.match(e.message, /Pulumi\.yaml:\d+:\d+: YAML syntax error: /);
        assert.ok(e.message.startsWith(path.join(root, "Pulumi.yaml")), e.message);
        return true;
      });
      fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: x\nruntime: nodejs\n");
      fs.writeFileSync(path.join(root, "Pulumi.staging.yaml"), "config:\n  x:stack:\n    suffix: -s\n   protect: true\n");
      assert.throws(() => readStackConfig(root, "staging"), /Pulumi\.staging\.yaml:4:\d+: YAML syntax error: /);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("check cron fields as Cloudflare does", () => {
    for (const ok of ["*/15 * * * *", "0 0 1 JAN MON", "0 12 L * *", "0 9 * * 1-5", "0 9 * * SUN-SAT", "30 2 15W * *", "0 0 * * 6L", "0 0 * * MON#2", "5,10,15 0-6/2 * * 7"])
      assert.deepEqual(cronProblems(ok), [], ok);
    assert.deepEqual(cronProblems("* * * *"), ["has 4 fields; a cron expression has 5 (minute hour day-of-month month day-of-week)"]);
    assert.deepEqual(cronProblems("10-5 * * * *"), ["minute range 10-5 runs backwards"]);
    assert.deepEqual(cronProblems("*/0 * * * *"), ["minute step \"/0\" must be 1-59"]);
  });
});

/** The pure parts: plan, deploy order, merge, bundles, and the small parsers. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleWorker } from "../components/bundle";
import { findCycle, topologicalOrder } from "../config/graph";
import { deepMerge } from "../config/merge";
import { buildPlan } from "../config/plan";
import { validate } from "../config/validate";
import { hostFor } from "../config/names";
import { localMigrationArgs, parseDevVars } from "../local/runner";
import { targetsOf } from "../scripts/validate";
import { evaluate, one, ofType, referenceSystem, reveal, TEST_IDS, TYPES } from "./helpers";

const facts = { isFile: () => true, listDir: () => ["0001_init.sql"], today: "2026-11-22" };
const source = (system: unknown, stackSettings?: unknown) => ({
  project: "workers-stack",
  stack: "staging",
  system,
  stackSettings,
  ...TEST_IDS,
  lookup: () => ({ value: "x", secret: true }),
});

describe("plan", () => {
  it("derives names, hostnames and sorted bindings with ENVIRONMENT and VERSION injected", () => {
    const plan = buildPlan(validate(source(referenceSystem(), { suffix: "-stg" }), facts), "abc123");
    const bot = plan.workers.find((w) => w.key === "bot")!;
    assert.equal(bot.scriptName, "tg-bot-stg");
    assert.deepEqual(bot.hostnames, [{ host: "bot-stg.example.com", pattern: "bot-stg.example.com/*", zone: "example.com", zoneId: TEST_IDS.zoneId, target: "example.com" }]);
    const names = bot.bindings.map((b) => b.name);
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(bot.bindings.find((b) => b.name === "VERSION"), { name: "VERSION", type: "plain_text", text: "abc123" });
    assert.deepEqual(bot.bindings.find((b) => b.name === "ENVIRONMENT"), { name: "ENVIRONMENT", type: "plain_text", text: "staging" });
    assert.deepEqual(bot.databases, ["main"]);
    assert.equal(plan.protect, false);
    assert.deepEqual(plan.databases, [{ key: "main", name: "tg-main-stg", migrationsDir: "migrations/main" }]);
  });

  it("orders workers so that a service target comes before its callers, whatever the declaration order", () => {
    const system = referenceSystem();
    system.workers = {
      api: { entry: "a.ts", bindings: { AUTH: { service: "auth" }, POINTS: { service: "points" } } },
      auth: { entry: "b.ts", bindings: { TOKENS: { service: "tokens" } } },
      points: { entry: "c.ts" },
      tokens: { entry: "d.ts" },
    };
    system.secrets = {};
    delete system.databases;
    const plan = buildPlan(validate(source(system), facts), "v");
    const order = plan.workers.map((w) => w.key);
    for (const [caller, callee] of [["api", "auth"], ["api", "points"], ["auth", "tokens"]])
      assert.ok(order.indexOf(callee) < order.indexOf(caller), `${callee} before ${caller} in ${order}`);
    assert.deepEqual(plan.workers.find((w) => w.key === "api")!.services, ["auth", "points"]);
  });

  it("finds and names cycles; orders acyclic graphs", () => {
    assert.deepEqual(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]])), ["a", "b", "c", "a"]);
    assert.equal(findCycle(new Map([["a", ["b"]], ["b", []]])), undefined);
    assert.deepEqual(topologicalOrder(new Map([["a", ["b"]], ["b", ["c"]], ["c", []]])), ["c", "b", "a"]);
  });

  it("merges overrides: objects merge, lists and values replace, null deletes", () => {
    const base = { a: { x: 1, y: [1, 2] }, b: "keep", c: { gone: true } };
    assert.deepEqual(deepMerge(base, { a: { y: [3] }, c: null, d: 4 }), { a: { x: 1, y: [3] }, b: "keep", d: 4 });
    assert.deepEqual(base, { a: { x: 1, y: [1, 2] }, b: "keep", c: { gone: true } }, "inputs untouched");
  });

  it("applies the staging override to one var and leaves the rest shared", async () => {
    const ev = await evaluate("staging");
    const vars = ((reveal(one(ev, TYPES.script, "bot").inputs) as any).bindings as any[]).filter((b) => b.type === "plain_text").map((b) => b.name);
    assert.deepEqual(vars, ["ENVIRONMENT", "OPENAI_MODEL", "OPENAI_PROMPT_ID", "RATE_LIMIT_PER_MINUTE", "VERSION"]);
  });
});

describe("bundles", () => {
  it("are byte-identical across builds, relative, and change exactly when the code does", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ws-bundle-"));
    try {
      fs.mkdirSync(path.join(root, "src"));
      fs.writeFileSync(path.join(root, "src/lib.ts"), "export const greet = (n: string) => `hi ${n}`;\n");
      fs.writeFileSync(path.join(root, "src/index.ts"), 'import { greet } from "./lib";\nexport default { fetch() { return new Response(greet("x")); } };\n');
      const a = bundleWorker(root, "src/index.ts", "out/a");
      const b = bundleWorker(root, "src/index.ts", "out/b");
      assert.equal(a.sha256, b.sha256);
      // Relative to the working directory the program (and the provider) runs in.
      assert.equal(a.contentFile, path.relative(process.cwd(), path.join(root, "out/a/worker.js")));
      assert.ok(!path.isAbsolute(a.contentFile));
      assert.equal(a.mainModule, "worker.js");
      const text = fs.readFileSync(a.contentFile, "utf8");
      assert.ok(!text.includes(root), "no absolute path of this machine in the bundle");
      assert.match(text, /export \{|export default/);
      const mtime = fs.statSync(a.contentFile).mtimeMs;
      bundleWorker(root, "src/index.ts", "out/a");
      assert.equal(fs.statSync(a.contentFile).mtimeMs, mtime, "unchanged bytes are not rewritten");
      fs.writeFileSync(path.join(root, "src/lib.ts"), "export const greet = (n: string) => `hello ${n}`;\n");
      assert.notEqual(bundleWorker(root, "src/index.ts", "out/a").sha256, a.sha256);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("fail with the file and line of a syntax error", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ws-bundle-"));
    try {
      fs.writeFileSync(path.join(root, "bad.ts"), "export default {\n  fetch() { return new Response( }\n};\n");
      assert.throws(() => bundleWorker(root, "bad.ts", "out"), /could not bundle bad\.ts:\n {2}bad\.ts:2:34: Unexpected "}"/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("local runner helpers", () => {
  it("parse .dev.vars like wrangler", () => {
    assert.deepEqual(parseDevVars('# comment\nA=1\nexport B = "two words"\nC=\'x=y\'\n\nbad line\n'), { A: "1", B: "two words", C: "x=y" });
  });
  it("turn the program's remote migration command into the local one, and nothing else", () => {
    const interpreter = ["node", "components/d1-migrate.js", "--database", "d", "--id", "i", "--migrations", "m"];
    assert.deepEqual(localMigrationArgs({ interpreter, create: "--remote" }, "/state"), [
      "components/d1-migrate.js", "--database", "d", "--id", "i", "--migrations", "m", "--local", "--persist-to", "/state",
    ]);
    assert.equal(localMigrationArgs({ interpreter: ["rm", "-rf", "/"], create: "--remote" }, "/state"), undefined);
    assert.equal(localMigrationArgs({ interpreter, create: "--remote; rm -rf /" }, "/state"), undefined);
    assert.equal(localMigrationArgs({ create: "node components/d1-migrate.js --database d --id i --migrations m --remote" }, "/state"), undefined, "a shell string is not ours");
  });
});

describe("hostnames", () => {
  it("derive the apex and www per stack", () => {
    assert.equal(hostFor("@", "", "example.com"), "example.com");
    assert.equal(hostFor("@", "-staging", "example.com"), "staging.example.com");
    assert.equal(hostFor("www", "-staging", "example.com"), "www-staging.example.com");
  });

  it("serve a custom domain instead of CNAME + route, and validate finds its URL", async () => {
    const system = referenceSystem();
    delete system.workers.admin.hostnames;
    system.workers.admin.customDomains = ["admin", "@"];
    const ev = await evaluate("staging", { system });
    assert.equal(ev.error, undefined, ev.error?.message);
    const domains = ofType(ev, TYPES.customDomain).map((d) => d.inputs).sort((a: any, b: any) => (a.hostname < b.hostname ? -1 : 1));
    assert.deepEqual(domains, [
      { accountId: TEST_IDS.accountId, zoneId: TEST_IDS.zoneId, hostname: "admin-staging.example.com", service: "tg-admin-staging" },
      { accountId: TEST_IDS.accountId, zoneId: TEST_IDS.zoneId, hostname: "staging.example.com", service: "tg-admin-staging" },
    ]);
    assert.deepEqual(ofType(ev, TYPES.dns).map((d) => (d.inputs as any).name), ["bot-staging.example.com"], "no CNAME for a custom domain");
    const targets = targetsOf(ev, "v", (_s, hosts) => (hosts[0] ? { url: `https://${hosts[0]}` } : {}));
    assert.equal(targets.find((t) => t.key === "admin")!.url, "https://admin-staging.example.com");
    assert.deepEqual((ev.outputs as any).workers.admin.urls, ["https://admin-staging.example.com", "https://staging.example.com"]);
  });
});

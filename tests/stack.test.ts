/**
 * The real Pulumi.staging.yaml and Pulumi.production.yaml, evaluated under Pulumi's mock runtime:
 * assertions on the resources the program registers, as the engine would receive them.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gitVersion } from "../config/load";
import { Evaluation } from "../harness/evaluate";
import { evaluate, isSecret, one, ofType, plainStrings, reveal, ROOT, TEST_IDS, TEST_SECRETS, TYPES } from "./helpers";

describe("reference stacks under the mock runtime", () => {
  let staging: Evaluation;
  let production: Evaluation;
  before(async () => {
    staging = await evaluate("staging");
    production = await evaluate("production");
  });

  it("evaluate without error", () => {
    assert.equal(staging.error, undefined, staging.error?.message);
    assert.equal(production.error, undefined, production.error?.message);
  });

  it("register exactly the declared Cloudflare resources", () => {
    const count = (ev: Evaluation) =>
      Object.fromEntries(Object.entries(TYPES).map(([k, t]) => [k, ofType(ev, t).length]));
    // commands: migrations, Telegram webhook; none of the kinds the reference system does not declare;
    // one workers.dev setting per script (off: both workers have hostnames)
    const expected = { d1: 1, kv: 1, script: 2, dns: 2, route: 2, command: 2, password: 2, r2: 0, queue: 0, consumer: 0, workflow: 0, cron: 0, customDomain: 0, hyperdrive: 0, subdomain: 2 };
    assert.deepEqual(count(staging), expected);
    assert.deepEqual(count(production), expected);
  });

  it("turn workers.dev off for workers with a hostname, as wrangler does, and send no preview URL setting", () => {
    for (const [ev, suffix] of [[staging, "-staging"], [production, ""]] as const)
      for (const key of ["bot", "admin"])
        assert.deepEqual(one(ev, TYPES.subdomain, key).inputs, { accountId: TEST_IDS.accountId, scriptName: `tg-${key}${suffix}`, enabled: false });
  });

  it("declare the D1 database without read replication (not declared: Cloudflare's setting is left alone), and its migrations command", () => {
    const d1 = one(staging, TYPES.d1, "main");
    assert.deepEqual(d1.inputs, { accountId: TEST_IDS.accountId, name: "tg-main-staging" });
    const cmd = one(staging, TYPES.command, "main-migrations");
    const hash = createHash("sha256");
    for (const f of fs.readdirSync(path.join(ROOT, "migrations/main")).sort())
      hash.update(f).update("\0").update(fs.readFileSync(path.join(ROOT, "migrations/main", f))).update("\0");
    assert.deepEqual(cmd.inputs, {
      // An argument vector run without a shell (the default interpreter would be /bin/sh -c).
      interpreter: ["node", "components/d1-migrate.js", "--database", "tg-main-staging", "--id", d1.id, "--migrations", "migrations/main"],
      create: "--remote",
      triggers: [d1.id, hash.digest("hex")],
      environment: { CLOUDFLARE_ACCOUNT_ID: TEST_IDS.accountId },
    });
    assert.ok(cmd.dependencies.includes(d1.urn), "migrations wait for the database");
  });

  it("declare the KV namespace", () => {
    assert.deepEqual(one(staging, TYPES.kv, "rate-limit").inputs, { accountId: TEST_IDS.accountId, title: "tg-rate-limit-staging" });
    assert.deepEqual(one(production, TYPES.kv, "rate-limit").inputs, { accountId: TEST_IDS.accountId, title: "tg-rate-limit" });
  });

  it("send each worker its full, ordered set of vars, secrets and bindings", () => {
    const d1 = one(staging, TYPES.d1, "main");
    const kv = one(staging, TYPES.kv, "rate-limit");
    const webhook = one(staging, TYPES.password, "TELEGRAM_WEBHOOK_SECRET");
    const adminToken = (reveal(one(staging, TYPES.script, "admin").inputs) as any).bindings[0].text;
    const webhookSecret = ((reveal(one(staging, TYPES.script, "bot").inputs) as any).bindings as any[]).find((b) => b.name === "TELEGRAM_WEBHOOK_SECRET").text;
    assert.equal(typeof adminToken, "string");
    assert.equal(adminToken.length, 48);
    assert.match(webhookSecret, /^[A-Za-z0-9]{48}$/);
    assert.deepEqual(reveal(webhook.inputs), { length: 48, special: false, keepers: { rotation: "0" } });
    const version = gitVersion(ROOT);
    const bundle = (key: string) => {
      const file = `.workers-stack/build/staging/${key}/worker.js`;
      return { contentFile: file, contentSha256: createHash("sha256").update(fs.readFileSync(path.join(ROOT, file))).digest("hex") };
    };

    assert.deepEqual(reveal(one(staging, TYPES.script, "bot").inputs), {
      accountId: TEST_IDS.accountId,
      scriptName: "tg-bot-staging",
      ...bundle("bot"),
      mainModule: "worker.js",
      compatibilityDate: "2025-09-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: [
        { name: "ADMIN_TOKEN", type: "secret_text", text: adminToken },
        { name: "DB", type: "d1", id: d1.id },
        { name: "ENVIRONMENT", type: "plain_text", text: "staging" },
        { name: "OPENAI_API_KEY", type: "secret_text", text: TEST_SECRETS.OPENAI_API_KEY },
        { name: "OPENAI_MODEL", type: "plain_text", text: "gpt-4.1-mini" },
        { name: "OPENAI_PROMPT_ID", type: "plain_text", text: "pmpt_tg_responder" },
        { name: "OPENAI_PROMPT_VARIABLES", type: "json", json: JSON.stringify({ persona: "concise assistant", language: "ru", max_sentences: 4 }) },
        { name: "RATE_LIMIT_KV", type: "kv_namespace", namespaceId: kv.id },
        { name: "RATE_LIMIT_PER_MINUTE", type: "plain_text", text: "5" },
        { name: "TELEGRAM_BOT_TOKEN", type: "secret_text", text: TEST_SECRETS.TELEGRAM_BOT_TOKEN },
        { name: "TELEGRAM_WEBHOOK_SECRET", type: "secret_text", text: webhookSecret },
        { name: "VERSION", type: "plain_text", text: version },
      ],
    });
    assert.deepEqual(reveal(one(staging, TYPES.script, "admin").inputs), {
      accountId: TEST_IDS.accountId,
      scriptName: "tg-admin-staging",
      ...bundle("admin"),
      mainModule: "worker.js",
      compatibilityDate: "2025-09-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: [
        { name: "ADMIN_TOKEN", type: "secret_text", text: adminToken },
        { name: "DB", type: "d1", id: d1.id },
        { name: "ENVIRONMENT", type: "plain_text", text: "staging" },
        { name: "VERSION", type: "plain_text", text: version },
      ],
    });
  });

  it("give production the shared vars without the staging override", () => {
    const bindings = (reveal(one(production, TYPES.script, "bot").inputs) as any).bindings as any[];
    assert.deepEqual(bindings.find((b) => b.name === "RATE_LIMIT_PER_MINUTE"), { name: "RATE_LIMIT_PER_MINUTE", type: "plain_text", text: "20" });
    assert.deepEqual(bindings.find((b) => b.name === "ENVIRONMENT"), { name: "ENVIRONMENT", type: "plain_text", text: "production" });
  });

  it("share one generated ADMIN_TOKEN between bot and admin", () => {
    for (const ev of [staging, production]) {
      const token = (key: string) => ((reveal(one(ev, TYPES.script, key).inputs) as any).bindings as any[]).find((b) => b.name === "ADMIN_TOKEN").text;
      assert.equal(token("bot"), token("admin"));
      // and both read it from the one RandomPassword of the stack
      const password = one(ev, TYPES.password, "ADMIN_TOKEN");
      for (const key of ["bot", "admin"]) assert.ok(one(ev, TYPES.script, key).dependencies.includes(password.urn));
    }
  });

  it("put every hostname on a proxied CNAME (FQDN, ttl 1) and a route to its script", () => {
    for (const [ev, suffix] of [[staging, "-staging"], [production, ""]] as const) {
      for (const key of ["bot", "admin"]) {
        const host = `${key}${suffix}.example.com`;
        assert.deepEqual(one(ev, TYPES.dns, host).inputs, {
          zoneId: TEST_IDS.zoneId, name: host, type: "CNAME", content: "example.com", proxied: true, ttl: 1, comment: "managed by workers-stack",
        });
        const route = one(ev, TYPES.route, host);
        assert.deepEqual(route.inputs, { zoneId: TEST_IDS.zoneId, pattern: `${host}/*`, script: `tg-${key}${suffix}` });
        assert.ok(route.dependencies.includes(one(ev, TYPES.script, key).urn), "the route waits for its script");
      }
    }
  });

  it("keep every secret value inside a Pulumi secret, in every input and output", () => {
    for (const ev of [staging, production]) {
      const generated = ofType(ev, TYPES.script).flatMap((s) =>
        ((reveal(s.inputs) as any).bindings as any[]).filter((b) => b.type === "secret_text").map((b) => b.text as string),
      );
      const sentinels = [...Object.values(TEST_SECRETS), ...generated];
      assert.equal(generated.length, 5); // 4 on bot, 1 on admin
      for (const r of ev.resources) {
        const leaks = plainStrings(r.inputs).filter((s) => sentinels.some((x) => s.includes(x)));
        assert.deepEqual(leaks, [], `${r.type} ${r.name} has a secret outside a secret`);
      }
      for (const s of ofType(ev, TYPES.script)) assert.ok(isSecret(s.inputs.bindings), "bindings carrying secrets are secret");
      const outputs = JSON.stringify(ev.outputs);
      for (const x of sentinels) assert.ok(!outputs.includes(x), "no secret in stack outputs");
    }
  });

  it("give staging and production disjoint physical names", () => {
    const names = (ev: Evaluation) =>
      new Set(
        ev.resources.flatMap((r) => {
          const i = r.inputs as Record<string, unknown>;
          return [i.scriptName, i.name, i.title, i.pattern].filter((v): v is string => typeof v === "string" && r.custom && r.type.startsWith("cloudflare:"));
        }),
      );
    const s = names(staging);
    const p = names(production);
    assert.equal(s.size, 8);
    assert.equal(p.size, 8);
    assert.deepEqual([...s].filter((n) => p.has(n)), []);
  });

  it("protect D1 and KV on production, not on staging, and nothing else", () => {
    for (const type of [TYPES.d1, TYPES.kv]) {
      assert.ok(ofType(production, type).every((r) => r.protect));
      assert.ok(ofType(staging, type).every((r) => !r.protect));
    }
    for (const ev of [staging, production])
      assert.deepEqual(ev.resources.filter((r) => r.protect && r.type !== TYPES.d1 && r.type !== TYPES.kv).map((r) => r.type), []);
  });

  it("make every worker that binds a database wait for its migrations", () => {
    for (const ev of [staging, production]) {
      const migrations = one(ev, TYPES.command, "main-migrations");
      for (const script of ofType(ev, TYPES.script)) {
        const bindsDb = ((reveal(script.inputs) as any).bindings as any[]).some((b) => b.type === "d1");
        assert.ok(bindsDb);
        assert.ok(script.dependencies.includes(migrations.urn), `${script.name} must depend on the migrations`);
      }
    }
  });

  it("parent every resource under the stack component", () => {
    const root = staging.resources.find((r) => r.type === "workers-stack:index:Stack")!;
    assert.ok(root);
    for (const r of staging.resources) if (r !== root) assert.notEqual(r.parent, "", `${r.type} ${r.name} has no parent`);
  });

  // "A second `up` changes nothing" is tests/determinism.test.ts: two fresh processes, bundles
  // checked against an independent build (one process evaluated twice hides anything fixed per process).

  it("export script names, URLs and ids", () => {
    const d1 = one(staging, TYPES.d1, "main");
    const kv = one(staging, TYPES.kv, "rate-limit");
    const out = staging.outputs as any;
    assert.deepEqual(out.workers, {
      admin: { scriptName: "tg-admin-staging", urls: ["https://admin-staging.example.com"] },
      bot: { scriptName: "tg-bot-staging", urls: ["https://bot-staging.example.com"] },
    });
    assert.equal(out.databases.main.id, d1.id);
    assert.equal(out.databases.main.name, "tg-main-staging");
    assert.match(out.databases.main.migrationsHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(out.kvNamespaces, { "rate-limit": { title: "tg-rate-limit-staging", id: kv.id } });
  });
});

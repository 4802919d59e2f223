/**
 * The local runner for the real staging stack, checked over real HTTP: what the program declares
 * is what each worker actually gets in workerd.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { LocalStack, startLocal } from "../local/runner";
import { validateStack } from "../scripts/validate";
import { one, referenceSystem, reveal, ROOT, TYPES } from "./helpers";

function request(base: string, pathname: string, init: { method?: string; host?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = http.request(
      new URL(pathname, base),
      {
        method: init.method ?? "GET",
        headers: { ...(init.host ? { host: init.host } : {}), ...(payload ? { "content-type": "application/json" } : {}), ...init.headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const quiet = () => undefined;

describe("local runner (npm start) on the staging stack", function () {
  this.timeout(120_000);
  let state: string;
  let local: LocalStack;
  let webhookSecret: string;
  let adminToken: string;

  const update = (chatId: number, text: string) => ({
    update_id: Date.now(),
    message: { text, chat: { id: chatId }, from: { id: chatId * 10, username: `user${chatId}`, first_name: "Test" } },
  });
  const bot = () => local.workers.find((w) => w.key === "bot")!;
  const hostOf = (key: string) => local.workers.find((w) => w.key === key)!.hosts[0]!;

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "ws-local-"));
    local = await startLocal({ root: ROOT, stack: "staging", port: 0, stateDir: state, fresh: true, log: quiet });
    const bindings = (reveal(one(local.evaluation, TYPES.script, "bot").inputs) as any).bindings as any[];
    webhookSecret = bindings.find((b) => b.name === "TELEGRAM_WEBHOOK_SECRET").text;
    adminToken = bindings.find((b) => b.name === "ADMIN_TOKEN").text;
  });
  after(async () => {
    await local?.dispose();
    fs.rmSync(state, { recursive: true, force: true });
  });

  it("answers a Host no worker is routed to with 404 and runs no worker, as Cloudflare", async () => {
    for (const host of ["unknown.example.com", "bot.example.com", new URL(local.url).host]) {
      const res = await request(local.url, "/health", { host });
      assert.equal(res.status, 404, `${host}: ${JSON.stringify(res.json)}`);
      assert.equal(typeof res.json, "string", "no worker's JSON /health answered");
      assert.match(res.json, new RegExp(`no worker is routed to host ${host.replace(/\./g, "\\.")}`));
      for (const w of local.workers) assert.ok(res.json.includes(w.hosts[0]!), `the routed hostnames are named: ${w.hosts[0]}`);
    }
  });

  it("serves every worker healthy with every declared binding present, by hostname and by direct URL", async () => {
    assert.deepEqual(local.workers.map((w) => w.key).sort(), ["admin", "bot"]);
    for (const w of local.workers) {
      const declared = Object.keys(w.bindings).filter((n) => n !== "ENVIRONMENT" && n !== "VERSION").sort();
      for (const via of [{ base: local.url, host: w.hosts[0]! }, { base: w.url }]) {
        const res = await request(via.base, "/health", via.host ? { host: via.host } : {});
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.equal(res.json.data.service, w.key, "the Host header reached the right worker");
        assert.equal(res.json.data.environment, "staging");
        assert.equal(res.json.data.version, (local.evaluation.outputs as any).version);
        const reported = (res.json.data.bindings as any[]).filter((b) => b.present && b.ok).map((b) => b.name).sort();
        assert.deepEqual(reported, declared);
      }
    }
  });

  it("stores a webhook message in D1 that admin then returns; a wrong secret gets 401 and writes nothing", async () => {
    const ok = await request(local.url, "/telegram/webhook", { method: "POST", host: hostOf("bot"), headers: { "x-telegram-bot-api-secret-token": webhookSecret }, body: update(501, "hello from test") });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.method, "sendMessage");

    const bad = await request(local.url, "/telegram/webhook", { method: "POST", host: hostOf("bot"), headers: { "x-telegram-bot-api-secret-token": "wrong" }, body: update(501, "forged") });
    assert.equal(bad.status, 401);
    const none = await request(local.url, "/telegram/webhook", { method: "POST", host: hostOf("bot"), body: update(501, "forged") });
    assert.equal(none.status, 401);

    const conv = await request(local.url, "/admin/conversations?chat_id=501", { host: hostOf("admin"), headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(conv.status, 200, JSON.stringify(conv.json));
    const messages = conv.json.data.conversations.flatMap((c: any) => c.messages.map((m: any) => m.content));
    assert.deepEqual(messages, ["hello from test"]);
    assert.equal(conv.json.data.conversations[0].user.username, "user501");

    const noToken = await request(local.url, "/admin/conversations", { host: hostOf("admin") });
    assert.equal(noToken.status, 401);
  });

  it("rate-limits each chat past RATE_LIMIT_PER_MINUTE (5 on staging) with 429", async () => {
    // A fixed one-minute window: if the minute turns during the burst, try once more.
    for (let attempt = 0; attempt < 2; attempt++) {
      const chat = 700 + attempt;
      const minute = Math.floor(Date.now() / 60_000);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await request(local.url, "/telegram/webhook", { method: "POST", host: hostOf("bot"), headers: { "x-telegram-bot-api-secret-token": webhookSecret }, body: update(chat, `m${i}`) })).status);
      }
      if (Math.floor(Date.now() / 60_000) !== minute) continue;
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
      return;
    }
    assert.fail("the minute turned twice during the burst");
  });

  it("guards /admin/envz with ADMIN_TOKEN and reports every OPENAI_*, DB and RATE_LIMIT_KV as OK", async () => {
    const anon = await request(bot().url, "/admin/envz");
    assert.equal(anon.status, 401);
    const wrong = await request(bot().url, "/admin/envz", { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
    const audit = await request(bot().url, "/admin/envz", { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(audit.status, 200);
    assert.deepEqual(audit.json.data.checks, {
      OPENAI_API_KEY: "OK", OPENAI_MODEL: "OK", OPENAI_PROMPT_ID: "OK", OPENAI_PROMPT_VARIABLES: "OK", DB: "OK", RATE_LIMIT_KV: "OK",
    });
  });

  it("keeps D1 rows across a restart, and wipes them with --fresh", async () => {
    await local.dispose();
    local = await startLocal({ root: ROOT, stack: "staging", port: 0, stateDir: state, log: quiet });
    const kept = await request(local.url, "/admin/conversations?chat_id=501", { host: hostOf("admin"), headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(kept.status, 200, "the generated ADMIN_TOKEN survives a restart too");
    assert.equal(kept.json.data.conversations.length, 1);

    await local.dispose();
    local = await startLocal({ root: ROOT, stack: "staging", port: 0, stateDir: state, fresh: true, log: quiet });
    const token = ((reveal(one(local.evaluation, TYPES.script, "admin").inputs) as any).bindings as any[]).find((b) => b.name === "ADMIN_TOKEN").text;
    assert.notEqual(token, adminToken, "--fresh generates new local secrets");
    const wiped = await request(local.url, "/admin/conversations", { host: hostOf("admin"), headers: { authorization: `Bearer ${token}` } });
    assert.equal(wiped.status, 200);
    assert.deepEqual(wiped.json.data.conversations, []);
  });
});

describe("npm run validate", function () {
  this.timeout(120_000);

  it("passes on the reference stack (--local)", async () => {
    const { ok, report } = await validateStack({ root: ROOT, stack: "staging", local: true, log: quiet });
    assert.ok(ok, report);
  });

  it("fails naming a binding removed from the declaration (library call)", async () => {
    const system = referenceSystem();
    delete system.workers.bot.bindings.RATE_LIMIT_KV;
    const { ok, report } = await validateStack({ root: ROOT, stack: "staging", local: true, plain: { "workers-stack:system": JSON.stringify(system) }, log: quiet });
    assert.equal(ok, false);
    assert.match(report, /FAIL {2}bot/);
    assert.match(report, /RATE_LIMIT_KV +missing: the worker needs it and it is not declared/);
    assert.match(report, /PASS {2}admin/);
  });

  it("exits non-zero naming the binding, as a command on a temporary copy of the config", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ws-validate-"));
    try {
      for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml"]) fs.copyFileSync(path.join(ROOT, f), path.join(tmp, f));
      for (const d of ["workers", "migrations"]) fs.cpSync(path.join(ROOT, d), path.join(tmp, d), { recursive: true });
      const yamlPath = path.join(tmp, "Pulumi.yaml");
      const original = fs.readFileSync(yamlPath, "utf8");
      // The admin worker is declared last: drop its `DB: { d1: main }` line.
      const lines = original.split("\n");
      const last = lines.map((l) => l.trim()).lastIndexOf("DB: { d1: main }");
      assert.ok(last > lines.findIndex((l) => l.trim() === "admin:"), "the admin worker's DB binding line is found");
      assert.equal(lines[last - 1]!.trim(), "bindings:");
      const edited = [...lines.slice(0, last - 1), lines[last - 1]!.replace("bindings:", "bindings: {}"), ...lines.slice(last + 1)].join("\n");
      fs.writeFileSync(yamlPath, edited);
      const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/validate.ts"), "--stack", "staging", "--local", "--root", tmp], {
        cwd: ROOT,
        encoding: "utf8",
      });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /FAIL {2}admin/);
      assert.match(r.stdout, /!! DB +missing/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

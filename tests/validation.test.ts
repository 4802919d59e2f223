/**
 * Every invalid configuration fails before any resource is registered, with its own message,
 * its path and a fix. Each case changes one thing in the real reference declaration.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { evaluate, referenceSystem, evaluateCase, InvalidCase } from "./helpers";

type Case = InvalidCase;

const cases: Case[] = [
  { name: "unknown key in a worker", system: (s) => (s.workers.bot.varz = {}), expect: ["system.workers.bot.varz: unknown key"] },
  { name: "unknown key at the top", system: (s) => (s.databse = {}), expect: ["system.databse: unknown key"] },
  { name: "unknown key in the stack file", stackSettings: { sufix: "-x" }, expect: ["stack.sufix: unknown key", "Pulumi.staging.yaml"] },
  { name: "binding to an undeclared database", system: (s) => (s.workers.admin.bindings.DB = { d1: "mian" }), expect: ['system.workers.admin.bindings.DB: D1 database "mian" is not declared', "declared databases: main"] },
  { name: "binding to an undeclared namespace", system: (s) => (s.workers.bot.bindings.RATE_LIMIT_KV = { kv: "ratelimit" }), expect: ['KV namespace "ratelimit" is not declared'] },
  { name: "binding to an undeclared worker", system: (s) => (s.workers.admin.bindings.BOT = { service: "bott" }), expect: ['system.workers.admin.bindings.BOT: worker "bott" is not declared'] },
  { name: "binding with two targets", system: (s) => (s.workers.admin.bindings.DB = { d1: "main", kv: "rate-limit" }), expect: ["system.workers.admin.bindings.DB: a binding names exactly one target"] },
  { name: "placeholder account id", plain: { accountId: "placeholder" }, expect: ['accountId: placeholder id "placeholder"', "pulumi config set accountId <id> --stack staging"] },
  { name: "xxx account id", plain: { accountId: "xxxxxxxx" }, expect: ['accountId: placeholder id "xxxxxxxx"'] },
  { name: "<...> zone id", plain: { zoneId: "<your-zone-id>" }, expect: ['zoneId: placeholder id "<your-zone-id>"'] },
  { name: "TODO zone id", plain: { zoneId: "TODO" }, expect: ['zoneId: placeholder id "TODO"'] },
  { name: "all-zero account id", plain: { accountId: "00000000000000000000000000000000" }, expect: ['accountId: placeholder id "00000000000000000000000000000000"'] },
  { name: "all-zero import id", stackSettings: { imports: { databases: { main: "00000000-0000-0000-0000-000000000000" } } }, expect: ['stack.imports.databases.main: placeholder id "00000000-0000-0000-0000-000000000000"'] },
  { name: "account id of the wrong shape", plain: { accountId: "abc123" }, expect: ['accountId: "abc123" is not a 32-character hex account id'] },
  { name: "placeholder var value", system: (s) => (s.workers.bot.vars.OPENAI_PROMPT_ID = "<prompt id>"), expect: ['system.workers.bot.vars.OPENAI_PROMPT_ID: placeholder value "<prompt id>"'] },
  { name: "config secret stored in plaintext", secrets: {}, plain: { OPENAI_API_KEY: "sk-abcdefghijklmnopqrstuvwx", TELEGRAM_BOT_TOKEN: "x" }, expect: ["workers-stack:OPENAI_API_KEY: secret given in plaintext", "pulumi config set --secret OPENAI_API_KEY <value> --stack staging", "workers-stack:TELEGRAM_BOT_TOKEN: secret given in plaintext"] },
  { name: "a secret-named var", system: (s) => (s.workers.admin.vars = { STRIPE_API_KEY: "abc" }), expect: ["system.workers.admin.vars.STRIPE_API_KEY: STRIPE_API_KEY looks like a secret given in plaintext"] },
  { name: "a credential-looking var value", system: (s) => (s.workers.admin.vars = { UPSTREAM: "sk-proj1234567890abcdefghij" }), expect: ["system.workers.admin.vars.UPSTREAM: the value looks like a credential given in plaintext"] },
  { name: "a declared secret also given as a var", system: (s) => (s.workers.bot.vars.ADMIN_TOKEN = "x"), expect: ["system.workers.bot.vars.ADMIN_TOKEN: ADMIN_TOKEN is one of this worker's secrets and cannot also be a plain var on it"] },
  { name: "an undeclared secret", system: (s) => s.workers.admin.secrets.push("SESSION_KEY"), expect: ["system.workers.admin.secrets: secret SESSION_KEY is not declared"] },
  { name: "a missing entry file", system: (s) => (s.workers.admin.entry = "workers/admin/main.ts"), expect: ['system.workers.admin.entry: entry file "workers/admin/main.ts" does not exist'] },
  { name: "duplicate hostnames", system: (s) => (s.workers.admin.hostnames = ["bot"]), expect: ['system.workers.admin.hostnames: hostname bot-staging.example.com is already used by worker "bot"'] },
  { name: "an impossible compatibility date", system: (s) => (s.compatibilityDate = "2025-02-30"), expect: ['system.compatibilityDate: "2025-02-30" is not a calendar date'] },
  { name: "a malformed compatibility date", system: (s) => (s.workers.bot.compatibilityDate = "1 May 2025"), expect: ["system.workers.bot.compatibilityDate: must be a date YYYY-MM-DD"] },
  { name: "a future compatibility date", system: (s) => (s.workers.bot.compatibilityDate = "2999-01-01"), expect: ["system.workers.bot.compatibilityDate: 2999-01-01 is in the future"] },
  {
    name: "a cycle of service bindings",
    system: (s) => {
      s.workers.bot.bindings.ADMIN = { service: "admin" };
      s.workers.admin.bindings.BOT = { service: "bot" };
    },
    expect: ["system.workers: service, Durable Object or Workflow bindings form a cycle: admin → bot → admin"],
  },
  { name: "a reserved var name", system: (s) => (s.workers.admin.vars = { ENVIRONMENT: "prod" }), expect: ["system.workers.admin.vars.ENVIRONMENT: ENVIRONMENT is injected into every worker"] },
  { name: "a missing migrations folder", system: (s) => (s.databases.main.migrations = "migrations/nope"), expect: ['system.databases.main.migrations: folder "migrations/nope" does not exist'] },
  { name: "a logical key that cannot be a name", system: (s) => (s.kvNamespaces.Rate_Limit = {}), expect: ["system.kvNamespaces.Rate_Limit: the key must be lowercase letters"] },
  { name: "a declared secret no worker uses", system: (s) => (s.secrets.UNUSED_TOKEN = { from: "config" }), expect: ["system.secrets.UNUSED_TOKEN: declared but no worker lists it"] },
  { name: "a secret with two sources", system: (s) => (s.secrets.ADMIN_TOKEN = { from: "config", generate: { length: 32 } }), expect: ["system.secrets.ADMIN_TOKEN: a secret needs exactly one source"] },
  { name: "a var of the wrong type", system: (s) => (s.workers.admin.vars = ["OPENAI_MODEL"]), expect: ["system.workers.admin.vars: Invalid input: expected record, received array"] },
  // Security review (issue 15): nothing from the declaration reaches a shell or leaves the project.
  {
    name: "a migrations folder carrying a shell command",
    system: (s) => (s.databases.main.migrations = "migrations/main;touch PWNED;true"),
    expect: ['system.databases.main.migrations: "migrations/main;touch PWNED;true" is not a plain relative path'],
  },
  { name: "a migrations folder outside the project", system: (s) => (s.databases.main.migrations = "../migrations"), expect: ['system.databases.main.migrations: "../migrations" leaves the project root'] },
  { name: "an entry outside the project", system: (s) => (s.workers.admin.entry = "../../../etc/hostname"), expect: ['system.workers.admin.entry: "../../../etc/hostname" leaves the project root'] },
  { name: "an entry that climbs out in the middle", system: (s) => (s.workers.admin.entry = "workers/../../x.ts"), expect: ['system.workers.admin.entry: "workers/../../x.ts" leaves the project root'] },
  { name: "an absolute entry", system: (s) => (s.workers.admin.entry = "/etc/hostname"), expect: ['system.workers.admin.entry: "/etc/hostname" is an absolute path'] },
  { name: "an entry with a space", system: (s) => (s.workers.admin.entry = "workers/admin/my index.ts"), expect: ["system.workers.admin.entry: \"workers/admin/my index.ts\" is not a plain relative path"] },
  { name: "a Telegram API over plain http", system: (s) => (s.workers.bot.telegram.apiBase = "http://api.telegram.org"), expect: ["system.workers.bot.telegram.apiBase: must be an https:// URL (the bot token travels in its path)"] },
  { name: "a Telegram API of another scheme", system: (s) => (s.workers.bot.telegram.apiBase = "ftp://api.telegram.org"), expect: ["system.workers.bot.telegram.apiBase: must be an https:// URL"] },
  { name: "a Telegram API on a look-alike loopback name", system: (s) => (s.workers.bot.telegram.apiBase = "http://127.0.0.1.evil.example"), expect: ["system.workers.bot.telegram.apiBase: must be an https:// URL"] },
  { name: "a Telegram API URL with credentials", system: (s) => (s.workers.bot.telegram.apiBase = "https://user:pw@api.telegram.org"), expect: ["system.workers.bot.telegram.apiBase: must be an https:// URL"] },
  {
    name: "a var whose URL carries a password",
    system: (s) => (s.workers.admin.vars = { DATABASE_URL: "postgres://app:hunter2secret@db.example.com/app" }),
    expect: ["system.workers.admin.vars.DATABASE_URL: the value looks like a credential given in plaintext"],
  },
  {
    name: "a JSON var holding a URL with a password",
    system: (s) => (s.workers.admin.vars = { UPSTREAMS: { main: "https://bot:s3cr3t@api.example.com/v1" } }),
    expect: ["system.workers.admin.vars.UPSTREAMS: the value looks like a credential given in plaintext"],
  },
];

describe("invalid configurations", () => {
  for (const c of cases) {
    it(`reject ${c.name}, registering nothing`, async () => {
      const ev = await evaluateCase(c);
      assert.ok(ev.error, "the program must fail");
      assert.ok(pulumi.RunError.isInstance(ev.error), "a RunError: Pulumi prints the message without a stack trace");
      for (const e of c.expect) {
        if (typeof e === "string") assert.ok(ev.error.message.includes(e), `expected "${e}" in:\n${ev.error.message}`);
        else assert.match(ev.error.message, e);
      }
      assert.deepEqual(ev.resources, [], "no resource may be registered");
    });
  }

  it("list every missing secret at once, each with the command that sets it", async () => {
    const ev = await evaluate("production", { secrets: {} });
    assert.ok(ev.error);
    assert.ok(ev.error.message.includes("2 secrets are not set for this stack: OPENAI_API_KEY, TELEGRAM_BOT_TOKEN"), ev.error.message);
    assert.ok(ev.error.message.includes("pulumi config set --secret OPENAI_API_KEY <value> --stack production"));
    assert.ok(ev.error.message.includes("pulumi config set --secret TELEGRAM_BOT_TOKEN <value> --stack production"));
    assert.deepEqual(ev.resources, []);
  });

  it("report every problem of one configuration in one run", async () => {
    const system = referenceSystem();
    system.workers.bot.varz = {};
    system.workers.admin.bindings.DB = { d1: "mian" };
    system.workers.admin.entry = "workers/nope.ts";
    system.workers.admin.hostnames = ["bot"];
    const ev = await evaluate("staging", { system, plain: { accountId: "TODO" }, secrets: { OPENAI_API_KEY: "x" } });
    assert.ok(ev.error);
    const m = ev.error.message;
    assert.match(m, /has 6 problems/);
    for (const part of ["system.workers.bot.varz: unknown key", 'D1 database "mian"', 'entry file "workers/nope.ts"', "hostname bot-staging.example.com", 'accountId: placeholder id "TODO"', "TELEGRAM_BOT_TOKEN"])
      assert.ok(m.includes(part), `missing "${part}" in:\n${m}`);
  });

  it("require the account and zone ids, saying how to set them", async () => {
    const ev = await evaluate("staging", { plain: { accountId: "", zoneId: "" } });
    assert.ok(ev.error);
    assert.ok(ev.error.message.includes("accountId: not set"));
    assert.ok(ev.error.message.includes("pulumi config set zoneId <id> --stack staging"));
  });
});

/**
 * `npm start --watch` on a temporary copy of the reference project: an edit of a worker's source
 * is served by the next requests, D1 rows survive every reload, a broken edit (one that does not
 * bundle, or code workerd refuses) keeps the previous version serving and prints the error, and a
 * declaration change re-evaluates the program and applies only what changed.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { LocalStack, startLocal } from "../local/runner";
import { one, reveal, ROOT, TYPES } from "./helpers";

function request(base: string, pathname: string, init: { method?: string; host?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = http.request(
      new URL(pathname, base),
      { method: init.method ?? "GET", headers: { ...(init.host ? { host: init.host } : {}), ...(payload ? { "content-type": "application/json" } : {}), ...init.headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** Polls until `check` holds (a reload is asynchronous), failing with the last value seen. */
async function eventually<T>(get: () => Promise<T>, check: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  let error: unknown;
  while (Date.now() < deadline) {
    try {
      last = await get();
      if (check(last)) return last;
    } catch (e) {
      error = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what}: not seen within ${ms} ms; last: ${JSON.stringify(last)} ${error ?? ""}`);
}

describe("local runner --watch (on a copy of the reference project)", function () {
  this.timeout(180_000);
  let tmp: string;
  let root: string;
  let local: LocalStack;
  const lines: string[] = [];
  let adminToken: string;
  let webhookSecret: string;
  const adminSource = () => path.join(root, "workers", "admin", "index.ts");
  const admin = () => local.workers.find((w) => w.key === "admin")!;
  const bot = () => local.workers.find((w) => w.key === "bot")!;
  const conversations = () => request(admin().url, "/admin/conversations?chat_id=42", { headers: { authorization: `Bearer ${adminToken}` } });
  const notFound = () => request(admin().url, "/no-such-route");

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ws-watch-"));
    root = path.join(tmp, "project");
    fs.mkdirSync(root);
    for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml"]) fs.copyFileSync(path.join(ROOT, f), path.join(root, f));
    for (const d of ["workers", "migrations"]) fs.cpSync(path.join(ROOT, d), path.join(root, d), { recursive: true });
    // Test scaffolding in the copy: admin also answers /_env with the names of what it is bound to.
    fs.writeFileSync(
      adminSource(),
      fs.readFileSync(adminSource(), "utf8").replace(
        "const url = new URL(request.url);",
        'const url = new URL(request.url);\n    if (url.pathname === "/_env") return Response.json(Object.keys(env).sort());\n' +
          '    if (url.pathname === "/_tables") return Response.json((await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = \'table\' ORDER BY name").all<{ name: string }>()).results.map((r) => r.name));',
      ),
    );
    local = await startLocal({ root, stack: "staging", port: 0, stateDir: path.join(tmp, "state"), fresh: true, watch: true, log: (l) => lines.push(l) });
    const bindings = (name: string) => (reveal(one(local.evaluation, TYPES.script, name).inputs) as any).bindings as any[];
    adminToken = bindings("admin").find((b) => b.name === "ADMIN_TOKEN").text;
    webhookSecret = bindings("bot").find((b) => b.name === "TELEGRAM_WEBHOOK_SECRET").text;
    const update = { update_id: 1, message: { text: "kept across reloads", chat: { id: 42 }, from: { id: 420, username: "watcher", first_name: "W" } } };
    const stored = await request(bot().url, "/telegram/webhook", { method: "POST", headers: { "x-telegram-bot-api-secret-token": webhookSecret }, body: update });
    assert.equal(stored.status, 200, JSON.stringify(stored.json));
  });
  after(async () => {
    await local?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const rowsKept = async () => {
    const res = await conversations();
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.data.conversations.flatMap((c: any) => c.messages.map((m: any) => m.content)), ["kept across reloads"]);
  };

  it("serves an edit of a worker's source on the next requests, at the same URL, with its D1 rows", async () => {
    const before = await notFound();
    assert.equal(before.status, 404);
    assert.doesNotMatch(JSON.stringify(before.json), /edited once/);
    const url = admin().url;
    fs.writeFileSync(adminSource(), fs.readFileSync(adminSource(), "utf8").replace('fail(404, "not found")', 'fail(404, "not found, edited once")'));
    await eventually(notFound, (r) => JSON.stringify(r.json).includes("edited once"), "the edited admin");
    assert.equal(admin().url, url, "the worker keeps its direct URL");
    await rowsKept();
    await eventually(async () => lines, (ls) => ls.some((l) => /\[watch\] reloaded in [\d.]+ s: admin: code$/.test(l)), "the report that admin alone was reloaded");
  });

  it("keeps the previous version serving on an edit that does not bundle, and prints the error with the file", async () => {
    const good = fs.readFileSync(adminSource(), "utf8");
    const seen = lines.length;
    fs.writeFileSync(adminSource(), good.replace('fail(404, "not found, edited once")', 'fail(404, "not found, broken" +)'));
    const printed = await eventually(async () => lines.slice(seen).join("\n"), (t) => /not applied/.test(t), "the bundle error");
    assert.match(printed, /previous version keeps serving/);
    assert.match(printed, /workers\/admin\/index\.ts:\d+/);
    const still = await notFound();
    assert.match(JSON.stringify(still.json), /edited once/);
    await rowsKept();
    fs.writeFileSync(adminSource(), good.replace("edited once", "edited twice"));
    await eventually(notFound, (r) => JSON.stringify(r.json).includes("edited twice"), "the repaired admin");
  });

  it("keeps the previous version serving when workerd refuses the new code (it throws on load)", async () => {
    const good = fs.readFileSync(adminSource(), "utf8");
    const seen = lines.length;
    fs.writeFileSync(adminSource(), `${good}\nthrow new Error("refused at load time");\n`);
    const printed = await eventually(async () => lines.slice(seen).join("\n"), (t) => /not applied/.test(t), "the load error");
    assert.match(printed, /previous version keeps serving/);
    const still = await eventually(notFound, (r) => r.status === 404, "admin serving again");
    assert.match(JSON.stringify(still.json), /edited twice/);
    await rowsKept();
    fs.writeFileSync(adminSource(), good);
  });

  it("re-evaluates the program on a declaration change and applies only what changed, printing it", async () => {
    const seen = lines.length;
    const file = path.join(root, "Pulumi.staging.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('RATE_LIMIT_PER_MINUTE: "5"', 'RATE_LIMIT_PER_MINUTE: "5"\n        admin:\n          vars:\n            WATCH_ADDED: "yes"'));
    const env = await eventually(() => request(admin().url, "/_env"), (r) => Array.isArray(r.json) && r.json.includes("WATCH_ADDED"), "the new var in admin's env");
    assert.deepEqual(env.json, ["ADMIN_TOKEN", "DB", "ENVIRONMENT", "VERSION", "WATCH_ADDED"]);
    const printed = await eventually(async () => lines.slice(seen).join("\n"), (t) => /\[watch\] reloaded/.test(t), "the reload report");
    assert.match(printed, /admin: bindings \+WATCH_ADDED/);
    assert.doesNotMatch(printed, /bot:/, "bot did not change");
    assert.ok((reveal(one(local.evaluation, TYPES.script, "admin").inputs) as any).bindings.some((b: any) => b.name === "WATCH_ADDED"), "the evaluation is the new one");
    await rowsKept();
  });

  it("applies a new migration file without losing rows; a broken declaration keeps serving and prints the error", async () => {
    fs.writeFileSync(path.join(root, "migrations", "main", "0003_tags.sql"), "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n");
    const tables = await eventually(() => request(admin().url, "/_tables"), (r) => Array.isArray(r.json) && r.json.includes("tags"), "the table of the new migration");
    assert.ok(tables.json.includes("messages") && tables.json.includes("d1_migrations"));
    await eventually(async () => lines.join("\n"), (t) => /\[watch\] reloaded in [\d.]+ s: database main: applied 0003_tags\.sql/.test(t), "the report of the new migration");
    await rowsKept();

    const seen = lines.length;
    const file = path.join(root, "Pulumi.staging.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("WATCH_ADDED: \"yes\"", "WATCH_ADDED: \"yes\"\n          bindings:\n            KV: { kv: no-such-namespace }"));
    const printed = await eventually(async () => lines.slice(seen).join("\n"), (t) => /not applied/.test(t), "the config error");
    assert.match(printed, /no-such-namespace/);
    const env = await request(admin().url, "/_env");
    assert.deepEqual(env.json, ["ADMIN_TOKEN", "DB", "ENVIRONMENT", "VERSION", "WATCH_ADDED"], "the last good declaration keeps serving");
    await rowsKept();
  });
});

describe("local runner with the evaluation in a worker thread (as npm start runs it)", function () {
  this.timeout(180_000);

  it("registers what the in-process evaluation registers, and serves every worker healthy", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ws-thread-"));
    const opts = { root: ROOT, stack: "staging", port: 0, fresh: true, log: () => undefined };
    try {
      const threaded = await startLocal({ ...opts, stateDir: path.join(tmp, "a"), evaluateIn: "thread" });
      const inputs = (l: LocalStack) => Object.fromEntries(l.evaluation.resources.map((r) => [r.urn, r.inputs]));
      let viaThread: Record<string, unknown>;
      try {
        viaThread = inputs(threaded);
        for (const w of threaded.workers) assert.equal((await request(w.url, "/health")).status, 200, w.key);
      } finally {
        await threaded.dispose();
      }
      // The same state folder, so the same seed: generated secrets must match too.
      const inProcess = await startLocal({ ...opts, fresh: false, stateDir: path.join(tmp, "a") });
      try {
        assert.ok(Object.keys(viaThread).length > 10);
        assert.deepEqual(inputs(inProcess), viaThread);
      } finally {
        await inProcess.dispose();
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/**
 * The migration script the Pulumi command runs, run here with --local against a workerd-backed
 * D1 (wrangler's own local mode), then read back through Miniflare.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { ROOT } from "./helpers";

const DB_ID = "5b0c5e4e-3f7a-4d2b-9c1e-2a6f8d9e0b11";

function migrate(persist: string, migrations: string, name = "tg-main-test") {
  const r = spawnSync(process.execPath, [path.join(ROOT, "components/d1-migrate.js"), "--database", name, "--id", DB_ID, "--migrations", migrations, "--local", "--persist-to", persist], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function withDb<T>(persist: string, fn: (db: D1Like) => Promise<T>): Promise<T> {
  // The same layout wrangler's --persist-to uses: <dir>/v3/d1/...
  const mf = new Miniflare(convertV4MiniflareOptions({
    workers: [{ name: "reader", modules: true, script: "export default { fetch() { return new Response('') } }", compatibilityDate: "2025-09-01", d1Databases: { DB: DB_ID } }],
    resourcePersistencePath: path.join(persist, "v3"),
  }));
  try {
    return await fn((await mf.getD1Database("DB")) as unknown as D1Like);
  } finally {
    await mf.dispose();
  }
}

interface D1Like {
  prepare(sql: string): { bind(...v: unknown[]): { run(): Promise<unknown>; all<T>(): Promise<{ results: T[] }> }; all<T>(): Promise<{ results: T[] }>; run(): Promise<unknown> };
  batch(stmts: unknown[]): Promise<unknown>;
}

describe("D1 migrations through components/d1-migrate.js --local", function () {
  this.timeout(180_000);
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ws-migrate-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("apply the reference migrations: tables, index, cascade delete, history; a second run applies nothing", async () => {
    const first = migrate(tmp, "migrations/main");
    assert.equal(first.status, 0, first.output);

    await withDb(tmp, async (db) => {
      const objects = (await db.prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name").all<{ type: string; name: string }>()).results;
      assert.deepEqual(objects, [
        { type: "table", name: "d1_migrations" },
        { type: "index", name: "idx_messages_dialog_time" },
        { type: "table", name: "messages" },
        { type: "table", name: "users" },
      ]);
      const history = (await db.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>()).results.map((r) => r.name);
      assert.deepEqual(history, ["0001_users.sql", "0002_messages.sql"]);
      const indexed = (await db.prepare("SELECT name FROM pragma_index_info('idx_messages_dialog_time') ORDER BY seqno").all<{ name: string }>()).results.map((r) => r.name);
      assert.deepEqual(indexed, ["chat_id", "created_at"]);

      // ON DELETE CASCADE on real rows: deleting a user deletes their messages, not others'.
      await db.batch([
        db.prepare("INSERT INTO users (id, chat_id, username) VALUES (?1, ?2, ?3)").bind(1, 100, "ann"),
        db.prepare("INSERT INTO users (id, chat_id, username) VALUES (?1, ?2, ?3)").bind(2, 200, "bob"),
        db.prepare("INSERT INTO messages (user_id, chat_id, role, content) VALUES (1, 100, 'user', 'hi')"),
        db.prepare("INSERT INTO messages (user_id, chat_id, role, content) VALUES (1, 100, 'assistant', 'hello')"),
        db.prepare("INSERT INTO messages (user_id, chat_id, role, content) VALUES (2, 200, 'user', 'yo')"),
      ]);
      await db.prepare("DELETE FROM users WHERE id = 1").run();
      const left = (await db.prepare("SELECT user_id, content FROM messages ORDER BY id").all<{ user_id: number; content: string }>()).results;
      assert.deepEqual(left, [{ user_id: 2, content: "yo" }]);
    });

    const second = migrate(tmp, "migrations/main");
    assert.equal(second.status, 0, second.output);
    assert.match(second.output, /No migrations to apply/);
    await withDb(tmp, async (db) => {
      const n = (await db.prepare("SELECT COUNT(*) AS n FROM d1_migrations").all<{ n: number }>()).results[0]!.n;
      assert.equal(n, 2);
    });
  });

  it("stop at a broken migration: non-zero exit, no partial change, later files not applied", async () => {
    const dir = path.join(tmp, "migrations");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "0001_a.sql"), "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    fs.writeFileSync(path.join(dir, "0002_b.sql"), "CREATE TABLE b (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n");
    fs.writeFileSync(path.join(dir, "0003_c.sql"), "CREATE TABLE c (id INTEGER PRIMARY KEY);\n");
    const persist = path.join(tmp, "state");

    const run = migrate(persist, dir);
    assert.notEqual(run.status, 0, "a failing migration must fail the command");
    assert.match(run.output, /no_such_table/);
    // One clean block: the database, the file, the SQL error; none of wrangler's raw output.
    assert.match(
      run.output,
      /d1-migrate: a migration of D1 \S+ \(local\) failed\n {2}file: {4}\S*0002_b\.sql\n {2}error: {3}no such table: no_such_table: SQLITE_ERROR\n {2}applied in this run: 0001_a\.sql\n {2}not applied: 0002_b\.sql \(rolled back\), 0003_c\.sql\n {2}the database stays at 0001_a\.sql/,
    );
    assert.doesNotMatch(run.output, /\u001b\[|update available|🕒|[│┌└]/u, "no colour codes, update notice, emoji or table");

    await withDb(persist, async (db) => {
      const tables = (await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b', 'c') ORDER BY name").all<{ name: string }>()).results.map((r) => r.name);
      assert.deepEqual(tables, ["a"], "0002 rolled back as a whole, 0003 never ran");
      const history = (await db.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>()).results.map((r) => r.name);
      assert.deepEqual(history, ["0001_a.sql"]);
    });
  });

  it("refuse bad usage and a remote run without credentials, before calling wrangler", () => {
    const script = path.join(ROOT, "components/d1-migrate.js");
    const noMode = spawnSync(process.execPath, [script, "--database", "x", "--id", DB_ID, "--migrations", "migrations/main"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(noMode.status, 2);
    assert.match(noMode.stderr, /exactly one of --remote and --local/);
    const env = { ...process.env };
    delete env.CLOUDFLARE_API_TOKEN;
    delete env.CLOUDFLARE_ACCOUNT_ID;
    const remote = spawnSync(process.execPath, [script, "--database", "x", "--id", DB_ID, "--migrations", "migrations/main", "--remote"], { cwd: ROOT, encoding: "utf8", env });
    assert.equal(remote.status, 2);
    assert.match(remote.stderr, /CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID must be set/);
  });

  it("mask credential values in what it prints", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { mask } = require("../components/d1-migrate.js") as { mask(s: string): string };
    const saved = process.env.CLOUDFLARE_API_TOKEN;
    process.env.CLOUDFLARE_API_TOKEN = "tok-1234567890-secret";
    try {
      assert.equal(mask("auth tok-1234567890-secret failed"), "auth *** failed");
    } finally {
      if (saved === undefined) delete process.env.CLOUDFLARE_API_TOKEN;
      else process.env.CLOUDFLARE_API_TOKEN = saved;
    }
  });

  it("parse the Time Travel bookmark wrangler prints", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parseBookmark } = require("../components/d1-migrate.js") as { parseBookmark(s: string): string | undefined };
    assert.equal(parseBookmark('{\n  "bookmark": "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683",\n  "timestamp": "2026-11-22T10:00:00Z"\n}'), "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683");
    assert.equal(parseBookmark("✘ [ERROR] not found"), undefined);
  });
});

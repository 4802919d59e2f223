/**
 * The local runner applies D1 migrations in-process (local/d1Migrations.ts). These tests prove it
 * is wrangler's own behaviour: the same folders applied by it and by
 * `wrangler d1 migrations apply --local` leave the same schema, the same rows and the same
 * d1_migrations history, and wrangler, run afterwards over our database, applies nothing.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { applyMigrations, D1Like, migrationFiles, MigrationError, splitSqlQuery } from "../local/d1Migrations";
import { startLocal } from "../local/runner";
import { ROOT, TYPES } from "./helpers";

const DB_ID = "7c1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d4e5";
const WRANGLER = path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

/** wrangler's own local apply, with a config naming only this database. */
function wranglerApply(persist: string, migrations: string, name = "equiv-db", id = DB_ID) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-wrangler-cfg-"));
  try {
    const config = path.join(dir, "wrangler.json");
    fs.writeFileSync(config, JSON.stringify({ name: "equiv", compatibility_date: "2025-01-01", d1_databases: [{ binding: "DB", database_name: name, database_id: id, migrations_dir: migrations }] }));
    const r = spawnSync(process.execPath, [WRANGLER, "d1", "migrations", "apply", name, "--local", "--persist-to", persist, "--config", config], {
      encoding: "utf8",
      env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function withDb<T>(persist: string, fn: (db: D1Like) => Promise<T>, id = DB_ID): Promise<T> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [{ name: "reader", modules: true, script: "export default { fetch() { return new Response('') } }", compatibilityDate: "2025-09-01", d1Databases: { DB: id } }],
      resourcePersistencePath: path.join(persist, "v3"),
    }),
  );
  try {
    return await fn((await mf.getD1Database("DB")) as unknown as D1Like);
  } finally {
    await mf.dispose();
  }
}

/** Everything a migration can leave behind: schema objects with their SQL, the history, every row. */
async function snapshot(persist: string, id = DB_ID) {
  return withDb(
    persist,
    async (db) => {
      const all = async <T>(sql: string) => (await db.prepare(sql).all<T>()).results;
      const schema = await all<{ type: string; name: string; tbl_name: string; sql: string | null }>(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type, name",
      );
      const history = await all<{ id: number; name: string }>("SELECT id, name FROM d1_migrations ORDER BY id");
      const appliedAt = await all<{ applied_at: string }>("SELECT applied_at FROM d1_migrations");
      const rows: Record<string, unknown[]> = {};
      for (const t of schema.filter((o) => o.type === "table" && o.name !== "d1_migrations")) rows[t.name] = await all(`SELECT * FROM "${t.name}" ORDER BY rowid`);
      return { schema, history, rows, appliedAt };
    },
    id,
  );
}

/** Migration files that exercise the splitter and the ordering: what wrangler does must be done. */
function trickyFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    "0001_init.sql": "-- a comment; with a semicolon\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, \"weird;name\" TEXT, [br;acket] TEXT);\n/* block; comment */\nINSERT INTO notes (body) VALUES ('semi;colon in a string'), ('it''s quoted');\n",
    "2_trigger.sql":
      "CREATE TABLE audit (note_id INTEGER, what TEXT);\nCREATE TRIGGER notes_audit AFTER INSERT ON notes BEGIN\n  INSERT INTO audit (note_id, what) VALUES (new.id, 'insert;ed');\n  INSERT INTO audit (note_id, what) VALUES (new.id, 'twice');\nEND;\nINSERT INTO notes (body) VALUES ('after trigger');\n",
    "10_transaction.sql": "BEGIN TRANSACTION;\nCREATE INDEX notes_body ON notes (body);\nCOMMIT;\n",
    "0003_view.sql": "CREATE VIEW note_bodies AS SELECT body FROM notes;",
    // Names the validator once refused and wrangler applies: a letter after the number (39), a
    // tie on 39 broken by name, a space, and no number at all (after every numbered file).
    "039b_fix.sql": "INSERT INTO notes (body) VALUES ('39b');\n",
    "0039_a.sql": "INSERT INTO notes (body) VALUES ('39');\n",
    "0040_with space.sql": "INSERT INTO notes (body) VALUES ('40');\n",
    "seed.sql": "INSERT INTO notes (body) VALUES ('seed');\n",
    "README.md": "not a migration",
    ".hidden.sql": "CREATE TABLE hidden (x);",
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
}

describe("D1 migrations in-process, against wrangler d1 migrations apply --local", function () {
  this.timeout(180_000);
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ws-d1eq-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("orders files as wrangler does: by the number before the first _ (039b is 39), unnumbered last, *.sql only, no dot files", () => {
    trickyFolder(path.join(tmp, "m"));
    assert.deepEqual(migrationFiles(path.join(tmp, "m")), ["0001_init.sql", "2_trigger.sql", "0003_view.sql", "10_transaction.sql", "0039_a.sql", "039b_fix.sql", "0040_with space.sql", "seed.sql"]);
  });

  it("splits statements as SQLite's sqlite3_complete does: strings, identifiers, comments and trigger bodies stay whole", () => {
    assert.deepEqual(splitSqlQuery("SELECT 1;"), ["SELECT 1;"]);
    assert.deepEqual(splitSqlQuery("SELECT ';';\nSELECT [a;b] -- c;d\n;"), ["SELECT ';'", "SELECT [a;b] -- c;d"]);
    assert.deepEqual(splitSqlQuery("CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; SELECT 2; END; SELECT 3;"), [
      "CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; SELECT 2; END",
      "SELECT 3",
    ]);
    assert.throws(() => splitSqlQuery("BEGIN TRANSACTION;\nSELECT 1;\nCOMMIT;\nBEGIN TRANSACTION;\nSELECT 2;"), /several transactions/);
  });

  for (const folder of ["reference", "tricky"]) {
    it(`${folder} migrations: same schema, rows and history both ways; wrangler then applies nothing over ours`, async () => {
      const dir = folder === "reference" ? path.join(ROOT, "migrations", "main") : path.join(tmp, "m");
      if (folder === "tricky") trickyFolder(dir);
      const theirs = path.join(tmp, "wrangler");
      const ours = path.join(tmp, "ours");

      const w = wranglerApply(theirs, dir);
      assert.equal(w.status, 0, w.output);
      const result = await withDb(ours, (db) => applyMigrations(db, "equiv-db", dir));
      assert.deepEqual(result.applied, migrationFiles(dir));

      const a = await snapshot(theirs);
      const b = await snapshot(ours);
      assert.ok(a.schema.length > 1 && a.history.length === migrationFiles(dir).length, "wrangler applied the folder");
      assert.deepEqual(b.schema, a.schema, "same tables, indexes, triggers and views, with the same SQL");
      assert.deepEqual(b.history, a.history, "same d1_migrations rows");
      assert.deepEqual(b.rows, a.rows, "same rows written by the migrations (triggers fired alike)");
      for (const { applied_at } of b.appliedAt) assert.match(applied_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, "applied_at in SQLite's CURRENT_TIMESTAMP format");

      const again = wranglerApply(ours, dir);
      assert.equal(again.status, 0, again.output);
      assert.match(again.output, /No migrations to apply/);
      assert.deepEqual((await withDb(ours, (db) => applyMigrations(db, "equiv-db", dir))).applied, [], "ours applies nothing twice either");
    });
  }

  it("a new file after wrangler's apply: ours applies just that one, with the next history id", async () => {
    const dir = path.join(tmp, "m");
    trickyFolder(dir);
    fs.renameSync(path.join(dir, "10_transaction.sql"), path.join(tmp, "later.sql"));
    const persist = path.join(tmp, "state");
    assert.equal(wranglerApply(persist, dir).status, 0);
    fs.renameSync(path.join(tmp, "later.sql"), path.join(dir, "10_transaction.sql"));
    const result = await withDb(persist, (db) => applyMigrations(db, "equiv-db", dir));
    assert.deepEqual(result.applied, ["10_transaction.sql"]);
    assert.deepEqual((await snapshot(persist)).history.map((h) => [h.id, h.name]), [
      [1, "0001_init.sql"],
      [2, "2_trigger.sql"],
      [3, "0003_view.sql"],
      [4, "0039_a.sql"],
      [5, "039b_fix.sql"],
      [6, "0040_with space.sql"],
      [7, "seed.sql"],
      [8, "10_transaction.sql"],
    ]);
  });

  it("a failing file: rolled back whole, later files not applied, the same state wrangler leaves; the error names the file", async () => {
    const dir = path.join(tmp, "m");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "0001_a.sql"), "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    fs.writeFileSync(path.join(dir, "0002_b.sql"), "CREATE TABLE b (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n");
    fs.writeFileSync(path.join(dir, "0003_c.sql"), "CREATE TABLE c (id INTEGER PRIMARY KEY);\n");
    const theirs = path.join(tmp, "wrangler");
    const ours = path.join(tmp, "ours");
    assert.notEqual(wranglerApply(theirs, dir).status, 0);
    await assert.rejects(
      withDb(ours, (db) => applyMigrations(db, "equiv-db", dir)),
      (e: unknown) => e instanceof MigrationError && e.file === "0002_b.sql" && /no_such_table/.test(e.message) && /0002_b\.sql failed and was rolled back/.test(e.message),
    );
    const a = await snapshot(theirs);
    const b = await snapshot(ours);
    assert.deepEqual(b.schema, a.schema);
    assert.deepEqual(b.history, a.history);
    assert.deepEqual(b.history.map((h) => h.name), ["0001_a.sql"]);
  });

  it("npm start's migrated state is wrangler's: `wrangler d1 migrations apply --local` over it applies nothing", async () => {
    const state = path.join(tmp, "local");
    const local = await startLocal({ root: ROOT, stack: "staging", port: 0, stateDir: state, fresh: true, log: () => undefined });
    const d1 = local.evaluation.resources.find((r) => r.type === TYPES.d1)!;
    await local.dispose();
    const name = (d1.inputs as { name: string }).name;
    const again = wranglerApply(state, path.join(ROOT, "migrations", "main"), name, d1.id);
    assert.equal(again.status, 0, again.output);
    assert.match(again.output, /No migrations to apply/);
    const snap = await snapshot(state, d1.id);
    assert.deepEqual(snap.history.map((h) => h.name), ["0001_users.sql", "0002_messages.sql"]);
  });
});

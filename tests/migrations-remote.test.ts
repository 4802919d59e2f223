/**
 * The remote path of `components/d1-migrate.js` (what `pulumi up` runs), against a local fake of the
 * D1 HTTP API that wrangler is pointed at with CLOUDFLARE_API_BASE_URL: a Time Travel bookmark is
 * recorded first and the migrations are applied through `/query`; without a bookmark nothing is
 * migrated; the token goes only to the API (as a Bearer header), never to the output.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { DatabaseSync } from "node:sqlite";
import { ROOT } from "./helpers";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const DB_ID = "8d3c5a1e-0b7f-4c2a-9e6d-3f1b2a4c5d6e";
const TOKEN = "fake-d1-token-3b9e1c7a5d";
const BOOKMARK = "00000085-0000024c-00004c6d-8e2b5f3a";

interface FakeD1 {
  base: string;
  requests: { method: string; path: string; auth: string | undefined; sql?: string }[];
  db: DatabaseSync;
  /** When false, the bookmark endpoint answers as the API does for a database without Time Travel. */
  bookmark: boolean;
  close(): Promise<void>;
}

/** The part of the D1 API wrangler uses for `time-travel info` and `migrations apply --remote`, on SQLite. */
async function fakeD1(): Promise<FakeD1> {
  const db = new DatabaseSync(":memory:");
  const fake = { requests: [], db, bookmark: true } as unknown as FakeD1;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      const send = (status: number, o: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(o));
      const ok = (result: unknown) => send(200, { success: true, errors: [], messages: [], result });
      const query = path.endsWith("/query") ? (JSON.parse(body) as { sql: string; params?: unknown[] }) : undefined;
      fake.requests.push({ method: req.method ?? "", path, auth: req.headers.authorization, ...(query ? { sql: query.sql } : {}) });
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(403, { success: false, errors: [{ code: 10000, message: "Authentication error" }] });
      const dbPath = `/client/v4/accounts/${ACCOUNT}/d1/database/${DB_ID}`;
      if (req.method === "GET" && path === dbPath) return ok({ uuid: DB_ID, name: "tg-main-staging", version: "production", num_tables: 0, file_size: 0 });
      if (req.method === "GET" && path === `${dbPath}/time_travel/bookmark`) {
        if (!fake.bookmark) return send(400, { success: false, errors: [{ code: 7500, message: "Time Travel is not available for this database" }] });
        return ok({ bookmark: BOOKMARK });
      }
      if (req.method === "POST" && query && path === `${dbPath}/query`) {
        try {
          // Each query runs atomically, as D1 does: a failing statement rolls the whole query back.
          if (/^\s*SELECT\b/i.test(query.sql)) return ok([{ results: db.prepare(query.sql).all(...((query.params ?? []) as never[])), success: true, meta: {} }]);
          db.exec("BEGIN");
          try {
            db.exec(query.sql);
            db.exec("COMMIT");
          } catch (e) {
            db.exec("ROLLBACK");
            throw e;
          }
          return ok([{ results: [], success: true, meta: { changes: 0 } }]);
        } catch (e) {
          return send(400, { success: false, errors: [{ code: 7500, message: e instanceof Error ? e.message : String(e) }] });
        }
      }
      send(404, { success: false, errors: [{ code: 7003, message: `no route for ${req.method} ${path}` }] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

function migrateRemote(fake: FakeD1): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["components/d1-migrate.js", "--database", "tg-main-staging", "--id", DB_ID, "--migrations", "migrations/main", "--remote"],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, CLOUDFLARE_API_BASE_URL: fake.base, CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CI: "true" },
        timeout: 120_000,
      },
      (err, stdout, stderr) => resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

const tables = (db: DatabaseSync) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe("D1 migrations through components/d1-migrate.js --remote (a local fake of the D1 API)", function () {
  this.timeout(240_000);
  let fake: FakeD1;
  beforeEach(async () => (fake = await fakeD1()));
  afterEach(() => fake.close());

  it("records a Time Travel bookmark first, prints the restore command, applies every file once", async () => {
    const r = await migrateRemote(fake);
    assert.equal(r.status, 0, r.output);
    assert.ok(r.output.includes(`D1 tg-main-staging: Time Travel bookmark before migrating: ${BOOKMARK}`), r.output);
    assert.ok(r.output.includes(`To undo this migration run: npx wrangler d1 time-travel restore tg-main-staging --bookmark=${BOOKMARK}`));
    const bookmarkAt = fake.requests.findIndex((q) => q.path.endsWith("/time_travel/bookmark"));
    const firstQuery = fake.requests.findIndex((q) => q.sql !== undefined);
    assert.ok(bookmarkAt >= 0 && firstQuery > bookmarkAt, "the bookmark is taken before any SQL runs");
    assert.deepEqual(tables(fake.db), ["d1_migrations", "messages", "users"]);
    assert.deepEqual((fake.db.prepare("SELECT name FROM d1_migrations ORDER BY id").all() as { name: string }[]).map((m) => m.name), ["0001_users.sql", "0002_messages.sql"]);
    // The token reached the API, and only the API.
    assert.ok(fake.requests.every((q) => q.auth === `Bearer ${TOKEN}`));
    assert.ok(!r.output.includes(TOKEN), "the token is not in the output");

    const again = await migrateRemote(fake);
    assert.equal(again.status, 0, again.output);
    assert.match(again.output, /No migrations to apply/);
    assert.equal((fake.db.prepare("SELECT count(*) AS n FROM d1_migrations").get() as { n: number }).n, 2, "nothing applied twice");
  });

  it("without a Time Travel bookmark, migrates nothing and fails", async () => {
    fake.bookmark = false;
    const r = await migrateRemote(fake);
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /could not record a Time Travel bookmark for tg-main-staging; not migrating without a way back/);
    assert.ok(fake.requests.some((q) => q.path.endsWith("/time_travel/bookmark")), "the bookmark was asked for");
    assert.deepEqual(fake.requests.filter((q) => q.sql !== undefined), [], "no SQL reached the database");
    assert.deepEqual(tables(fake.db), []);
    assert.ok(!r.output.includes(TOKEN));
  });

  it("with a token the API refuses, fails before migrating, without printing the token", async () => {
    const r = await new Promise<{ status: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        ["components/d1-migrate.js", "--database", "tg-main-staging", "--id", DB_ID, "--migrations", "migrations/main", "--remote"],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, CLOUDFLARE_API_BASE_URL: fake.base, CLOUDFLARE_API_TOKEN: "wrong-token-0123456789", CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CI: "true" } },
        (err, stdout, stderr) => resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    assert.notEqual(r.status, 0);
    assert.deepEqual(tables(fake.db), []);
    assert.ok(!r.output.includes("wrong-token-0123456789"), "the token is masked");
  });
});

/**
 * D1 migrations applied in-process through Miniflare's D1, with exactly the semantics of
 * `wrangler d1 migrations apply --local` (wrangler 4.x, src/d1/migrations/{apply,helpers}.ts,
 * src/d1/splitter.ts, src/d1/trimmer.ts and workers-utils' d1-migrations.ts in
 * cloudflare/workers-sdk, which this file follows line by line):
 *
 * - history in `d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
 *   applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`, created if missing;
 * - the files are the `*.sql` files of the folder (no dot files), ordered by the number before
 *   the first `_`, then by name (config/migrationFiles.ts: `039b_fix.sql` is 39); a file is applied when its name is not in the history;
 * - each file is the file's text plus `INSERT INTO "d1_migrations" (name) values ('<name>');`,
 *   split into statements by SQLite's own `sqlite3_complete` state machine (triggers keep their
 *   `BEGIN ... END;`), and run as one D1 batch: atomic, a failing file is rolled back entirely and
 *   the files after it are not applied.
 *
 * wrangler's own dev server applies migrations the same way (a D1 batch of the split statements).
 * tests/d1Migrations.test.ts proves the equivalence: the same folder applied by this and by
 * `wrangler d1 migrations apply --local` leaves the same schema and the same history table, and a
 * later wrangler apply over our database applies nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { compareMigrationFiles, isMigrationFile } from "../config/migrationFiles";

export const MIGRATIONS_TABLE = "d1_migrations";

/** The part of a D1 binding this needs (Miniflare's `getD1Database`, a worker's `env.DB`). */
export interface D1Like {
  prepare(sql: string): D1Statement;
  batch(statements: D1Statement[]): Promise<unknown[]>;
}
interface D1Statement {
  run(): Promise<unknown>;
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
}

export interface MigrationResult {
  /** Files applied now, in order. */
  applied: string[];
  /** Files found in the folder. */
  total: number;
}

export class MigrationError extends Error {
  constructor(
    readonly database: string,
    readonly file: string,
    readonly applied: string[],
    cause: string,
  ) {
    super(
      `D1 ${database}: migration ${file} failed and was rolled back (the files after it were not applied):\n  ${cause}` +
        (applied.length ? `\n  applied before it: ${applied.join(", ")}` : "") +
        `\n  fix the file and start again; the history in ${MIGRATIONS_TABLE} records only the files that were applied`,
    );
  }
}

function escapeIdentifier(id: string): string {
  return `"${id.replace(/"/g, '""')}"`;
}

/** The migration files of a folder in wrangler's order (config/migrationFiles.ts). */
export function migrationFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && isMigrationFile(e.name))
    .map((e) => e.name)
    .sort(compareMigrationFiles);
}

/** Applies the unapplied files of `dir` to `db`, as `wrangler d1 migrations apply` does. */
export async function applyMigrations(db: D1Like, database: string, dir: string, table = MIGRATIONS_TABLE): Promise<MigrationResult> {
  const t = escapeIdentifier(table);
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS ${t}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`,
    )
    .run();
  const done = new Set((await db.prepare(`SELECT *\n\t\tFROM ${t}\n\t\tORDER BY id`).all<{ name: string }>()).results.map((r) => r.name));
  const files = migrationFiles(dir);
  const applied: string[] = [];
  for (const file of files.filter((f) => !done.has(f))) {
    const sql = `${fs.readFileSync(path.join(dir, file), "utf8")}\nINSERT INTO ${t} (name)\nvalues ('${file.replace(/'/g, "''")}');`;
    let statements: string[];
    try {
      statements = splitSqlQuery(sql);
      await db.batch(statements.map((s) => db.prepare(s)));
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause ?? e;
      throw new MigrationError(database, file, applied, cause instanceof Error ? cause.message : String(cause));
    }
    applied.push(file);
  }
  return { applied, total: files.length };
}

/** wrangler's trimSqlQuery: one `BEGIN TRANSACTION;` / `COMMIT;` pair is dropped (D1 runs a file in its own). */
function trimSqlQuery(sql: string): string {
  if (!sql.includes("BEGIN TRANSACTION")) return sql;
  const trimmed = sql.replace("BEGIN TRANSACTION;", "").replace("COMMIT;", "");
  if (trimmed.includes("BEGIN TRANSACTION"))
    throw new Error("the file contains several transactions; D1 runs each migration file in a transaction of its own: remove BEGIN TRANSACTION / COMMIT");
  return trimmed;
}

/** wrangler's splitSqlQuery. */
export function splitSqlQuery(sql: string): string[] {
  const trimmed = trimSqlQuery(sql);
  const end = trimmed.trimEnd();
  const semi = end.indexOf(";");
  if (semi === -1 || semi === end.length - 1) return [trimmed];
  const split = splitSqlIntoStatements(trimmed);
  return split.length === 0 ? [trimmed] : split;
}

function splitSqlIntoStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  while (start < sql.length) {
    const { end, useful } = statementEnd(sql, start);
    if (end === undefined) {
      if (useful) statements.push(sql.slice(start).trim());
      break;
    }
    const statement = sql.slice(start, end - 1).trim();
    if (useful && statement.length > 0) statements.push(statement);
    start = end;
  }
  return statements;
}

type Token = "SEMI" | "WS" | "OTHER" | "EXPLAIN" | "CREATE" | "TEMP" | "TRIGGER" | "END";
type State = "INVALID" | "START" | "NORMAL" | "EXPLAIN" | "CREATE" | "TRIGGER" | "SEMI" | "END";
const row = (semi: State, ws: State, other: State, explain: State, create: State, temp: State, trigger: State, end: State): Record<Token, State> => ({
  SEMI: semi, WS: ws, OTHER: other, EXPLAIN: explain, CREATE: create, TEMP: temp, TRIGGER: trigger, END: end,
});
// SQLite's sqlite3_complete() transitions, as in wrangler's splitter.
const TRANSITIONS: Record<State, Record<Token, State>> = {
  INVALID: row("START", "INVALID", "NORMAL", "EXPLAIN", "CREATE", "NORMAL", "NORMAL", "NORMAL"),
  START: row("START", "START", "NORMAL", "EXPLAIN", "CREATE", "NORMAL", "NORMAL", "NORMAL"),
  NORMAL: row("START", "NORMAL", "NORMAL", "NORMAL", "NORMAL", "NORMAL", "NORMAL", "NORMAL"),
  EXPLAIN: row("START", "EXPLAIN", "EXPLAIN", "NORMAL", "CREATE", "NORMAL", "NORMAL", "NORMAL"),
  CREATE: row("START", "CREATE", "NORMAL", "NORMAL", "NORMAL", "CREATE", "TRIGGER", "NORMAL"),
  TRIGGER: row("SEMI", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER"),
  SEMI: row("SEMI", "SEMI", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER", "END"),
  END: row("START", "END", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER", "TRIGGER"),
};

const isIdentifierChar = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

function classify(word: string): Token {
  switch (word.toLowerCase()) {
    case "explain":
      return "EXPLAIN";
    case "create":
      return "CREATE";
    case "temp":
    case "temporary":
      return "TEMP";
    case "trigger":
      return "TRIGGER";
    case "end":
      return "END";
    default:
      return "OTHER";
  }
}

function statementEnd(sql: string, start: number): { end: number | undefined; useful: boolean } {
  let state: State = "INVALID";
  let useful = false;
  for (let i = start; i < sql.length; i++) {
    const c = sql[i]!;
    let token: Token;
    if (c === ";") token = "SEMI";
    else if (c === " " || c === "\r" || c === "\t" || c === "\n" || c === "\f") token = "WS";
    else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      if (close === -1) return { end: undefined, useful };
      i = close + 1;
      token = "WS";
    } else if (c === "-" && sql[i + 1] === "-") {
      const close = sql.indexOf("\n", i + 2);
      if (close === -1) return { end: undefined, useful };
      i = close;
      token = "WS";
    } else if (c === "[") {
      const close = sql.indexOf("]", i + 1);
      if (close === -1) return { end: undefined, useful: true };
      i = close;
      token = "OTHER";
    } else if (c === "'" || c === '"' || c === "`") {
      const close = sql.indexOf(c, i + 1);
      if (close === -1) return { end: undefined, useful: true };
      i = close;
      token = "OTHER";
    } else if (isIdentifierChar(c)) {
      const from = i;
      while (i + 1 < sql.length && isIdentifierChar(sql[i + 1]!)) i++;
      token = classify(sql.slice(from, i + 1));
    } else token = "OTHER";
    useful ||= token !== "SEMI" && token !== "WS";
    state = TRANSITIONS[state][token];
    if (state === "START") return { end: i + 1, useful };
  }
  return { end: undefined, useful };
}

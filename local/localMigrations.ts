/** The local runner's D1 migrations: the databases to migrate, and the internal worker through which they are applied in-process. */
import * as http from "node:http";
import * as path from "node:path";
import type { Miniflare } from "miniflare";
import type { Plan } from "../config/plan";
import { applyMigrations, D1Like } from "./d1Migrations";
import { Evaluation, reveal } from "../harness/evaluate";
import { RESOURCE_TYPE } from "../config/resourceTypes";

const T = RESOURCE_TYPE;

/** A database the runner migrates: from the plan (name, folder) and the registered D1 (id). */
export interface LocalMigration {
  key: string;
  name: string;
  id: string;
  dir: string;
}

/** The internal worker that binds every migrated database (no route: only its own loopback socket reaches it). */
export const MIGRATOR = "workers-stack-local-migrator";

/** Databases with migrations, from the plan, each with the id the program gave its D1 binding. */
export function localMigrations(root: string, plan: Plan, evaluation: Evaluation): LocalMigration[] {
  const d1 = evaluation.resources.filter((r) => r.type === T.d1);
  return plan.databases
    .filter((db) => db.migrationsDir)
    .map((db) => {
      const resource = d1.find((r) => (reveal(r.inputs) as { name?: string }).name === db.name);
      if (!resource) throw new Error(`workers-stack local: the program registered no D1 database named ${db.name} (databases.${db.key})`);
      return { key: db.key, name: db.name, id: resource.id, dir: path.resolve(root, db.migrationsDir!) };
    });
}

/**
 * The migrator's code: executes what applyMigrations asks of one D1 binding. Migrations go through
 * a socket of this worker rather than Miniflare's getD1Database proxy, which costs ~0.5 s to set up.
 */
export const MIGRATOR_SCRIPT = `export default {
  async fetch(request, env) {
    const { binding, op, sql } = await request.json();
    const db = env[binding];
    try {
      if (op === "batch") {
        const results = await db.batch(sql.map((s) => db.prepare(s)));
        return Response.json({ ok: true, result: results.map((r) => ({ results: r.results ?? [] })) });
      }
      const statement = db.prepare(sql[0]);
      return Response.json({ ok: true, result: op === "all" ? await statement.all() : await statement.run() });
    } catch (e) {
      return Response.json({ ok: false, error: String(e && e.cause && e.cause.message || e && e.message || e) });
    }
  },
};`;

/** A D1Like over HTTP to the migrator worker, for one binding. */
function migratorDatabase(base: URL, binding: string): D1Like {
  const call = async (op: "run" | "all" | "batch", sql: string[]): Promise<any> => {
    const res = await httpPost(base, JSON.stringify({ binding, op, sql }));
    const body = JSON.parse(res) as { ok: boolean; result?: unknown; error?: string };
    if (!body.ok) throw new Error(body.error);
    return body.result;
  };
  const statement = (sql: string) => ({ sql, run: () => call("run", [sql]), all: () => call("all", [sql]) });
  return {
    prepare: statement as unknown as D1Like["prepare"],
    batch: (statements) => call("batch", statements.map((s) => (s as unknown as { sql: string }).sql)),
  };
}

function httpPost(url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Applies every database's unapplied migrations; returns one line per database that got some. */
export async function migrate(mf: Miniflare, migrations: LocalMigration[], log: (line: string) => void): Promise<string[]> {
  if (!migrations.length) return [];
  const base = await mf.unsafeGetDirectURL(MIGRATOR);
  const applied: string[] = [];
  for (const m of migrations) {
    const result = await applyMigrations(migratorDatabase(base, m.key), m.name, m.dir);
    log(`  migrations ${m.key}: ${result.applied.length ? `applied ${result.applied.join(", ")}` : `up to date (${result.total} files)`}`);
    if (result.applied.length) applied.push(`database ${m.key}: applied ${result.applied.join(", ")}`);
  }
  return applied;
}


/**
 * The local runner: the program evaluated under Pulumi's mock runtime for one stack, and every
 * resource it registers materialised in workerd (Miniflare). Each worker gets exactly the
 * bindings the program would send to Cloudflare — a binding the program forgets is missing here
 * too. D1 databases are migrated in-process through workerd's own D1 with exactly the semantics of
 * `wrangler d1 migrations apply` (local/d1Migrations.ts); hostnames are served by Host header on one port, and every worker also gets a
 * direct local URL.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Miniflare } from "miniflare";
import { deepMerge, isPlainObject } from "../config/merge";
import * as esbuild from "esbuild";
import { bundleWorker } from "../components/bundle";
import type { Plan } from "../config/plan";
import { applyMigrations, D1Like } from "./d1Migrations";
import { watchLocal } from "./watch";
import { evaluateStack, Evaluation, RegisteredResource, reveal } from "./evaluate";
import { kindOf, MINIFLARE_GROUPS, type MiniflareGroups, reportedType } from "../config/bindingKinds";
import { RESOURCE_TYPE, type RegisteredScriptInputs } from "../config/resourceTypes";
import { readStackConfig, readStackFiles, stackConfigOf } from "./pulumiConfig";
import { classesAfter, type MigrationStep } from "../components/do-migrations";
import { parseMigrateCommand } from "../components/commands";
import { checkStackName } from "../config/names";
import { defaultStateDir, prepareStateDir } from "./state";

const T = RESOURCE_TYPE;

export interface LocalOptions {
  /** Project root (the folder holding Pulumi.yaml). */
  root: string;
  stack: string;
  /** Wipe the local state (D1 rows, KV entries, generated secrets) first. @default false */
  fresh?: boolean;
  /** Port of the Host-routed entry. 0 picks a free one. @default 8787 */
  port?: number;
  /** Where local state lives. @default <root>/.workers-stack/local/<stack> */
  stateDir?: string;
  /** Values for config secrets, before `.dev.vars.<stack>` and `.dev.vars`. */
  secrets?: Record<string, string>;
  /** Replace config keys (tests use it to vary the declaration). */
  plain?: Record<string, string>;
  /** Where notices go. @default console.log */
  log?: (line: string) => void;
  /**
   * Where the program is evaluated: in this thread, or in a worker thread that loads Pulumi and the
   * program while this one loads Miniflare (what `npm start` does; it stays up for --watch).
   * @default "process"
   */
  evaluateIn?: "process" | "thread";
  /**
   * Watch the workers' sources and the declaration: a source change re-bundles and reloads the
   * workers built from it, a declaration change (Pulumi.yaml, Pulumi.<stack>.yaml, .dev.vars*,
   * migration files) evaluates the program again and applies what changed. @default false
   */
  watch?: boolean;
}

export interface LocalWorker {
  key: string;
  scriptName: string;
  /** Direct URL of this worker alone. */
  url: string;
  /** Hostnames routed to it on the entry URL (by Host header). */
  hosts: string[];
  /** Binding name → type, as sent. */
  bindings: Record<string, string>;
}

export interface LocalStack {
  stack: string;
  /** The Host-routed entry: send `Host: <hostname>` to reach a worker by its hostname. */
  url: string;
  workers: LocalWorker[];
  evaluation: Evaluation;
  stateDir: string;
  /** Things the runner could not emulate or had to invent, each named. */
  notices: string[];
  /** Seconds per phase of this start. */
  timings: StartTimings;
  /** Re-bundles these workers (all when not given) and serves the ones whose code changed. */
  reloadCode(keys?: string[]): Promise<ReloadReport>;
  /** Evaluates the program again and applies what changed. */
  reloadDeclaration(): Promise<ReloadReport>;
  /** The source files of each worker's bundle, by worker key. */
  sources(): Promise<Map<string, string[]>>;
  /** The migration folders the stack applies. */
  migrationDirs(): string[];
  dispose(): Promise<void>;
}

/** Parses a wrangler-style `.dev.vars` file: KEY=value lines, optional quotes, # comments. */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/** Names of the `{ from: config }` secrets of a stack (shared system with the stack's overrides). */
export function configSecretNames(root: string, stack: string, plain: Record<string, string> = {}): string[] {
  return configSecretNamesOf(readStackConfig(root, stack, { plain }).config);
}

/** Names of the `{ from: config }` secrets in a stack's configuration (shared system with the stack's overrides). */
function configSecretNamesOf(config: Record<string, string>): string[] {
  const parse = (k: string) => {
    try {
      return config[k] === undefined ? undefined : JSON.parse(config[k]!);
    } catch {
      return undefined;
    }
  };
  const project = Object.keys(config).find((k) => k.endsWith(":system"))?.split(":")[0] ?? "workers-stack";
  const settings = parse(`${project}:stack`);
  const shared = parse(`${project}:system`);
  const system = isPlainObject(settings) && isPlainObject(settings.overrides) ? deepMerge(shared, settings.overrides) : shared;
  const secrets = isPlainObject(system) && isPlainObject(system.secrets) ? system.secrets : {};
  return Object.entries(secrets)
    .filter(([, s]) => isPlainObject(s) && s.from === "config")
    .map(([name]) => name)
    .sort();
}

function readSeed(stateDir: string): string {
  const file = path.join(stateDir, "seed");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  const seed = crypto.randomBytes(16).toString("hex");
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(file, `${seed}\n`, { mode: 0o600 });
  return seed;
}

/** A stand-in id for local runs, in the 32-hex shape Cloudflare uses. */
function localId(what: string): string {
  return crypto.createHash("sha256").update(`workers-stack-local:${what}`).digest("hex").slice(0, 32);
}


/** The migration command of the program with --remote swapped for --local, or undefined if it is not ours. */
export const localMigrationArgs = parseMigrateCommand;

/**
 * Evaluates a stack the way the local runner and `npm run validate` need it: config secrets from
 * the caller, `.dev.vars.<stack>` or `.dev.vars`, else generated and named in a notice; account
 * and zone ids made up when the stack has none (nothing here talks to Cloudflare).
 */
export async function evaluateLocally(
  opts: Pick<LocalOptions, "root" | "stack" | "secrets" | "plain">,
  stateDir: string,
  notice: (line: string) => void,
): Promise<Evaluation> {
  const devVars = [`.dev.vars.${opts.stack}`, ".dev.vars"]
    .map((f) => path.join(opts.root, f))
    .filter((f) => fs.existsSync(f))
    .reduceRight<Record<string, string>>((acc, f) => ({ ...acc, ...parseDevVars(fs.readFileSync(f, "utf8")) }), {});
  const seed = readSeed(stateDir);
  const secrets: Record<string, string> = {};
  // The stack files are read and parsed once per start: for the secret names, the ids and the evaluation.
  const files = readStackFiles(opts.root, opts.stack);
  const plain: Record<string, string> = { ...opts.plain };
  const { config, project } = stackConfigOf(files, { plain });
  for (const name of configSecretNamesOf(config)) {
    const given = opts.secrets?.[name] ?? devVars[name];
    if (given !== undefined) secrets[name] = given;
    else {
      secrets[name] = `local-${crypto.createHash("sha256").update(`${seed}:${name}`).digest("hex").slice(0, 24)}`;
      notice(`secret ${name} is not in .dev.vars.${opts.stack} or .dev.vars: using a generated local value`);
    }
  }
  for (const key of ["accountId", "zoneId"]) {
    if (!config[`${project}:${key}`]) plain[key] = localId(`${opts.stack}:${key}`);
  }
  const evaluation = await evaluateStack({ root: opts.root, stack: opts.stack, secrets, plain, seed, files });
  if (evaluation.error) throw evaluation.error;
  return evaluation;
}

/** Seconds spent in each phase of a start (what `npm start` and the bench print). */
export interface StartTimings {
  /** Loading @pulumi/pulumi (in the evaluation thread under `npm start`). */
  pulumi: number;
  /** Loading the program's modules (compiled TypeScript, @pulumi/cloudflare). */
  programLoad: number;
  /** Running the program under the mock runtime, bundling included. */
  evaluate: number;
  /** Loading Miniflare (beside the three above when they run in a thread). */
  miniflareLoad: number;
  /** From the start of the evaluation to its result here: the wall time of the four above. */
  untilEvaluated: number;
  /** workerd up with every worker (Miniflare ready, direct URLs known). */
  workerd: number;
  /** D1 migrations, applied in-process through workerd's D1. */
  migrations: number;
}

/** A database the runner migrates: from the plan (name, folder) and the registered D1 (id). */
interface LocalMigration {
  key: string;
  name: string;
  id: string;
  dir: string;
}

/** The internal worker that binds every migrated database (no route: only its own loopback socket reaches it). */
const MIGRATOR = "workers-stack-local-migrator";

/** Databases with migrations, from the plan, each with the id the program gave its D1 binding. */
function localMigrations(root: string, plan: Plan, evaluation: Evaluation): LocalMigration[] {
  const d1 = evaluation.resources.filter((r) => r.type === T.d1);
  return plan.databases
    .filter((db) => db.migrationsDir)
    .map((db) => {
      const resource = d1.find((r) => (reveal(r.inputs) as { name?: string }).name === db.name);
      if (!resource) throw new Error(`workers-stack local: the program registered no D1 database named ${db.name} (databases.${db.key})`);
      return { key: db.key, name: db.name, id: resource.id, dir: path.resolve(root, db.migrationsDir!) };
    });
}

/** The type of a resource's parent, from its URN (`...::<parentType>$<type>::<name>`). */
function parentType(r: RegisteredResource): string {
  return r.parent.split("::")[2]?.split("$").pop() ?? "";
}

/**
 * The migrator's code: executes what applyMigrations asks of one D1 binding. Migrations go through
 * a socket of this worker rather than Miniflare's getD1Database proxy, which costs ~0.5 s to set up.
 */
const MIGRATOR_SCRIPT = `export default {
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
async function migrate(mf: Miniflare, migrations: LocalMigration[], log: (line: string) => void): Promise<string[]> {
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

type BuiltWorker = LocalWorker & { options: Record<string, unknown> };

/** What the runner needs from one evaluation of the program. */
export interface RunnerEvaluation {
  evaluation: Evaluation;
  plan: Plan;
  /** Notices raised while evaluating (generated secrets), in order. */
  notices: string[];
}

type EvaluationOptions = Pick<LocalOptions, "root" | "stack" | "secrets" | "plain">;

/** One evaluation for the runner, in this thread: the registered resources and the plan. */
export async function evaluateForRunner(opts: EvaluationOptions, stateDir: string): Promise<RunnerEvaluation> {
  const notices: string[] = [];
  const evaluation = await evaluateLocally(opts, stateDir, (l) => notices.push(l));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plan = (require("../config/load") as typeof import("../config/load")).readPlan(opts.root);
  return { evaluation, plan, notices };
}

interface Evaluator {
  evaluate(opts: EvaluationOptions, stateDir: string): Promise<RunnerEvaluation>;
  close(): Promise<void>;
}

const inProcess: Evaluator = { evaluate: evaluateForRunner, close: async () => undefined };

/** Evaluations in a worker thread (local/evaluatorThread.js), one at a time. */
function threadEvaluator(): Evaluator {
  const worker = new Worker(path.join(__dirname, "evaluatorThread.js"));
  worker.unref();
  let next = 0;
  const waiting = new Map<number, { resolve(r: RunnerEvaluation): void; reject(e: Error): void }>();
  worker.on("message", (m: { id: number; result?: RunnerEvaluation; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result!);
  });
  const failAll = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the evaluation thread exited (${code})`)));
  return {
    evaluate(opts, stateDir) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, opts: { root: opts.root, stack: opts.stack, secrets: opts.secrets, plain: opts.plain }, stateDir });
      });
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

/** What a reload did, for the watcher to print. */
export interface ReloadReport {
  /** One line per change, e.g. `bot: code`, `admin: bindings +FOO -BAR`, `+ worker api`. */
  changes: string[];
  /** Why nothing was reloaded, when something failed: the previous version keeps serving. */
  error?: string;
  seconds: number;
}

/**
 * One running stack: its evaluation, its workers' options and code, and the Miniflare instance
 * serving them. Reloads swap code or the whole declaration in place; D1, KV and every other state
 * lives under stateDir and survives them.
 */
class Session {
  evaluation!: Evaluation;
  workers: BuiltWorker[] = [];
  migrations: LocalMigration[] = [];
  /** The bundle each worker runs now (its bytes) and where it came from. */
  code = new Map<string, { entry: string; outDir: string; file: string; contents: string; sha: string }>();
  mf!: Miniflare;
  url!: URL;

  constructor(
    readonly opts: LocalOptions,
    readonly stateDir: string,
    readonly log: (line: string) => void,
    readonly notice: (line: string) => void,
    readonly evaluator: Evaluator,
  ) {}

  /** The program's view of this stack, turned into workers and migrations (nothing started). */
  async evaluate(): Promise<{ evaluation: Evaluation; workers: BuiltWorker[]; migrations: LocalMigration[]; code: Session["code"] }> {
    const { evaluation, plan, notices } = await this.evaluator.evaluate(this.opts, this.stateDir);
    notices.forEach(this.notice);
    const migrations = localMigrations(this.opts.root, plan, evaluation);
    const { workers } = buildWorkers(this.opts.root, evaluation, this.notice);
    const code: Session["code"] = new Map();
    for (const w of workers) {
      const file = String(w.options.scriptPath);
      const contents = fs.readFileSync(file, "utf8");
      const entry = plan.workers.find((p) => p.key === w.key)?.entry ?? "";
      code.set(w.key, { entry, outDir: path.relative(this.opts.root, path.dirname(file)), file, contents, sha: sha256(contents) });
    }
    return { evaluation, workers, migrations, code };
  }

  options(workers = this.workers, code = this.code, migrations = this.migrations) {
    return miniflareOptions(
      this.opts.port ?? 8787,
      this.stateDir,
      workers.map((w) => withCode(w.options, code.get(w.key)!)),
      migrations,
      workers.flatMap((w) => w.hosts),
    );
  }

  async urls(): Promise<void> {
    for (const w of this.workers) w.url = (await this.mf.unsafeGetDirectURL(w.scriptName)).toString().replace(/\/$/, "");
  }

  /**
   * Re-bundles the workers whose sources include one of `files` (all of them when not given) and
   * reloads those whose bundle changed. A bundle that fails, or code workerd refuses, leaves the
   * previous version serving and is reported.
   */
  async reloadCode(keys?: string[]): Promise<ReloadReport> {
    const clock = stopwatch();
    const next = new Map(this.code);
    const changes: string[] = [];
    for (const w of this.workers) {
      if (keys && !keys.includes(w.key)) continue;
      const current = this.code.get(w.key)!;
      let contents: string;
      try {
        const bundle = bundleWorker(this.opts.root, current.entry, current.outDir);
        contents = fs.readFileSync(path.resolve(process.cwd(), bundle.contentFile), "utf8");
      } catch (e) {
        return { changes: [], error: `${w.key}: ${e instanceof Error ? e.message : String(e)}`, seconds: clock() };
      }
      if (sha256(contents) === current.sha) continue;
      next.set(w.key, { ...current, contents, sha: sha256(contents) });
      changes.push(`${w.key}: code`);
    }
    if (!changes.length) return { changes, seconds: clock() };
    const error = await this.apply(this.workers, next, this.migrations, false);
    return { changes: error ? [] : changes, ...(error ? { error } : {}), seconds: clock() };
  }

  /** Evaluates the program again and applies what changed: workers, bindings, code, migrations. */
  async reloadDeclaration(): Promise<ReloadReport> {
    const clock = stopwatch();
    let next: Awaited<ReturnType<Session["evaluate"]>>;
    try {
      next = await this.evaluate();
    } catch (e) {
      return { changes: [], error: e instanceof Error ? e.message : String(e), seconds: clock() };
    }
    const changes = diffWorkers(this.workers, this.code, next.workers, next.code);
    const before = new Map(this.migrations.map((m) => [m.key, m]));
    for (const m of next.migrations) if (JSON.stringify(before.get(m.key)) !== JSON.stringify(m)) changes.push(`database ${m.key}: migrations ${before.has(m.key) ? "changed" : "added"}`);
    if (!changes.length) {
      // Same workers and databases: new migration files need no restart, only applying.
      try {
        const applied = await migrate(this.mf, next.migrations, this.log);
        this.evaluation = next.evaluation;
        return { changes: applied, seconds: clock() };
      } catch (e) {
        return { changes: [], error: e instanceof Error ? e.message : String(e), seconds: clock() };
      }
    }
    const error = await this.apply(next.workers, next.code, next.migrations, true);
    if (error) return { changes: [], error, seconds: clock() };
    this.evaluation = next.evaluation;
    return { changes, seconds: clock() };
  }

  /** Moves workerd to new options (it restarts with them; state stays), then migrates. Undoes on failure. */
  private async apply(workers: BuiltWorker[], code: Session["code"], migrations: LocalMigration[], migrateToo: boolean): Promise<string | undefined> {
    try {
      await this.mf.setOptions(this.options(workers, code, migrations));
      if (migrateToo) await migrate(this.mf, migrations, this.log);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await this.mf.setOptions(this.options()).catch(() => undefined);
      return message;
    }
    this.workers = workers;
    this.code = code;
    this.migrations = migrations;
    await this.urls();
    return undefined;
  }

  /** Every file a worker's bundle is built from (node_modules left out), by worker key. */
  async sources(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const [key, c] of this.code) out.set(key, await bundleInputs(this.opts.root, c.entry));
    return out;
  }
}

/** Miniflare options with the worker's code given inline, so a reload can put the previous code back. */
function withCode(options: Record<string, unknown>, code: { file: string; contents: string }): Record<string, unknown> {
  const { scriptPath: _s, modules: _m, ...rest } = options;
  return { ...rest, modules: [{ type: "ESModule", path: code.file, contents: code.contents }] };
}

function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** What differs between two sets of workers, one line per worker. */
function diffWorkers(before: BuiltWorker[], beforeCode: Session["code"], after: BuiltWorker[], afterCode: Session["code"]): string[] {
  const lines: string[] = [];
  const old = new Map(before.map((w) => [w.key, w]));
  const now = new Map(after.map((w) => [w.key, w]));
  for (const w of after) {
    const prev = old.get(w.key);
    if (!prev) {
      lines.push(`+ worker ${w.key}`);
      continue;
    }
    const what: string[] = [];
    const added = Object.keys(w.bindings).filter((n) => !(n in prev.bindings));
    const removed = Object.keys(prev.bindings).filter((n) => !(n in w.bindings));
    const changed = Object.keys(w.bindings).filter((n) => n in prev.bindings && bindingValue(prev, n) !== bindingValue(w, n));
    if (added.length || removed.length || changed.length)
      what.push(`bindings ${[...added.map((n) => `+${n}`), ...removed.map((n) => `-${n}`), ...changed.map((n) => `~${n}`)].join(" ")}`);
    if (beforeCode.get(w.key)?.sha !== afterCode.get(w.key)?.sha) what.push("code");
    const rest = (o: Record<string, unknown>) => {
      const x: Record<string, unknown> = { ...o };
      for (const group of MINIFLARE_GROUPS) delete x[group];
      return JSON.stringify(x);
    };
    if (rest(prev.options) !== rest(w.options)) what.push("settings (routes, compatibility, consumers or crons)");
    if (what.length) lines.push(`${w.key}: ${what.join(", ")}`);
  }
  for (const w of before) if (!now.has(w.key)) lines.push(`- worker ${w.key}`);
  return lines;
}

/** A binding's value as Miniflare is given it, for comparison. */
function bindingValue(w: BuiltWorker, name: string): string {
  const o = w.options as Record<string, Record<string, unknown> | undefined>;
  for (const group of MINIFLARE_GROUPS)
    if (o[group] && name in o[group]!) return `${group}:${JSON.stringify(o[group]![name])}`;
  return "";
}

/** The files esbuild reads to bundle an entry (absolute paths, node_modules left out). */
async function bundleInputs(root: string, entry: string): Promise<string[]> {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs)
    .filter((f) => !f.split(/[\\/]/).includes("node_modules"))
    .map((f) => path.resolve(root, f));
}

export async function startLocal(opts: LocalOptions): Promise<LocalStack> {
  const log = opts.log ?? ((l: string) => console.log(l));
  checkStackName(opts.stack);
  const stateDir = opts.stateDir ?? defaultStateDir(opts.root, opts.stack);
  prepareStateDir(opts.root, stateDir, opts.fresh ?? false);
  const notices: string[] = [];
  const notice = (line: string) => {
    // A reload evaluates again: say each thing once.
    if (notices.includes(line)) return;
    notices.push(line);
    log(`  note: ${line}`);
  };
  const clock = stopwatch();
  const evaluator = opts.evaluateIn === "thread" ? threadEvaluator() : inProcess;
  const session = new Session(opts, stateDir, log, notice, evaluator);
  let first: Awaited<ReturnType<Session["evaluate"]>>;
  let miniflareLoad = 0;
  try {
    const pending = session.evaluate();
    // Loads Miniflare here while the thread loads Pulumi and runs the program.
    const loading = stopwatch();
    miniflare();
    miniflareLoad = loading();
    first = await pending;
  } catch (e) {
    await evaluator.close();
    throw e;
  }
  Object.assign(session, first);
  const { sdk, load, run } = first.evaluation.seconds;
  const timings: StartTimings = { pulumi: sdk, programLoad: load, evaluate: run, miniflareLoad, untilEvaluated: clock(), workerd: 0, migrations: 0 };

  session.mf = new (miniflare().Miniflare)(session.options());
  try {
    session.url = await session.mf.ready;
    timings.workerd = clock();
    // Migrations go through workerd's own D1 (the state workers read), before anything is served
    // as ready. wrangler's local apply runs the same statements in a throw-away Miniflare.
    await migrate(session.mf, session.migrations, log);
    timings.migrations = clock();
    await session.urls();
    timings.workerd += clock();
  } catch (e) {
    await session.mf.dispose().catch(() => undefined);
    await evaluator.close();
    throw e;
  }
  const local: LocalStack = {
    stack: opts.stack,
    url: session.url.toString().replace(/\/$/, ""),
    get workers() {
      return session.workers.map(({ options: _o, ...w }) => w);
    },
    get evaluation() {
      return session.evaluation;
    },
    stateDir,
    notices,
    timings,
    reloadCode: (keys) => session.reloadCode(keys),
    reloadDeclaration: () => session.reloadDeclaration(),
    sources: () => session.sources(),
    migrationDirs: () => session.migrations.map((m) => m.dir),
    dispose: async () => {
      await watcher?.close();
      await evaluator.close();
      await session.mf.dispose();
    },
  };
  const watcher = opts.watch ? await watchLocal(local, opts, log) : undefined;
  return local;
}

/** Seconds since the last call (or since it was made). */
function stopwatch(): () => number {
  let last = process.hrtime.bigint();
  return () => {
    const now = process.hrtime.bigint();
    const s = Number(now - last) / 1e9;
    last = now;
    return s;
  };
}

/** Each registered script as Miniflare options, plus the notices of what is not emulated. */
function buildWorkers(root: string, evaluation: Evaluation, notice: (line: string) => void): { workers: (LocalWorker & { options: Record<string, unknown> })[] } {
  const resources = evaluation.resources;
  for (const cmd of resources.filter((r) => r.type === T.command)) {
    const parent = parentType(cmd);
    // A Database's migrations command: applied in-process (see localMigrations).
    if (parent === "workers-stack:index:Database") continue;
    // Durable Object migrations: under mocks the script is new, so its upload carries the whole history.
    if (parent === "workers-stack:index:DurableObjectMigrations") continue;
    if (parent === "workers-stack:index:TelegramWebhook")
      notice(`Telegram webhook ${cmd.name} is not set locally (Telegram needs a public URL): POST updates to the bot's /telegram/webhook yourself`);
    else notice(`command ${cmd.name} is not emulated locally: ${String(cmd.inputs.create ?? "")}`);
  }
  const context = scriptContext(resources);
  for (const [script, crons] of context.crons)
    notice(`cron ${crons.join(", ")} of ${script} is declared but not fired locally (call its scheduled handler yourself)`);
  const workers: (LocalWorker & { options: Record<string, unknown> })[] = [];
  for (const script of resources.filter((r) => r.type === T.script)) workers.push(workerOptions(root, script, context, notice));
  return { workers };
}

function miniflareOptions(port: number, stateDir: string, workers: Record<string, unknown>[], migrations: LocalMigration[], hosts: string[]) {
  const { convertV4MiniflareOptions, Log, LogLevel } = miniflare();
  return convertV4MiniflareOptions({
    host: "127.0.0.1",
    port,
    resourcePersistencePath: path.join(stateDir, "v3"),
    log: new Log(LogLevel.WARN),
    // The real `request.cf` would be fetched from Cloudflare: use Miniflare's placeholder.
    cf: false,
    workers: [
      // First: Miniflare sends a request no route matches to its first worker, while Cloudflare
      // runs no worker for a hostname without a route — so the first one answers 404.
      noRouteWorker(hosts),
      ...workers,
      // Last: it serves no route.
      ...(migrations.length
        ? [{ name: MIGRATOR, modules: true, script: MIGRATOR_SCRIPT, compatibilityDate: "2025-01-01", d1Databases: Object.fromEntries(migrations.map((m) => [m.key, m.id])), unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }]
        : []),
    ],
  } as Parameters<typeof convertV4MiniflareOptions>[0]);
}

/** Miniflare, loaded on first use (see evaluate.ts: loading it overlaps the evaluation). */
function miniflare(): typeof import("miniflare") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("miniflare");
}

/** What the other resources say about each script: routes, queue consumers, crons, SQLite classes. */
interface ScriptContext {
  routes: Map<string, string[]>;
  consumers: Map<string, Record<string, Record<string, unknown>>>;
  crons: Map<string, string[]>;
  sqliteClasses: Set<string>;
}

function scriptContext(resources: RegisteredResource[]): ScriptContext {
  const ofType = (t: string) => resources.filter((r) => r.type === t).map((r) => ({ ...r, inputs: reveal(r.inputs) as Record<string, any> }));
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => m.set(k, [...(m.get(k) ?? []), v]);
  const routes = new Map<string, string[]>();
  for (const r of ofType(T.route)) push(routes, String(r.inputs.script), String(r.inputs.pattern));
  for (const r of ofType(T.customDomain)) push(routes, String(r.inputs.service), `${r.inputs.hostname}/*`);
  const queueNames = new Map(ofType(T.queue).map((q) => [q.id, String(q.inputs.queueName)]));
  const consumers = new Map<string, Record<string, Record<string, unknown>>>();
  for (const c of ofType(T.consumer)) {
    const script = String(c.inputs.scriptName);
    const settings = (c.inputs.settings ?? {}) as Record<string, number | undefined>;
    const options: Record<string, unknown> = {
      ...(settings.batchSize !== undefined ? { maxBatchSize: settings.batchSize } : {}),
      ...(settings.maxWaitTimeMs !== undefined ? { maxBatchTimeout: Math.ceil(settings.maxWaitTimeMs / 1000) } : {}),
      ...(settings.maxRetries !== undefined ? { maxRetries: settings.maxRetries } : {}),
      ...(settings.retryDelay !== undefined ? { retryDelay: settings.retryDelay } : {}),
      ...(c.inputs.deadLetterQueue ? { deadLetterQueue: c.inputs.deadLetterQueue } : {}),
    };
    consumers.set(script, { ...consumers.get(script), [queueNames.get(String(c.inputs.queueId)) ?? String(c.inputs.queueId)]: options });
  }
  const crons = new Map<string, string[]>();
  for (const t of ofType(T.cron)) crons.set(String(t.inputs.scriptName), (t.inputs.schedules as { cron: string }[]).map((x) => x.cron));
  // The classes each script has after the migrations its upload carries (SQLite-backed or not).
  const sqliteClasses = new Set(
    ofType(T.script).flatMap((s) => {
      const steps = ((reveal(s.inputs.migrations) as { steps?: MigrationStep[] } | undefined)?.steps ?? []);
      return [...classesAfter(steps)].filter(([, storage]) => storage !== "kv").map(([c]) => c);
    }),
  );
  return { routes, consumers, crons, sqliteClasses };
}

function workerOptions(
  root: string,
  script: RegisteredResource,
  context: ScriptContext,
  notice: (l: string) => void,
): LocalWorker & { options: Record<string, unknown> } {
  const inputs = reveal(script.inputs) as RegisteredScriptInputs;
  const scriptName = String(inputs.scriptName);
  const groups = Object.fromEntries(MINIFLARE_GROUPS.map((g) => [g, {}])) as unknown as MiniflareGroups;
  const types: Record<string, string> = {};
  for (const b of inputs.bindings ?? []) {
    types[b.name] = b.type;
    const kind = kindOf(b.type);
    if (kind) kind.miniflare(b, groups, context);
    else notice(`binding ${b.name} (${b.type}) of ${scriptName} is not emulated locally`);
  }
  const patterns = context.routes.get(scriptName) ?? [];
  return {
    key: script.name,
    scriptName,
    url: "",
    hosts: patterns.map((p) => p.replace(/\/\*$/, "")),
    bindings: types,
    options: {
      name: scriptName,
      // Module names are taken relative to rootPath; it must hold the bundle.
      rootPath: root,
      modules: true,
      // contentFile is relative to the working directory the program ran in (as for the provider).
      scriptPath: path.resolve(process.cwd(), String(inputs.contentFile)),
      compatibilityDate: inputs.compatibilityDate,
      compatibilityFlags: inputs.compatibilityFlags ?? [],
      ...groups,
      queueConsumers: context.consumers.get(scriptName) ?? {},
      cronTriggers: context.crons.get(scriptName) ?? [],
      routes: patterns,
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    },
  };
}


/** Name of the local stand-in for "no worker is routed to this hostname". */
export const NO_ROUTE_WORKER = "workers-stack-no-route";

/**
 * The worker that answers a Host no route matches: 404 and the hostnames that are routed, as
 * Cloudflare runs no worker for it (there the request would go to the origin, or fail in DNS).
 */
function noRouteWorker(hosts: string[]): Record<string, unknown> {
  const body = JSON.stringify(hosts);
  return {
    name: NO_ROUTE_WORKER,
    modules: true,
    compatibilityDate: "2025-01-01",
    script: `const HOSTS = ${body};
export default {
  fetch(request) {
    const host = new URL(request.url).host;
    return new Response("workers-stack: no worker is routed to host " + host + " on this stack (Cloudflare would not run one either).\\nRouted hostnames: " + (HOSTS.join(", ") || "none") + "\\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "x-workers-stack": "no-route" } });
  },
};`,
  };
}

/** One line: where the seconds of a start went. */
export function describeTimings(t: StartTimings & { node?: number; modules?: number }): string {
  const parts: [string, number | undefined][] = [
    ["node", t.node],
    ["modules", t.modules],
    ["pulumi", t.pulumi],
    ["program load", t.programLoad],
    ["evaluation+bundling", t.evaluate],
    ["miniflare load", t.miniflareLoad],
    ["until evaluated", t.untilEvaluated],
    ["workerd", t.workerd],
    ["migrations", t.migrations],
  ];
  return parts
    .filter((p): p is [string, number] => p[1] !== undefined)
    .map(([name, s]) => `${name} ${s.toFixed(2)} s`)
    .join(", ");
}

/** The table `npm start` prints. */
export function describeLocal(local: LocalStack): string {
  const rows = local.workers.map((w) => [
    w.key,
    w.scriptName,
    w.url,
    w.hosts.join(" ") || "-",
    Object.entries(w.bindings)
      .map(([n, t]) => `${n}${t === "plain_text" ? "" : `(${reportedType(t) ?? t})`}`)
      .join(" "),
  ]);
  const head = ["worker", "script", "direct URL", "hostnames", "bindings"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const example = local.workers.find((w) => w.hosts.length);
  return [
    line(head),
    ...rows.map(line),
    "",
    `Hostnames are served on ${local.url} by Host header${example ? `, e.g. curl -H 'Host: ${example.hosts[0]}' ${local.url}/health` : ""}.`,
    `Any other Host gets 404: no worker is routed to it, as on Cloudflare.`,
  ].join("\n");
}

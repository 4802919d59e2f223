/**
 * The local runner: the program evaluated under Pulumi's mock runtime for one stack, and every
 * resource it registers materialised in workerd (Miniflare). Each worker gets exactly the
 * bindings the program would send to Cloudflare — a binding the program forgets is missing here
 * too. D1 databases are migrated in-process through workerd's own D1 with exactly the semantics of
 * `wrangler d1 migrations apply` (local/d1Migrations.ts); hostnames are served by Host header on one port, and every worker also gets a
 * direct local URL.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Miniflare } from "miniflare";
import { bundleWorker } from "../components/bundle";
import type { BundleOptions } from "../config/scriptSettings";
import { watchLocal } from "./watch";
import { Evaluation } from "../harness/evaluate";
import { checkStackName } from "../config/names";
import { defaultStateDir, prepareStateDir } from "./state";

export type { LocalWorker } from "./workerOptions";
export { NO_ROUTE_WORKER } from "./workerOptions";
export { parseDevVars, configSecretNames, localMigrationArgs, evaluateLocally } from "./localEvaluation";
export { describeTimings, describeLocal } from "./describe";
export { evaluateForRunner, type RunnerEvaluation } from "./evaluator";
import { type LocalWorker, buildWorkers, miniflare, miniflareOptions, NO_OP_WORKER_SCRIPT } from "./workerOptions";
import { type Evaluator, inProcess, threadEvaluator } from "./evaluator";
import { bundleInputs, diffWorkers, sha256, withCode } from "./reload";
import { type LocalMigration, localMigrations, migrate } from "./localMigrations";

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
  /** The asset folders its workers serve (absolute). */
  assetDirs(): string[];
  /** Serves the asset folders as they are now (files added or removed). */
  reloadAssets(): Promise<ReloadReport>;
  dispose(): Promise<void>;
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

export type BuiltWorker = LocalWorker & { options: Record<string, unknown> };

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
/** Each worker's bundled code, by worker key. */
export type CodeMap = Session["code"];

class Session {
  evaluation!: Evaluation;
  workers: BuiltWorker[] = [];
  migrations: LocalMigration[] = [];
  /** The bundle each worker runs now (its bytes) and where it came from. */
  code = new Map<string, { entry: string; outDir: string; file: string; contents: string; sha: string; bundle?: BundleOptions }>();
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
    const assetDirs = new Map(plan.workers.flatMap((w) => (w.assets ? [[w.scriptName, path.resolve(this.opts.root, w.assets.directory)] as [string, string]] : [])));
    const { workers } = buildWorkers(this.opts.root, evaluation, this.notice, assetDirs);
    const code: Session["code"] = new Map();
    for (const w of workers) {
      if (w.options.scriptPath === undefined) {
        // An assets-only worker: no code of its own (see NO_OP_WORKER_SCRIPT).
        code.set(w.key, { entry: "", outDir: "", file: path.join(this.opts.root, ".workers-stack", "no-op-worker.js"), contents: NO_OP_WORKER_SCRIPT, sha: sha256(NO_OP_WORKER_SCRIPT) });
        continue;
      }
      const file = String(w.options.scriptPath);
      const contents = fs.readFileSync(file, "utf8");
      const planned = plan.workers.find((p) => p.key === w.key);
      const entry = planned?.entry ?? "";
      // The worker's build options, so a re-bundle in watch mode builds what the deploy would.
      const bundle = planned?.settings?.bundle;
      code.set(w.key, { entry, outDir: path.relative(this.opts.root, path.dirname(file)), file, contents, sha: sha256(contents), ...(bundle ? { bundle } : {}) });
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
      if (!current.entry) continue; // an assets-only worker: no code to bundle
      let contents: string;
      try {
        const bundle = bundleWorker(this.opts.root, current.entry, current.outDir, current.bundle);
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
    for (const [key, c] of this.code) if (c.entry) out.set(key, await bundleInputs(this.opts.root, c.entry, c.bundle?.alias));
    return out;
  }

  /** The asset folders the workers serve (absolute). */
  assetDirs(): string[] {
    return [...new Set(this.workers.map((w) => (w.options.assets as { directory?: string } | undefined)?.directory).filter((d): d is string => d !== undefined))];
  }

  /**
   * Serves the asset folders as they are now: Miniflare reads a file's bytes on each request but
   * lists the files once, so an added or removed file needs workerd to restart with the same options.
   */
  async reloadAssets(): Promise<ReloadReport> {
    const clock = stopwatch();
    const error = await this.apply(this.workers, this.code, this.migrations, false);
    return { changes: error ? [] : ["assets"], ...(error ? { error } : {}), seconds: clock() };
  }
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
    assetDirs: () => session.assetDirs(),
    reloadAssets: () => session.reloadAssets(),
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



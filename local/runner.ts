/**
 * The local runner: the program evaluated under Pulumi's mock runtime for one stack, and every
 * resource it registers materialised in workerd (Miniflare). Each worker gets exactly the
 * bindings the program would send to Cloudflare — a binding the program forgets is missing here
 * too. D1 databases are migrated by the same script the Pulumi command runs (with --local instead
 * of --remote); hostnames are served by Host header on one port, and every worker also gets a
 * direct local URL.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { isTelegramCommand, parseMigrateCommand } from "../components/commands";
import { deepMerge, isPlainObject } from "../config/merge";
import { checkStackName } from "../config/names";
import { evaluateStack, Evaluation, RegisteredResource, reveal } from "./evaluate";
import { REPORTED_TYPE } from "./healthCheck";
import { readStackConfig } from "./pulumiConfig";
import { defaultStateDir, prepareStateDir } from "./state";
import { classesAfter, readDoMigrationsCommand } from "../components/doMigrations";
import type { MigrationStep } from "../components/do-migrations";

const T = {
  d1: "cloudflare:index/d1Database:D1Database",
  kv: "cloudflare:index/workersKvNamespace:WorkersKvNamespace",
  script: "cloudflare:index/workersScript:WorkersScript",
  route: "cloudflare:index/workersRoute:WorkersRoute",
  customDomain: "cloudflare:index/workersCustomDomain:WorkersCustomDomain",
  queue: "cloudflare:index/queue:Queue",
  consumer: "cloudflare:index/queueConsumer:QueueConsumer",
  cron: "cloudflare:index/workersCronTrigger:WorkersCronTrigger",
  command: "command:local:Command",
};

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
  const { config } = readStackConfig(root, stack, { plain });
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
  for (const name of configSecretNames(opts.root, opts.stack, opts.plain)) {
    const given = opts.secrets?.[name] ?? devVars[name];
    if (given !== undefined) secrets[name] = given;
    else {
      secrets[name] = `local-${crypto.createHash("sha256").update(`${seed}:${name}`).digest("hex").slice(0, 24)}`;
      notice(`secret ${name} is not in .dev.vars.${opts.stack} or .dev.vars: using a generated local value`);
    }
  }
  const plain: Record<string, string> = { ...opts.plain };
  const { config, project } = readStackConfig(opts.root, opts.stack, { plain });
  for (const key of ["accountId", "zoneId"]) {
    if (!config[`${project}:${key}`]) plain[key] = localId(`${opts.stack}:${key}`);
  }
  const evaluation = await evaluateStack({ root: opts.root, stack: opts.stack, secrets, plain, seed });
  if (evaluation.error) throw evaluation.error;
  return evaluation;
}

export async function startLocal(opts: LocalOptions): Promise<LocalStack> {
  const log = opts.log ?? ((l: string) => console.log(l));
  checkStackName(opts.stack);
  const stateDir = opts.stateDir ?? defaultStateDir(opts.root, opts.stack);
  prepareStateDir(opts.root, stateDir, opts.fresh ?? false);
  const notices: string[] = [];
  const notice = (line: string) => {
    notices.push(line);
    log(`  note: ${line}`);
  };
  const evaluation = await evaluateLocally(opts, stateDir, notice);
  const resources = evaluation.resources;
  const ofType = (t: string) => resources.filter((r) => r.type === t);

  // Migrations: the very command `pulumi up` runs, pointed at the local D1.
  for (const cmd of ofType(T.command)) {
    // Durable Object migrations: under mocks the script is new, so its upload carries the whole history.
    if (readDoMigrationsCommand(cmd.inputs)) continue;
    const args = localMigrationArgs(cmd.inputs, stateDir);
    if (!args) {
      if (isTelegramCommand(cmd.inputs))
        notice(`Telegram webhook ${cmd.name} is not set locally (Telegram needs a public URL): POST updates to the bot's /telegram/webhook yourself`);
      else notice(`command ${cmd.name} is not emulated locally: ${JSON.stringify([cmd.inputs.interpreter, cmd.inputs.create])}`);
      continue;
    }
    const r = spawnSync(process.execPath, args, { cwd: process.cwd(), encoding: "utf8", env: { ...process.env, CI: "true" } });
    if (r.status !== 0) throw new Error(`workers-stack local: migrations ${cmd.name} failed:\n${r.stdout}${r.stderr}`);
    const applied = /No migrations to apply/.test(r.stdout) ? "up to date" : "applied";
    log(`  migrations ${cmd.name}: ${applied}`);
  }

  const context = scriptContext(resources);
  for (const [script, crons] of context.crons)
    notice(`cron ${crons.join(", ")} of ${script} is declared but not fired locally (call its scheduled handler yourself)`);
  const workers: (LocalWorker & { options: Record<string, unknown> })[] = [];
  for (const script of ofType(T.script)) workers.push(workerOptions(opts.root, script, context, notice));

  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: opts.port ?? 8787,
      resourcePersistencePath: path.join(stateDir, "v3"),
      log: new Log(LogLevel.WARN),
      // The real `request.cf` would be fetched from Cloudflare: use Miniflare's placeholder.
      cf: false,
      workers: workers.map((w) => w.options),
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  let url: URL;
  try {
    url = await mf.ready;
    for (const w of workers) w.url = (await mf.unsafeGetDirectURL(w.scriptName)).toString().replace(/\/$/, "");
  } catch (e) {
    await mf.dispose().catch(() => undefined);
    throw e;
  }
  return {
    stack: opts.stack,
    url: url.toString().replace(/\/$/, ""),
    workers: workers.map(({ options: _o, ...w }) => w),
    evaluation,
    stateDir,
    notices,
    dispose: () => mf.dispose(),
  };
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
  const inputs = reveal(script.inputs) as Record<string, unknown>;
  const scriptName = String(inputs.scriptName);
  const bindings: Record<string, unknown> = {};
  const d1Databases: Record<string, string> = {};
  const kvNamespaces: Record<string, string> = {};
  const serviceBindings: Record<string, unknown> = {};
  const queueProducers: Record<string, string> = {};
  const r2Buckets: Record<string, string> = {};
  const durableObjects: Record<string, unknown> = {};
  const workflows: Record<string, unknown> = {};
  const types: Record<string, string> = {};
  for (const b of (inputs.bindings ?? []) as Record<string, string>[]) {
    const name = b.name!;
    types[name] = b.type!;
    switch (b.type) {
      case "plain_text":
      case "secret_text":
        bindings[name] = b.text;
        break;
      case "json":
        bindings[name] = JSON.parse(b.json!);
        break;
      case "d1":
        d1Databases[name] = b.id!;
        break;
      case "kv_namespace":
        kvNamespaces[name] = b.namespaceId!;
        break;
      case "service":
        serviceBindings[name] = b.entrypoint ? { name: b.service, entrypoint: b.entrypoint } : b.service;
        break;
      case "queue":
        queueProducers[name] = b.queueName!;
        break;
      case "r2_bucket":
        r2Buckets[name] = b.bucketName!;
        break;
      case "durable_object_namespace":
        durableObjects[name] = { className: b.className, ...(b.scriptName ? { scriptName: b.scriptName } : {}), useSQLite: context.sqliteClasses.has(b.className!) };
        break;
      case "workflow":
        workflows[name] = { name: b.workflowName, className: b.className, ...(b.scriptName ? { scriptName: b.scriptName } : {}) };
        break;
      default:
        notice(`binding ${name} (${b.type}) of ${scriptName} is not emulated locally`);
    }
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
      bindings,
      d1Databases,
      kvNamespaces,
      serviceBindings,
      queueProducers,
      queueConsumers: context.consumers.get(scriptName) ?? {},
      r2Buckets,
      durableObjects,
      workflows,
      cronTriggers: context.crons.get(scriptName) ?? [],
      routes: patterns,
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    },
  };
}


/** The table `npm start` prints. */
export function describeLocal(local: LocalStack): string {
  const rows = local.workers.map((w) => [
    w.key,
    w.scriptName,
    w.url,
    w.hosts.join(" ") || "-",
    Object.entries(w.bindings)
      .map(([n, t]) => `${n}${t === "plain_text" ? "" : `(${REPORTED_TYPE[t] ?? t})`}`)
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
  ].join("\n");
}

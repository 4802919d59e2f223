/** Each script the program registers as Miniflare worker options, from its bindings (the kind registry) and the resources around it (routes, consumers, crons). */
import * as path from "node:path";
import { type LocalMigration, MIGRATOR, MIGRATOR_SCRIPT } from "./localMigrations";
import { notEmulatedWorker, usesNotEmulated } from "./notEmulated";
import { Evaluation, RegisteredResource, reveal } from "../harness/evaluate";
import { kindOf, MINIFLARE_GROUPS, type MiniflareGroups } from "../config/bindingKinds";
import { RESOURCE_TYPE, type RegisteredScriptInputs } from "../config/resourceTypes";
import { classesAfter, type MigrationStep } from "../components/do-migrations.js";

const T = RESOURCE_TYPE;

export interface LocalWorker {
  key: string;
  scriptName: string;
  /** Direct URL of this worker alone. */
  url: string;
  /** Hostnames routed to it on the entry URL (by Host header), and the patterns of its routes with a path or a wildcard host (`shop.example.com/api/*`). */
  hosts: string[];
  /** Binding name → type, as sent. */
  bindings: Record<string, string>;
  /** It serves static assets only (no code of its own). @default false */
  assetsOnly?: boolean;
  /** How it is reached on Cloudflare when no hostname routes to it. */
  exposure?: "workers.dev" | "no public URL";
}

/** The type of a resource's parent, from its URN (`...::<parentType>$<type>::<name>`). */
export function parentType(r: RegisteredResource): string {
  return r.parent.split("::")[2]?.split("$").pop() ?? "";
}

/**
 * What an assets-only worker runs locally: wrangler dev's no-op worker (templates/no-op-worker.js).
 * With `has_user_worker: false` the asset router never calls it; it is there because workerd
 * needs a script.
 */
export const NO_OP_WORKER_SCRIPT = `export default {
  fetch() {
    return new Response("Not found", { status: 404, headers: { "Content-Type": "text/html" } });
  },
};
`;

/** Each registered script as Miniflare options, plus the notices of what is not emulated. */
export function buildWorkers(
  root: string,
  evaluation: Evaluation,
  notice: (line: string) => void,
  /**
   * The declared asset folder (absolute) of each script with assets, by script name: served
   * locally as wrangler dev serves it (its `_headers`, `_redirects`, `.assetsignore` read live).
   * @default the staged copy the program registered
   */
  assetDirs: Map<string, string> = new Map(),
): { workers: (LocalWorker & { options: Record<string, unknown> })[] } {
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
  for (const script of resources.filter((r) => r.type === T.script)) workers.push(workerOptions(root, script, context, notice, assetDirs));
  return { workers };
}

/** What the other resources say about each script: routes, queue consumers, crons, SQLite classes. */
export interface ScriptContext {
  routes: Map<string, string[]>;
  consumers: Map<string, Record<string, Record<string, unknown>>>;
  crons: Map<string, string[]>;
  sqliteClasses: Set<string>;
  /** Every registered script name (a tail consumer outside them is not emulated). */
  scripts: Set<string>;
  /** Scripts with workers.dev on. */
  workersDev: Set<string>;
}

export function scriptContext(resources: RegisteredResource[]): ScriptContext {
  const ofType = (t: string) => resources.filter((r) => r.type === t).map((r) => ({ ...r, inputs: reveal(r.inputs) as Record<string, any> }));
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => m.set(k, [...(m.get(k) ?? []), v]);
  const routes = new Map<string, string[]>();
  for (const r of ofType(T.route)) push(routes, String(r.inputs.script), String(r.inputs.pattern));
  // A route on a custom domain's hostname runs in front of it on Cloudflare (routes take
  // precedence): Miniflare would pick one of two equal patterns, so the custom domain yields.
  const routed = new Set(ofType(T.route).map((r) => String(r.inputs.pattern)));
  for (const r of ofType(T.customDomain)) if (!routed.has(`${r.inputs.hostname}/*`)) push(routes, String(r.inputs.service), `${r.inputs.hostname}/*`);
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
      return [...classesAfter(steps)].filter(([, storage]) => storage !== "kv").map(([c]) => `${String(s.inputs.scriptName)}\0${c}`);
    }),
  );
  const scripts = new Set(ofType(T.script).map((s) => String(s.inputs.scriptName)));
  const workersDev = new Set(ofType(T.subdomain).filter((s) => s.inputs.enabled === true).map((s) => String(s.inputs.scriptName)));
  return { routes, consumers, crons, sqliteClasses, scripts, workersDev };
}

export function workerOptions(
  root: string,
  script: RegisteredResource,
  context: ScriptContext,
  notice: (l: string) => void,
  assetDirs: Map<string, string> = new Map(),
): LocalWorker & { options: Record<string, unknown> } {
  const inputs = reveal(script.inputs) as RegisteredScriptInputs;
  const scriptName = String(inputs.scriptName);
  const groups = { ...Object.fromEntries(MINIFLARE_GROUPS.map((g) => [g, {}])), options: {} } as unknown as MiniflareGroups;
  const types: Record<string, string> = {};
  for (const b of inputs.bindings ?? []) {
    types[b.name] = b.type;
    const kind = kindOf(b.type);
    if (kind) kind.miniflare(b, groups, { ...context, self: scriptName, notice });
    else notice(`binding ${b.name} (${b.type}) of ${scriptName} is not emulated locally`);
  }
  const patterns = context.routes.get(scriptName) ?? [];
  const assets = assetsOption(inputs, assetDirs.get(scriptName));
  const tails = localTails(inputs, scriptName, context, notice);
  return {
    key: script.name,
    scriptName,
    url: "",
    // A whole hostname as the host; a route with a path or a wildcard as its pattern.
    hosts: patterns.map((p) => (/^[^/*]+\/\*$/.test(p) ? p.slice(0, -2) : p)),
    bindings: types,
    ...(assets && inputs.contentFile === undefined ? { assetsOnly: true } : {}),
    ...(patterns.length ? {} : { exposure: context.workersDev.has(scriptName) ? ("workers.dev" as const) : ("no public URL" as const) }),
    options: {
      name: scriptName,
      // Module names are taken relative to rootPath; it must hold the bundle.
      rootPath: root,
      modules: true,
      // contentFile is relative to the working directory the program ran in (as for the provider).
      // An assets-only worker registers none: it runs wrangler dev's no-op worker.
      ...(inputs.contentFile !== undefined ? { scriptPath: path.resolve(process.cwd(), String(inputs.contentFile)) } : { script: NO_OP_WORKER_SCRIPT }),
      ...(assets ? { assets } : {}),
      compatibilityDate: inputs.compatibilityDate,
      compatibilityFlags: inputs.compatibilityFlags ?? [],
      ...Object.fromEntries(MINIFLARE_GROUPS.map((g) => [g, groups[g]])),
      ...groups.options,
      queueConsumers: context.consumers.get(scriptName) ?? {},
      cronTriggers: context.crons.get(scriptName) ?? [],
      // Requests reach the runner over plain http: an `https://` pattern stands for its host here.
      routes: patterns.map((p) => p.replace(/^https:\/\//i, "")),
      ...(tails.length ? { tails } : {}),
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    },
  };
}

/**
 * The script's tail consumers that run in this stack (Miniflare's `tails`: their `tail()` handler
 * receives this worker's events), with a notice for one outside it; and a notice naming the
 * script settings only Cloudflare applies.
 */
function localTails(inputs: RegisteredScriptInputs, scriptName: string, context: ScriptContext, notice: (l: string) => void): string[] {
  const tails: string[] = [];
  for (const t of (inputs.tailConsumers ?? []) as { service: string }[]) {
    if (context.scripts.has(t.service)) tails.push(t.service);
    else notice(`tail consumer ${t.service} of ${scriptName} is not a worker of this stack: its tail events are not delivered locally`);
  }
  const cloudOnly = [
    inputs.observability !== undefined ? "observability (Workers Logs, traces: locally console output goes to this terminal)" : "",
    inputs.logpush !== undefined ? "logpush" : "",
    inputs.placement !== undefined ? "placement (everything runs here)" : "",
    inputs.limits !== undefined ? "limits (CPU and subrequests are not capped locally)" : "",
  ].filter(Boolean);
  if (cloudOnly.length) notice(`${scriptName}: ${cloudOnly.join(", ")} ${cloudOnly.length === 1 ? "is" : "are"} applied by Cloudflare only`);
  return tails;
}

/**
 * Miniflare's `assets` option (wrangler dev's shape) from the registered `assets` input: the same
 * router and asset settings Cloudflare gets, the binding by its name, `has_user_worker` false for
 * an assets-only worker.
 */
export function assetsOption(inputs: RegisteredScriptInputs, sourceDir: string | undefined): Record<string, unknown> | undefined {
  const a = inputs.assets as { directory?: string; config?: Record<string, unknown> } | undefined;
  if (!a?.directory) return undefined;
  const config = a.config ?? {};
  const binding = (inputs.bindings ?? []).find((b) => b.type === "assets")?.name;
  const runWorkerFirst = config.runWorkerFirst as boolean | string[] | undefined;
  return {
    directory: sourceDir ?? path.resolve(process.cwd(), a.directory),
    ...(binding ? { binding } : {}),
    routerConfig: { has_user_worker: inputs.contentFile !== undefined },
    assetConfig: {
      ...(config.htmlHandling !== undefined ? { html_handling: config.htmlHandling } : {}),
      ...(config.notFoundHandling !== undefined ? { not_found_handling: config.notFoundHandling } : {}),
      ...(config.basePath !== undefined ? { base_path: config.basePath } : {}),
    },
    ...(runWorkerFirst !== undefined ? { run_worker_first: runWorkerFirst } : {}),
  };
}

/** Prefix of the local front worker that carries the routes of a worker with assets. */
export const ASSETS_FRONT_WORKER = "workers-stack-assets-front";

/**
 * Miniflare sends a request that matches a worker's route straight to that worker's code, past its
 * asset router (only direct URLs and service bindings go through it), while Cloudflare serves a
 * routed request through the assets first. So a worker with assets gives its routes to a front
 * worker that forwards each request over a service binding, which Miniflare sends through the
 * asset router: routed requests are then served exactly as on its direct URL.
 */
export function withAssetFronts(workers: Record<string, unknown>[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const w of workers) {
    const routes = (w.routes as string[] | undefined) ?? [];
    if (!w.assets || routes.length === 0) {
      out.push(w);
      continue;
    }
    out.push({ ...w, routes: [] });
    out.push({
      name: `${ASSETS_FRONT_WORKER}:${String(w.name)}`,
      modules: true,
      compatibilityDate: "2025-01-01",
      script: "export default { fetch(request, env) { return env.TARGET.fetch(request); } };",
      serviceBindings: { TARGET: w.name },
      routes,
    });
  }
  return out;
}

/** Name of the local stand-in for "no worker is routed to this hostname". */
export const NO_ROUTE_WORKER = "workers-stack-no-route";

/**
 * The worker that answers a Host no route matches: 404 and the hostnames that are routed, as
 * Cloudflare runs no worker for it (there the request would go to the origin, or fail in DNS).
 */
export function noRouteWorker(hosts: string[]): Record<string, unknown> {
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

/** The Miniflare options of a stack: the no-route worker first, its workers, the migrator last. */
export function miniflareOptions(port: number, stateDir: string, workers: Record<string, unknown>[], migrations: LocalMigration[], hosts: string[]) {
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
      ...withAssetFronts(workers),
      // The stand-in for bindings only Cloudflare serves (it serves no route).
      ...(usesNotEmulated(workers) ? [notEmulatedWorker()] : []),
      // Last: it serves no route.
      ...(migrations.length
        ? [{ name: MIGRATOR, modules: true, script: MIGRATOR_SCRIPT, compatibilityDate: "2025-01-01", d1Databases: Object.fromEntries(migrations.map((m) => [m.key, m.id])), unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }]
        : []),
    ],
  } as Parameters<typeof convertV4MiniflareOptions>[0]);
}

/** Miniflare, loaded on first use (see evaluate.ts: loading it overlaps the evaluation). */
export function miniflare(): typeof import("miniflare") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("miniflare");
}

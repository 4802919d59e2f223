/**
 * One wrangler environment of one config → that worker's declaration on one stack, one small
 * function per wrangler key (or group of keys that are one feature). Each translator writes only
 * keys the schema of this version has (`has.*`); a feature whose key is not there yet is reported
 * as "not translated yet" naming the key it waits for, anything with no equivalent as "not
 * translated" — never dropped silently. Keys no translator knows are reported the same way.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { workerSchema } from "../../config/schema";
import { PLACEHOLDER, SECRET_NAME, SECRET_VALUE } from "../../config/validate";
import { bindings, Ctx, needs, nonEmpty, rel, setName } from "./context";
import { has, Obj, withoutStack } from "./model";
import { hyperdriveKey, simpleBindings, translateUnsafe } from "./translateBindings";
import { translateD1, translateKv, translateQueues, translateR2 } from "./translateStorage";
import type { WranglerEnv, WranglerRoute } from "./wrangler";

export type { Ctx } from "./context";

// --- the worker itself -------------------------------------------------------------------------

function translateName(ctx: Ctx): void {
  setName(ctx, ctx.worker, ctx.cfg.name!, "name", `workers.${ctx.key}.name`, has.worker("name"));
}

function translateMain(ctx: Ctx): void {
  if (ctx.cfg.main) ctx.worker.entry = rel(ctx, path.resolve(ctx.configDir, ctx.cfg.main));
  else if (!nonEmpty(ctx.cfg.assets)) {
    ctx.report("error", "main", "the worker has no `main` entry (wrangler refuses to deploy it): it is left out of this stack");
    ctx.omit = "no entry";
  } else if (!schemaEntryOptional()) {
    needs(ctx, false, "main", "an assets-only worker (`entry` optional with `assets`)");
    ctx.omit = "assets-only";
  }
}

/** True when the worker schema accepts a worker without `entry` (assets-only workers). */
function schemaEntryOptional(): boolean {
  return workerSchema.shape.entry.safeParse(undefined).success;
}

function translateCompatibility(ctx: Ctx): void {
  if (ctx.cfg.compatibility_date) ctx.worker.compatibilityDate = ctx.cfg.compatibility_date;
  else ctx.report("error", "compatibility_date", "not set (wrangler needs one to deploy)");
  if (ctx.cfg.compatibility_flags?.length) ctx.worker.compatibilityFlags = [...ctx.cfg.compatibility_flags];
}

const INJECTED = ["ENVIRONMENT", "VERSION"];

function translateVars(ctx: Ctx): void {
  const vars = ctx.cfg.vars ?? {};
  if (!Object.keys(vars).length) return;
  const out: Obj = {};
  for (const [name, value] of Object.entries(vars)) {
    if (INJECTED.includes(name) && !has.system(name === "ENVIRONMENT" ? "environmentVar" : "versionVar")) {
      needs(ctx, false, `vars.${name}`, name === "ENVIRONMENT" ? "environmentVar" : "versionVar");
      continue;
    }
    // What the validator refuses in a plain var (config/validate.ts) is not written as one.
    const texts = stringsIn(value);
    if (SECRET_NAME.test(name) || texts.some((t) => SECRET_VALUE.some((re) => re.test(t)))) {
      ctx.report("untranslated", `vars.${name}`, "looks like a credential: workers-stack refuses it as a plain var, so it is declared as a secret (set it with pulumi config set --secret; wrangler deploys it as a plain var)");
      ((ctx.worker.secrets as string[] | undefined) ??= []).push(name);
      continue;
    }
    const placeholder = texts.find((t) => PLACEHOLDER.test(t));
    if (placeholder !== undefined) {
      ctx.report("untranslated", `vars.${name}`, `placeholder value "${placeholder.slice(0, 40)}": workers-stack refuses it, so the var is left out; give it its real value`);
      continue;
    }
    out[name] = value;
  }
  if (Object.keys(out).length) ctx.worker.vars = out;
}

function stringsIn(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(stringsIn);
  if (v && typeof v === "object") return Object.values(v).flatMap(stringsIn);
  return [];
}

/** Names in a `.dev.vars`-style file (`NAME=value` lines, `#` comments). */
function namesInDotenv(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** Secrets the worker expects: `secrets.required`, and the names in `.dev.vars[.<env>]` / `.dev.vars.example`. */
function translateSecrets(ctx: Ctx): void {
  const names = new Set(ctx.cfg.secrets?.required ?? []);
  const files = [".dev.vars", ".dev.vars.example", ...(ctx.env ? [`.dev.vars.${ctx.env}`] : [])];
  for (const f of files) for (const n of namesInDotenv(path.join(ctx.configDir, f))) names.add(n);
  const vars = ctx.cfg.vars ?? {};
  // A name the config gives as a var is a var when deployed (.dev.vars only overrides it locally).
  const secrets = [...new Set([...((ctx.worker.secrets as string[] | undefined) ?? []), ...[...names].filter((n) => !Object.hasOwn(vars, n))])].sort();
  if (secrets.length) ctx.worker.secrets = secrets;
}

// --- Durable Objects, services, workflows --------------------------------------------------------

type Step = NonNullable<WranglerEnv["migrations"]>[number];

/** The classes a migration history leaves hosted, with their storage (true = SQLite). */
export function replayMigrations(steps: Step[]): Map<string, boolean> {
  const hosted = new Map<string, boolean>();
  for (const s of steps) {
    for (const c of s.new_classes ?? []) hosted.set(c, false);
    for (const c of s.new_sqlite_classes ?? []) hosted.set(c, true);
    for (const r of s.renamed_classes ?? []) if (hosted.has(r.from)) (hosted.set(r.to, hosted.get(r.from)!), hosted.delete(r.from));
    for (const c of s.deleted_classes ?? []) hosted.delete(c);
    for (const t of s.transferred_classes ?? []) hosted.set(t.to, true);
  }
  return hosted;
}

function translateMigrations(ctx: Ctx): void {
  const steps = ctx.cfg.migrations ?? [];
  if (!steps.length) return;
  ctx.worker.durableObjectMigrations = steps.map((s, i) => {
    const out: Obj = { tag: s.tag };
    if (s.new_sqlite_classes?.length) out.newSqliteClasses = [...s.new_sqlite_classes];
    if (s.new_classes?.length) out.newClasses = [...s.new_classes];
    if (s.renamed_classes?.length) out.renamedClasses = s.renamed_classes.map((r) => ({ from: r.from, to: r.to }));
    if (s.deleted_classes?.length) out.deletedClasses = [...s.deleted_classes];
    if (s.transferred_classes?.length)
      out.transferredClasses = s.transferred_classes.map((t, j) => {
        const from = ctx.workerOfScript(t.from_script);
        if (!from) ctx.report("note", `migrations[${i}].transferred_classes[${j}].from_script`, `${t.from_script} is not one of the imported workers: kept as fromScript`);
        return { from: t.from, ...(from ? { fromWorker: from } : { fromScript: t.from_script }), to: t.to };
      });
    return out;
  });
  const hosted = replayMigrations(steps);
  if (hosted.size) ctx.worker.durableObjects = Object.fromEntries([...hosted].map(([c, sqlite]) => [c, { sqlite }]));
}

function translateDurableObjects(ctx: Ctx): void {
  (ctx.cfg.durable_objects?.bindings ?? []).forEach((b, i) => {
    const at = `durable_objects.bindings[${i}]`;
    if (b.environment) return ctx.report("untranslated", `${at}.environment`, "service environments (legacy_env = false) are not declared by workers-stack");
    const host = b.script_name ? ctx.workerOfScript(b.script_name) : ctx.key;
    if (!host) return ctx.report("untranslated", `${at}.script_name`, `${b.script_name} is not one of the imported workers: import its config too`);
    if (!ctx.hostedClasses(host)?.has(b.class_name))
      return ctx.report("error", `${at}.class_name`, `binding ${b.name}: class ${b.class_name} is not created by any migration of ${b.script_name ?? "this worker"} on this environment (add a [[migrations]] step that creates it)`);
    bindings(ctx)[b.name] = host === ctx.key ? { durableObject: b.class_name } : { durableObject: b.class_name, worker: host };
  });
}

function translateServices(ctx: Ctx): void {
  (ctx.cfg.services ?? []).forEach((s, i) => {
    const at = `services[${i}]`;
    if (s.environment) return ctx.report("untranslated", `${at}.environment`, "service environments (legacy_env = false) are not declared by workers-stack");
    const target = ctx.workerOfScript(s.service);
    if (!target) return ctx.report("untranslated", `${at}.service`, `${s.service} is not one of the imported workers on this environment: import its config too`);
    bindings(ctx)[s.binding] = { service: target, ...(s.entrypoint ? { entrypoint: s.entrypoint } : {}) };
  });
}

function translateWorkflows(ctx: Ctx): void {
  (ctx.cfg.workflows ?? []).forEach((w, i) => {
    const at = `workflows[${i}]`;
    const host = w.script_name ? ctx.workerOfScript(w.script_name) : ctx.key;
    if (!host) return ctx.report("untranslated", `${at}.script_name`, `${w.script_name} is not one of the imported workers: import its config too`);
    const key = ctx.keys.workflows.key(`workflow:${w.name}`, [withoutStack(w.name, ctx.stack), w.name]);
    if (host === ctx.key) {
      const wf: Obj = { className: w.class_name };
      setName(ctx, wf, w.name, `${at}.name`, `workers.${ctx.key}.workflows.${key}.name`, has.worker("workflows", "*", "name"));
      ((ctx.worker.workflows as Obj | undefined) ??= {})[key] = wf;
    }
    bindings(ctx)[w.binding] = { workflow: key };
  });
}

function translateCrons(ctx: Ctx): void {
  const crons = ctx.cfg.triggers?.crons ?? [];
  if (crons.length) ctx.worker.crons = [...crons];
}

// --- routes and custom domains ---------------------------------------------------------------------

/** The zone of a host: the route's zone_name, else its last two labels. */
function zoneOf(host: string, zoneName?: string): string {
  return zoneName ?? host.split(".").slice(-2).join(".");
}

function translateRoutes(ctx: Ctx): void {
  const all: { r: WranglerRoute; at: string }[] = [
    ...(ctx.cfg.route ? [{ r: ctx.cfg.route, at: "route" }] : []),
    ...(ctx.cfg.routes ?? []).map((r, i) => ({ r, at: `routes[${i}]` })),
  ];
  const routes: unknown[] = [];
  const domains: string[] = [];
  for (const { r, at } of all) {
    const o = typeof r === "string" ? { pattern: r } : r;
    const host = o.pattern.replace(/^https?:\/\//, "").split("/")[0]!;
    if (o.custom_domain) {
      if (!needs(ctx, has.worker("customDomains") && has.system("zones"), at, "customDomains with a fully qualified hostname (routing)")) continue;
      domains.push(host);
      const zone = zoneOf(host, o.zone_name);
      ctx.build.zones.set(zone, (ctx.build.zones.get(zone) ?? 0) + 1);
      continue;
    }
    if (!needs(ctx, has.worker("routes"), at, `workers.${ctx.key}.routes`)) continue;
    if ("zone_id" in o && o.zone_id && !o.zone_name) {
      ctx.report("untranslated", `${at}.zone_id`, "a route given by zone id: give its zone_name (the zone's domain) instead");
      continue;
    }
    const zone = zoneOf(host.replace(/^\*\.?/, ""), o.zone_name);
    ctx.build.zones.set(zone, (ctx.build.zones.get(zone) ?? 0) + 1);
    routes.push(o.zone_name ? { pattern: o.pattern, zone: o.zone_name } : o.pattern);
  }
  if (routes.length) ctx.worker.routes = routes;
  if (domains.length) ctx.worker.customDomains = domains;
}

// --- script settings -----------------------------------------------------------------------------

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), camelKeys(x)]));
  return v;
}

/** A setting copied as it is (keys in camelCase) when the worker schema has it. */
function setting(wranglerKey: keyof WranglerEnv & string, specKey: string, map: (v: never) => unknown = camelKeys as (v: never) => unknown) {
  return (ctx: Ctx): void => {
    const v = ctx.cfg[wranglerKey];
    if (v === undefined || !ctx.written.has(wranglerKey)) return;
    if (needs(ctx, has.worker(specKey), wranglerKey, `workers.${ctx.key}.${specKey}`)) ctx.worker[specKey] = map(v as never);
  };
}

function translateTailConsumers(ctx: Ctx): void {
  const list = ctx.cfg.tail_consumers ?? [];
  if (!list.length || !needs(ctx, has.worker("tailConsumers"), "tail_consumers", `workers.${ctx.key}.tailConsumers`)) return;
  ctx.worker.tailConsumers = list.map((t) => {
    const w = ctx.workerOfScript(t.service);
    return w ? { worker: w } : { script: t.service };
  });
}

function translateBuild(ctx: Ctx): void {
  const out: Obj = {};
  if (ctx.cfg.minify !== undefined && ctx.written.has("minify")) out.minify = ctx.cfg.minify;
  if (ctx.cfg.keep_names !== undefined && ctx.written.has("keep_names")) out.keepNames = ctx.cfg.keep_names;
  if (nonEmpty(ctx.cfg.define)) out.define = { ...ctx.cfg.define };
  if (nonEmpty(ctx.cfg.alias)) out.alias = { ...ctx.cfg.alias };
  if (Object.keys(out).length && needs(ctx, has.worker("build"), Object.keys(out).map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).join(", "), `workers.${ctx.key}.build`)) ctx.worker.build = out;
}

function translateAssets(ctx: Ctx): void {
  const a = ctx.cfg.assets;
  if (!a || !nonEmpty(a) || !needs(ctx, has.worker("assets"), "assets", `workers.${ctx.key}.assets`)) return;
  const out: Obj = {};
  if (a.directory) out.directory = rel(ctx, path.resolve(ctx.configDir, a.directory));
  if (a.binding) out.binding = a.binding;
  if (a.html_handling) out.htmlHandling = a.html_handling;
  if (a.not_found_handling) out.notFoundHandling = a.not_found_handling;
  if (a.run_worker_first !== undefined) out.runWorkerFirst = a.run_worker_first;
  ctx.worker.assets = out;
}

// --- keys with nothing to deploy ------------------------------------------------------------------

const LOCAL_ONLY: Record<string, string> = {
  dev: "local development settings (`wrangler dev`): not part of a deployment",
  port: "local development port: not part of a deployment",
  account_id: "the account: set it per stack with `pulumi config set accountId <id>`",
  keep_vars: "workers-stack sends every var on every `up`: vars set in the dashboard are removed",
  $schema: "the editor's JSON schema",
  env: "each environment is a stack",
  name: "",
  main: "",
};

/** The translators, in the order they run. Each lists the wrangler keys it reads. */
export const TRANSLATORS: { keys: string[]; run(ctx: Ctx): void }[] = [
  { keys: ["name"], run: translateName },
  { keys: ["main"], run: translateMain },
  { keys: ["compatibility_date", "compatibility_flags"], run: translateCompatibility },
  { keys: ["vars"], run: translateVars },
  { keys: ["secrets"], run: translateSecrets },
  { keys: ["d1_databases"], run: translateD1 },
  { keys: ["kv_namespaces"], run: translateKv },
  { keys: ["r2_buckets"], run: translateR2 },
  { keys: ["queues"], run: translateQueues },
  { keys: ["migrations"], run: translateMigrations },
  { keys: ["durable_objects"], run: translateDurableObjects },
  { keys: ["services"], run: translateServices },
  { keys: ["workflows"], run: translateWorkflows },
  { keys: ["triggers"], run: translateCrons },
  { keys: ["route", "routes"], run: translateRoutes },
  { keys: ["workers_dev"], run: setting("workers_dev", "workersDev", (v) => v) },
  { keys: ["preview_urls"], run: setting("preview_urls", "previewUrls", (v) => v) },
  { keys: ["observability"], run: setting("observability", "observability") },
  { keys: ["logpush"], run: setting("logpush", "logpush", (v) => v) },
  { keys: ["placement"], run: setting("placement", "placement") },
  { keys: ["limits"], run: setting("limits", "limits") },
  { keys: ["tail_consumers"], run: translateTailConsumers },
  { keys: ["upload_source_maps"], run: setting("upload_source_maps", "uploadSourceMaps", (v) => v) },
  { keys: ["minify", "keep_names", "define", "alias"], run: translateBuild },
  { keys: ["assets"], run: translateAssets },
  { keys: ["ai"], run: simpleBindings<{ binding: string; staging?: boolean }>("ai", "ai", (b) => b.binding, (b, ctx, at) => (b.staging ? void ctx.report("untranslated", `${at}.staging`, "no equivalent in workers-stack") : true)) },
  { keys: ["browser"], run: simpleBindings<{ binding: string }>("browser", "browser", (b) => b.binding, () => true) },
  { keys: ["version_metadata"], run: simpleBindings<{ binding: string }>("version_metadata", "versionMetadata", (b) => b.binding, () => true) },
  { keys: ["analytics_engine_datasets"], run: simpleBindings<{ binding: string; dataset?: string }>("analytics_engine_datasets", "analyticsEngine", (b) => b.binding, (b) => b.dataset ?? b.binding) },
  { keys: ["vectorize"], run: simpleBindings<{ binding: string; index_name: string }>("vectorize", "vectorize", (b) => b.binding, (b) => b.index_name) },
  { keys: ["hyperdrive"], run: simpleBindings<{ binding: string; id: string }>("hyperdrive", "hyperdrive", (b) => b.binding, hyperdriveKey) },
  {
    keys: ["send_email"],
    run: simpleBindings<NonNullable<WranglerEnv["send_email"]>[number]>("send_email", "sendEmail", (b) => b.name, (b) => ({
      ...(b.destination_address ? { destinationAddress: b.destination_address } : {}),
      ...(b.allowed_destination_addresses ? { allowedDestinationAddresses: b.allowed_destination_addresses } : {}),
      ...(b.allowed_sender_addresses ? { allowedSenderAddresses: b.allowed_sender_addresses } : {}),
    })),
  },
  { keys: ["ratelimits"], run: simpleBindings<NonNullable<WranglerEnv["ratelimits"]>[number]>("ratelimits", "rateLimit", (b) => b.name, (b) => ({ namespaceId: b.namespace_id, limit: b.simple.limit, period: b.simple.period })) },
  { keys: ["mtls_certificates"], run: simpleBindings<{ binding: string; certificate_id: string }>("mtls_certificates", "mtlsCertificate", (b) => b.binding, (b) => b.certificate_id) },
  { keys: ["ai_search_namespaces"], run: simpleBindings<{ binding: string; namespace: string }>("ai_search_namespaces", "aiSearchNamespace", (b) => b.binding, (b) => b.namespace) },
  { keys: ["artifacts"], run: simpleBindings<{ binding: string; namespace: string }>("artifacts", "artifacts", (b) => b.binding, (b) => b.namespace) },
  { keys: ["unsafe"], run: translateUnsafe },
  { keys: ["dispatch_namespaces"], run: simpleBindings<{ binding: string; namespace: string; outbound?: unknown }>("dispatch_namespaces", "dispatchNamespace", (b) => b.binding, (b, ctx, at) => (b.outbound ? void ctx.report("untranslated", `${at}.outbound`, "an outbound worker of a dispatch namespace is not declared by workers-stack") : b.namespace)) },
];

const HANDLED = new Set(TRANSLATORS.flatMap((t) => t.keys));

/** Runs every translator for one worker on one stack, then reports each written key none of them reads. */
export function translateWorker(ctx: Ctx): void {
  for (const t of TRANSLATORS) t.run(ctx);
  for (const key of [...ctx.written].sort()) {
    if (HANDLED.has(key)) continue;
    if (Object.hasOwn(LOCAL_ONLY, key)) {
      if (LOCAL_ONLY[key]) ctx.report("note", key, LOCAL_ONLY[key]!);
      continue;
    }
    const v = ctx.cfg[key];
    // Keys an environment does not inherit are written at the top level but empty here.
    if (ctx.env && !nonEmpty(v) && v !== false && v !== true) continue;
    ctx.report("untranslated", key, "no equivalent in workers-stack");
  }
}

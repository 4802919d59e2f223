/**
 * The plan: a plain, fully resolved description of one stack — physical names, hostnames,
 * every binding of every worker by logical key, and the deploy order. No Pulumi types, no I/O:
 * the components turn it into resources, the local runner and the tests read it directly.
 */
import { planBinding, type PlannedBinding } from "./bindingKinds";
import { topologicalOrder, deployEdges, workflowHosts } from "./graph";
import { expandName, injectedVars, type InjectedVars, type NameContext } from "./names";
import { hyperdriveSecrets, secretsOnlyForAdoptedHyperdrives } from "./hyperdrives";
import { parseRoutePattern, patternOf, resolveHost, routeUrl, routeZone, systemZones, type RouteEntry } from "./routing";
import { PlannedMigrationStep, planMigrationHistory } from "./doMigrations";
import { Declaration } from "./validate";
import type { AssetsConfig } from "./assets";
import { planScriptSettings, type PlannedScriptSettings } from "./scriptSettings";

export type { PlannedBinding } from "./bindingKinds";

export interface PlannedQueue {
  key: string;
  /** Queue name: its `name` template, by default `<app>-<key><suffix>`. */
  name: string;
  /** Dead-letter queue, by key. */
  deadLetterQueue?: string;
  importId?: string;
}

export interface PlannedR2Bucket {
  key: string;
  /** Bucket name: its `name` template, by default `<app>-<key><suffix>`. */
  name: string;
  location?: string;
  jurisdiction?: string;
  /** Adopt the existing bucket of that name. */
  adopt: boolean;
}

export interface PlannedConsumer {
  queue: string;
  /** Name of the queue's dead-letter queue, when it has one (resolved here, not by the components). */
  deadLetterQueue?: string;
  batchSize?: number;
  maxWaitTimeMs?: number;
  maxRetries?: number;
  retryDelay?: number;
  maxConcurrency?: number;
}

export interface PlannedWorkflow {
  key: string;
  /** Workflow name: its `name` template, by default `<app>-<key><suffix>`. */
  name: string;
  className: string;
}

export interface PlannedDatabase {
  key: string;
  /** Physical D1 name: its `name` template, by default `<app>-<key><suffix>`. */
  name: string;
  /** Read replication mode, only when declared. */
  readReplication?: "auto" | "disabled";
  /** Project-relative folder of migrations, when the database has any. */
  migrationsDir?: string;
  /** D1 database id to adopt instead of creating. */
  importId?: string;
}

export interface PlannedKvNamespace {
  key: string;
  /** Namespace title: its `name` template, by default `<app>-<key><suffix>`. */
  title: string;
  importId?: string;
}

export interface PlannedHyperdrive {
  key: string;
  /** Its physical name (the `name` template, or `<app>-<key><suffix>`). */
  name: string;
  /** The system secret holding the origin's connection string (when not adopted). */
  connectionStringSecret?: string;
  /** The id of the existing configuration this stack adopts: bound by id, not managed. */
  importId?: string;
}

export type PlannedSecret =
  | { name: string; source: "config" }
  | { name: string; source: "generate"; length: number; rotation: number };

export interface PlannedHostname {
  /** Fully qualified hostname, e.g. `bot-staging.example.com`. */
  host: string;
  /** Route pattern sent to Cloudflare: `<host>/*`. */
  pattern: string;
  /** The zone it lives in, and that zone's id on this stack. */
  zone: string;
  zoneId: string;
  /** Target of its proxied CNAME: the system's `dnsTarget`, else its own zone. */
  target: string;
}

export interface PlannedCustomDomain {
  /** Fully qualified hostname, e.g. `api-staging.example.com`. */
  host: string;
  zone: string;
  zoneId: string;
}

/** A zone route without a DNS record. */
export interface PlannedRoute {
  /** The pattern as declared, e.g. `shop.example.com/api/*`. */
  pattern: string;
  zone: string;
  zoneId: string;
  /** Where it is reached (`https://shop.example.com/api/`); none for a wildcard host. */
  url?: string;
}

/** A worker's static assets, as declared (only the settings declared are sent; the rest are Cloudflare's defaults). */
export type PlannedAssets = AssetsConfig;

export interface PlannedWorker {
  key: string;
  /** Physical script name: its `name` template, by default `<app>-<key><suffix>`. */
  scriptName: string;
  /** Project-relative entry module; none for an assets-only worker (no code). */
  entry?: string;
  /** Its static assets (`directory` project-relative), when it has any. */
  assets?: PlannedAssets;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Every binding the script is sent with, sorted by name (a stable order means no spurious diff). */
  bindings: PlannedBinding[];
  hostnames: PlannedHostname[];
  /** Hostnames served as Workers Custom Domains. */
  customDomains: PlannedCustomDomain[];
  /** Zone routes (a `WorkersRoute` each, no DNS record). */
  routes: PlannedRoute[];
  /** Durable Object classes this worker hosts (sorted). */
  durableObjects: { className: string; sqlite: boolean }[];
  /**
   * Its Durable Object migration history, oldest first; each `up` sends only the steps after the
   * script's current tag on Cloudflare.
   */
  durableObjectMigrations: PlannedMigrationStep[];
  /** Workflows this worker hosts. */
  workflows: PlannedWorkflow[];
  consumers: PlannedConsumer[];
  crons: string[];
  /** The Telegram webhook this worker serves: its URL and which of its secrets carry token and secret. */
  telegram?: {
    url: string;
    botTokenSecret: string;
    webhookSecretSecret: string;
    apiBase: string;
    allowedUpdates?: string[];
    dropPendingUpdates: boolean;
  };
  /** Databases this worker binds: their migrations run before the worker is updated. */
  databases: string[];
  /** Workers that must exist first: service targets, hosts of bound Durable Objects and Workflows, tail consumers. */
  services: string[];
  /** Exposure (workers.dev, preview URLs) and script settings (observability, logpush, tail consumers, placement, limits, bundler options). */
  settings: PlannedScriptSettings;
}

export interface Plan {
  project: string;
  stack: string;
  app: string;
  accountId: string;
  /** The main zone's id ("" when nothing is served on it). */
  zoneId: string;
  /** The main zone. */
  zone?: string;
  /** Every zone of the system, the main one first. */
  zones: string[];
  /** The id of every zone this stack serves something on, by zone. */
  zoneIds: Record<string, string>;
  /** Target of the proxied CNAMEs set in the system (else each hostname's own zone). */
  dnsTarget: string;
  /** Protect stateful resources (D1, KV) against deletion. */
  protect: boolean;
  /** The VERSION every worker gets. */
  version: string;
  /** The value of the environment var (stack setting `environment`, default the stack name). */
  environment: string;
  /** The injected vars' names (false when switched off). */
  injectedVars: InjectedVars;
  databases: PlannedDatabase[];
  kvNamespaces: PlannedKvNamespace[];
  queues: PlannedQueue[];
  r2Buckets: PlannedR2Bucket[];
  secrets: PlannedSecret[];
  hyperdrives: PlannedHyperdrive[];
  /** Workers in deploy order: a service target always comes before its callers. */
  workers: PlannedWorker[];
}

/** Builds the plan of a validated declaration. `version` is used when the stack sets none. */
export function buildPlan(decl: Declaration, version: string): Plan {
  const { system, settings, stack } = decl;
  const names: NameContext = { app: system.app, stack, suffix: settings.suffix };
  const name = (key: string, item: { name?: string | undefined } | undefined) => expandName(item?.name, key, names);
  const scriptName = (key: string) => name(key, system.workers[key]);
  const flags = system.compatibilityFlags ?? [];
  const resolvedVersion = settings.version ?? version;
  const environment = settings.environment ?? stack;
  const injected = injectedVars(system);

  const databases: PlannedDatabase[] = sortedEntries(system.databases).map(([key, db]) => ({
    key,
    name: name(key, db),
    ...(db.migrations ? { migrationsDir: db.migrations } : {}),
    ...(db.readReplication ? { readReplication: db.readReplication } : {}),
    ...(imported(settings.imports?.databases, key) ? { importId: settings.imports!.databases![key]! } : {}),
  }));
  const kvNamespaces: PlannedKvNamespace[] = sortedEntries(system.kvNamespaces).map(([key, kv]) => ({
    key,
    title: name(key, kv),
    ...(imported(settings.imports?.kvNamespaces, key) ? { importId: settings.imports!.kvNamespaces![key]! } : {}),
  }));
  const queues: PlannedQueue[] = sortedEntries(system.queues).map(([key, q]) => ({
    key,
    name: name(key, q),
    ...(q.deadLetterQueue ? { deadLetterQueue: q.deadLetterQueue } : {}),
    ...(imported(settings.imports?.queues, key) ? { importId: settings.imports!.queues![key]! } : {}),
  }));
  const r2Buckets: PlannedR2Bucket[] = sortedEntries(system.r2Buckets).map(([key, b]) => ({
    key,
    name: name(key, b),
    ...(b.location ? { location: b.location } : {}),
    ...(b.jurisdiction ? { jurisdiction: b.jurisdiction } : {}),
    adopt: imported(settings.imports?.r2Buckets, key),
  }));
  // Only the secrets this stack needs: those of the workers on it (a worker absent from it needs no
  // value here) and the connection strings of the hyperdrives it creates (not of adopted ones).
  const notNeeded = secretsOnlyForAdoptedHyperdrives({ system, settings });
  const listed = new Set([...Object.values(system.workers).flatMap((w) => w.secrets ?? []), ...[...hyperdriveSecrets(system)].filter((s) => !notNeeded.has(s))]);
  const secrets: PlannedSecret[] = sortedEntries(system.secrets).filter(([secretName]) => listed.has(secretName)).map(([secretName, s]) =>
    s.generate ? { name: secretName, source: "generate", length: s.generate.length, rotation: s.generate.rotation } : { name: secretName, source: "config" },
  );

  const hyperdrives: PlannedHyperdrive[] = sortedEntries(system.hyperdrives).map(([key, h]) => {
    const importId = imported(settings.imports?.hyperdrives, key) ? settings.imports!.hyperdrives![key]! : undefined;
    return {
      key,
      name: name(key, h),
      ...(importId ? { importId } : h.connectionString ? { connectionStringSecret: h.connectionString } : {}),
    };
  });

  const edges = deployEdges(system);
  const wfHosts = workflowHosts(system);
  const workflowOf = (wf: string) => {
    const host = wfHosts.get(wf);
    const declared = host === undefined ? undefined : system.workers[host]!.workflows![wf]!;
    return host === undefined ? undefined : { worker: host, name: name(wf, declared), className: declared!.className };
  };
  const order = topologicalOrder(edges);
  // A class transferred from another worker of the system names that worker's script on this
  // stack (its `name` template, even when the worker is absent from this stack).
  const transferSource = (key: string) => name(key, system.workers[key] ?? decl.absentWorkers?.[key]);
  const workers = order.map((key): PlannedWorker => {
    const w = system.workers[key]!;
    // An assets-only worker has no code to read a binding: wrangler uploads none, nor do we.
    const bindings: PlannedBinding[] =
      w.entry === undefined
        ? []
        : [
            ...(injected.environment !== false ? [{ name: injected.environment, type: "plain_text" as const, text: environment }] : []),
            ...(injected.version !== false ? [{ name: injected.version, type: "plain_text" as const, text: resolvedVersion }] : []),
          ];
    if (w.assets?.binding !== undefined && w.entry !== undefined) bindings.push({ name: w.assets.binding, type: "assets" });
    for (const [varName, value] of Object.entries(w.vars ?? {}))
      bindings.push(typeof value === "string" ? { name: varName, type: "plain_text", text: value } : { name: varName, type: "json", json: JSON.stringify(value) });
    for (const secretName of w.secrets ?? []) bindings.push({ name: secretName, type: "secret_text", secret: secretName });
    for (const [bindingName, b] of Object.entries(w.bindings ?? {})) bindings.push(planBinding(bindingName, b, { self: key, workflow: workflowOf }));
    bindings.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const resolve = (entry: string) => {
      const r = resolveHost(entry, settings.hostnameSuffix, system);
      // validate() refused every entry that does not resolve.
      if (!r.ok) throw new Error(`workers-stack: internal error: ${r.message}`);
      return { host: r.host, zone: r.zone, zoneId: decl.zoneIds[r.zone] ?? "" };
    };
    const hostnames = [...new Set(w.hostnames ?? [])].map(resolve);
    const customDomains = [...new Set(w.customDomains ?? [])].map(resolve);
    const hosts = hostnames.map((h) => h.host);
    return {
      key,
      scriptName: scriptName(key),
      ...(w.entry !== undefined ? { entry: w.entry } : {}),
      ...(w.assets ? { assets: { ...w.assets } } : {}),
      compatibilityDate: w.compatibilityDate ?? system.compatibilityDate,
      compatibilityFlags: [...new Set([...flags, ...(w.compatibilityFlags ?? [])])],
      bindings,
      hostnames: hostnames.map((h) => ({ ...h, pattern: `${h.host}/*`, target: system.dnsTarget ?? h.zone })),
      customDomains,
      routes: planRoutes(w.routes ?? [], system, decl.zoneIds),
      durableObjects: sortedEntries(w.durableObjects).map(([className, d]) => ({ className, sqlite: d.sqlite })),
      durableObjectMigrations: planMigrationHistory(w.durableObjectMigrations, transferSource),
      workflows: sortedEntries(w.workflows).map(([wf, d]) => ({ key: wf, name: name(wf, d), className: d.className })),
      consumers: (w.consumers ?? []).map((c) => {
        const dlq = system.queues && Object.hasOwn(system.queues, c.queue) ? system.queues[c.queue]!.deadLetterQueue : undefined;
        return { ...c, ...(dlq ? { deadLetterQueue: name(dlq, system.queues![dlq]) } : {}) };
      }),
      crons: [...(w.crons ?? [])],
      ...(w.telegram
        ? {
            telegram: {
              url: `https://${[...hosts, ...customDomains.map((d) => d.host)][0]}${w.telegram.path}`,
              botTokenSecret: w.telegram.botToken,
              webhookSecretSecret: w.telegram.webhookSecret,
              apiBase: w.telegram.apiBase,
              ...(w.telegram.allowedUpdates ? { allowedUpdates: w.telegram.allowedUpdates } : {}),
              dropPendingUpdates: w.telegram.dropPendingUpdates,
            },
          }
        : {}),
      databases: uniqueSorted(bindings.flatMap((b) => (b.type === "d1" ? [b.database] : []))),
      services: edges.get(key) ?? [],
      // Tail consumers of the system get their script name as scriptName does. "Routed" as wrangler
      // counts it: hostnames, custom domains and zone routes (`routes`, once declared).
      settings: planScriptSettings(w, hosts.length + (w.customDomains ?? []).length + ((w as { routes?: unknown[] }).routes ?? []).length > 0, scriptName),
    };
  });

  return {
    project: decl.project,
    stack,
    app: system.app,
    accountId: decl.accountId,
    zoneId: decl.zoneId,
    ...(system.zone !== undefined ? { zone: system.zone } : {}),
    zones: systemZones(system),
    zoneIds: decl.zoneIds,
    dnsTarget: system.dnsTarget ?? system.zone ?? "",
    protect: settings.protect,
    version: resolvedVersion,
    environment,
    injectedVars: injected,
    databases,
    kvNamespaces,
    queues,
    r2Buckets,
    secrets,
    hyperdrives,
    workers,
  };
}

/** A worker's zone routes, each with its zone and that zone's id (validate() refused the others). */
function planRoutes(entries: RouteEntry[], system: Declaration["system"], zoneIds: Record<string, string>): PlannedRoute[] {
  const seen = new Set<string>();
  return entries.flatMap((entry) => {
    const pattern = patternOf(entry);
    const parsed = parseRoutePattern(pattern);
    const zone = parsed.ok ? routeZone(entry, parsed.route, system) : undefined;
    if (!zone?.ok) throw new Error(`workers-stack: internal error: route ${pattern} was validated without a zone`);
    if (seen.has(pattern)) return [];
    seen.add(pattern);
    const url = routeUrl(pattern);
    return [{ pattern, zone: zone.zone, zoneId: zoneIds[zone.zone] ?? "", ...(url ? { url } : {}) }];
  });
}

/** An own key of the imports record (never one of Object.prototype's). */
function imported(record: Record<string, unknown> | undefined, key: string): boolean {
  return record !== undefined && Object.hasOwn(record, key) && Boolean(record[key]);
}

function sortedEntries<T>(record: Record<string, T> | undefined): [string, T][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

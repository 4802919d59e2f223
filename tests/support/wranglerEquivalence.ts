/**
 * Equivalence of an imported project with wrangler (issue 11 item 4): what the imported project
 * registers under the mock runtime for one worker on one stack, in the terms wrangler uses —
 * the bindings as `wrangler deploy --dry-run` prints them (name, kind, target or shortened value;
 * secrets are not listed), and the routes, custom domains, crons, queue consumers, Durable Object
 * classes and script settings as wrangler's own reader resolves them from the config.
 *
 * Written independently of the importer: the expected side comes from wrangler's output and
 * wrangler's resolved config only.
 */
import type { RegisteredResource } from "../../harness/evaluate";
import { reveal } from "../../harness/evaluate";
import { RESOURCE_TYPE } from "../../config/resourceTypes";
import type { Binding } from "../../scripts/corpus-reference";
import type { WranglerEnv } from "../../cli/import/wrangler";

/** wrangler's `truncate` in printBindings: 40 characters at most, `...` at the end. */
function truncate(s: string, max = 40): string {
  return s.length < max ? s : `${s.substring(0, max - 3)}...`;
}

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));

/** One registered provider binding as wrangler's table shows it; undefined for what the table omits (secrets). */
export function asWranglerBinding(b: Record<string, unknown>, resources: RegisteredResource[]): Binding | undefined {
  const name = str(b.name);
  const of = (kind: string, target: string | null): Binding => ({ name, kind, target });
  switch (b.type) {
    case "plain_text":
      return of("Environment Variable", `"${truncate(str(b.text))}"`);
    case "json":
      return of("Environment Variable", truncate(JSON.stringify(JSON.parse(str(b.json)))));
    case "secret_text":
      return undefined;
    case "d1": {
      const db = resources.find((r) => r.type === RESOURCE_TYPE.d1 && r.id === b.id);
      return of("D1 Database", db ? str(db.inputs.name) : `<no D1Database with id ${str(b.id)}>`);
    }
    case "kv_namespace":
      return of("KV Namespace", str(b.namespaceId));
    case "r2_bucket":
      return of("R2 Bucket", `${str(b.bucketName)}${b.jurisdiction ? ` (${str(b.jurisdiction)})` : ""}`);
    case "queue":
      return of("Queue", str(b.queueName));
    case "durable_object_namespace":
      return of("Durable Object", `${str(b.className)}${b.scriptName ? `, defined in ${str(b.scriptName)}` : ""}`);
    case "service":
      return of("Worker", `${str(b.service)}${b.entrypoint ? `#${str(b.entrypoint)}` : ""}`);
    case "workflow":
      return of("Workflow", `${str(b.className)}${b.scriptName ? ` (defined in ${str(b.scriptName)})` : ""}`);
    case "ai":
      return of("AI", null);
    case "browser":
      return of("Browser Run", null);
    case "version_metadata":
      return of("Worker Version Metadata", null);
    case "assets":
      return of("Assets", null);
    case "analytics_engine":
      return of("Analytics Engine Dataset", str(b.dataset ?? b.name));
    case "vectorize":
      return of("Vectorize Index", str(b.indexName));
    case "hyperdrive":
      return of("Hyperdrive Config", str(b.id));
    case "ratelimit": {
      const simple = (b.simple ?? {}) as { limit?: number; period?: number };
      return of("Rate Limit", `${str(simple.limit)} requests/${str(simple.period)}s`);
    }
    case "send_email": {
      let value = str(b.destinationAddress) || (b.allowedDestinationAddresses as string[] | undefined)?.join(", ") || "unrestricted";
      if (b.allowedSenderAddresses) value += ` - senders: ${(b.allowedSenderAddresses as string[]).join(", ")}`;
      return of("Send Email", value);
    }
    case "ai_search_namespace":
      return of("AI Search Namespace", str(b.namespace));
    case "artifacts":
      return of("Artifacts", str(b.namespace));
    case "mtls_certificate":
      return of("mTLS Certificate", str(b.certificateId));
    case "dispatch_namespace":
      return of("Dispatch Namespace", str(b.namespace));
    default:
      return of(`<provider binding type ${str(b.type)}>`, null);
  }
}

const byName = (a: Binding, b: Binding) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind);

/** The bindings a registered script carries, as wrangler's table shows them, sorted by name. */
export function registeredBindings(script: RegisteredResource, resources: RegisteredResource[]): Binding[] {
  const list = (reveal(script.inputs.bindings) as Record<string, unknown>[] | undefined) ?? [];
  return list.map((b) => asWranglerBinding(b, resources)).filter((b): b is Binding => b !== undefined).sort(byName);
}

/**
 * wrangler's table for one env, sorted by name. An `unsafe` binding of type `ratelimit` (shown as
 * "Unsafe Metadata") goes into the upload exactly as a `ratelimits` entry does: it is compared as
 * the rate limit it is, with its limit and period from wrangler's resolved config.
 */
export function sortedBindings(list: Binding[], cfg?: WranglerEnv): Binding[] {
  const unsafe = ((cfg?.unsafe as { bindings?: { name: string; type: string; simple?: { limit: number; period: number } }[] } | undefined)?.bindings ?? []);
  return list
    .map((b) => {
      const u = b.kind === "Unsafe Metadata" && b.target === "ratelimit" ? unsafe.find((x) => x.name === b.name && x.type === "ratelimit" && x.simple) : undefined;
      return u ? { name: b.name, kind: "Rate Limit", target: `${u.simple!.limit} requests/${u.simple!.period}s` } : b;
    })
    .sort(byName);
}

type Step = NonNullable<WranglerEnv["migrations"]>[number];

/** Classes after wrangler-style steps (snake_case, from wrangler's config), with their storage. */
function replaySnake(steps: Step[]): Record<string, string> {
  const hosted: Record<string, string> = {};
  for (const s of steps) {
    for (const c of s.new_classes ?? []) hosted[c] = "kv";
    for (const c of s.new_sqlite_classes ?? []) hosted[c] = "sqlite";
    for (const r of s.renamed_classes ?? []) if (hosted[r.from]) (hosted[r.to] = hosted[r.from]!, delete hosted[r.from]);
    for (const c of s.deleted_classes ?? []) delete hosted[c];
    for (const t of s.transferred_classes ?? []) hosted[t.to] = "sqlite";
  }
  return hosted;
}

/** Classes after provider-style steps (the WorkersScript `migrations` input). */
function replayCamel(steps: Record<string, unknown>[]): Record<string, string> {
  return replaySnake(
    steps.map((s) => ({
      tag: "",
      new_classes: s.newClasses as string[] | undefined,
      new_sqlite_classes: s.newSqliteClasses as string[] | undefined,
      renamed_classes: s.renamedClasses as { from: string; to: string }[] | undefined,
      deleted_classes: s.deletedClasses as string[] | undefined,
      transferred_classes: (s.transferredClasses as { from: string; fromScript: string; to: string }[] | undefined)?.map((t) => ({ from: t.from, from_script: t.fromScript, to: t.to })),
    })),
  );
}

/** Everything besides bindings that is compared, as one plain object per side. */
export interface Deployment {
  compatibilityDate: string;
  compatibilityFlags: string[];
  routes: string[];
  customDomains: string[];
  crons: string[];
  consumers: { queue: string; batchSize?: number; maxWaitTimeMs?: number; maxRetries?: number; retryDelay?: number; maxConcurrency?: number; deadLetterQueue?: string }[];
  durableObjects: { lastTag?: string; classes: Record<string, string> };
  /** Script settings: workers.dev and preview URLs, tail consumers, logpush, limits, placement, observability (what the config declares). */
  settings: Record<string, unknown>;
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), camelKeys(x)]));
  return v;
}

/** `declared` with each of its leaves taken from `sent` (what the upload carries of what the config declares). */
function declaredPart(declared: unknown, sent: unknown): unknown {
  if (declared && typeof declared === "object" && !Array.isArray(declared))
    return Object.fromEntries(Object.keys(declared).map((k) => [k, declaredPart((declared as Record<string, unknown>)[k], (sent as Record<string, unknown> | undefined)?.[k])]));
  return sent;
}

/** wrangler's placement as the upload carries it (smart, or targeted at a region, hostname or host). */
function wranglerPlacement(p: Record<string, unknown> | undefined): unknown {
  if (!p) return undefined;
  if (p.mode === "smart") return { mode: "smart" };
  const at = (["region", "hostname", "host"] as const).find((k) => p[k] !== undefined);
  return at ? { mode: "targeted", [at]: p[at] } : p;
}

/** What wrangler deploys for this config and env, besides bindings. */
export function expectedDeployment(cfg: WranglerEnv): Deployment {
  const routes = [...(cfg.route ? [cfg.route] : []), ...(cfg.routes ?? [])].map((r) => (typeof r === "string" ? { pattern: r } : r));
  const steps = cfg.migrations ?? [];
  return {
    compatibilityDate: cfg.compatibility_date ?? "",
    compatibilityFlags: [...(cfg.compatibility_flags ?? [])].sort(),
    routes: routes.filter((r) => !("custom_domain" in r && r.custom_domain)).map((r) => r.pattern).sort(),
    customDomains: routes.filter((r) => "custom_domain" in r && r.custom_domain).map((r) => r.pattern).sort(),
    crons: [...(cfg.triggers?.crons ?? [])].sort(),
    consumers: (cfg.queues?.consumers ?? [])
      .map((c) => ({
        queue: c.queue,
        ...(c.max_batch_size !== undefined ? { batchSize: c.max_batch_size } : {}),
        ...(c.max_batch_timeout !== undefined ? { maxWaitTimeMs: c.max_batch_timeout * 1000 } : {}),
        ...(c.max_retries !== undefined ? { maxRetries: c.max_retries } : {}),
        ...(c.retry_delay !== undefined ? { retryDelay: c.retry_delay } : {}),
        ...(c.max_concurrency !== undefined && c.max_concurrency !== null ? { maxConcurrency: c.max_concurrency } : {}),
        ...(c.dead_letter_queue ? { deadLetterQueue: c.dead_letter_queue } : {}),
      }))
      .sort((a, b) => a.queue.localeCompare(b.queue)),
    durableObjects: { ...(steps.length ? { lastTag: steps[steps.length - 1]!.tag } : {}), classes: replaySnake(steps) },
    settings: {
      // wrangler 4.156 getSubdomainValues(): workers_dev ?? (no routes and no custom domains); preview_urls as declared.
      workersDev: cfg.workers_dev ?? routes.length === 0,
      previewUrls: cfg.preview_urls,
      tailConsumers: (cfg.tail_consumers ?? []).map((t) => t.service).sort(),
      logpush: cfg.logpush,
      limits: cfg.limits && Object.keys(cfg.limits).length ? camelKeys(cfg.limits) : undefined,
      placement: wranglerPlacement(cfg.placement),
      observability: cfg.observability && Object.keys(cfg.observability).length ? camelKeys(cfg.observability) : undefined,
      // Static assets: served or not, and the routing settings wrangler sends with them.
      assets: cfg.assets?.directory
        ? {
            ...(cfg.assets.html_handling !== undefined ? { htmlHandling: cfg.assets.html_handling } : {}),
            ...(cfg.assets.not_found_handling !== undefined ? { notFoundHandling: cfg.assets.not_found_handling } : {}),
            ...(cfg.assets.run_worker_first !== undefined ? { runWorkerFirst: cfg.assets.run_worker_first } : {}),
          }
        : undefined,
    },
  };
}

function registeredAssets(a: unknown): Record<string, unknown> | undefined {
  if (!a || typeof a !== "object") return undefined;
  const { headers: _h, redirects: _r, ...config } = ((a as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>;
  return config;
}

/** What the imported project registers for the script `scriptName`, besides bindings. */
export function registeredDeployment(script: RegisteredResource, resources: RegisteredResource[], expected?: Deployment): Deployment {
  const name = str(script.inputs.scriptName);
  const inputs = reveal(script.inputs) as Record<string, unknown>;
  const mine = (type: string, field: string) => resources.filter((r) => r.type === type && reveal(r.inputs[field]) === name);
  const queueName = (id: unknown) => str(resources.find((r) => r.type === RESOURCE_TYPE.queue && r.id === id)?.inputs.queueName) || `<queue id ${str(id)}>`;
  const migrations = inputs.migrations as { newTag?: string; steps?: Record<string, unknown>[] } | undefined;
  const subdomain = mine(RESOURCE_TYPE.subdomain, "scriptName")[0];
  return {
    compatibilityDate: str(inputs.compatibilityDate),
    compatibilityFlags: [...((inputs.compatibilityFlags as string[] | undefined) ?? [])].sort(),
    routes: mine(RESOURCE_TYPE.route, "script").map((r) => str(r.inputs.pattern)).sort(),
    customDomains: mine(RESOURCE_TYPE.customDomain, "service").map((r) => str(r.inputs.hostname)).sort(),
    crons: mine(RESOURCE_TYPE.cron, "scriptName").flatMap((r) => ((r.inputs.schedules as { cron: string }[] | undefined) ?? []).map((s) => s.cron)).sort(),
    consumers: mine(RESOURCE_TYPE.consumer, "scriptName")
      .map((r) => {
        const s = (reveal(r.inputs.settings) ?? {}) as Record<string, number | undefined>;
        return {
          queue: queueName(r.inputs.queueId),
          ...(s.batchSize !== undefined ? { batchSize: s.batchSize } : {}),
          ...(s.maxWaitTimeMs !== undefined ? { maxWaitTimeMs: s.maxWaitTimeMs } : {}),
          ...(s.maxRetries !== undefined ? { maxRetries: s.maxRetries } : {}),
          ...(s.retryDelay !== undefined ? { retryDelay: s.retryDelay } : {}),
          ...(s.maxConcurrency !== undefined ? { maxConcurrency: s.maxConcurrency } : {}),
          ...(r.inputs.deadLetterQueue ? { deadLetterQueue: str(reveal(r.inputs.deadLetterQueue)) } : {}),
        };
      })
      .sort((a, b) => a.queue.localeCompare(b.queue)),
    durableObjects: { ...(migrations?.newTag ? { lastTag: migrations.newTag } : {}), classes: replayCamel(migrations?.steps ?? []) },
    settings: {
      workersDev: subdomain ? reveal(subdomain.inputs.enabled) : "<no WorkersScriptSubdomain>",
      previewUrls: subdomain ? reveal(subdomain.inputs.previewsEnabled) : undefined,
      tailConsumers: ((inputs.tailConsumers as { service: string }[] | undefined) ?? []).map((t) => t.service).sort(),
      logpush: inputs.logpush,
      limits: inputs.limits,
      placement: inputs.placement,
      // Cloudflare's defaults the program fills in (logs.enabled, invocationLogs) are not in wrangler's config: only what it declares is compared.
      observability: expected?.settings.observability !== undefined ? declaredPart(expected.settings.observability, inputs.observability) : inputs.observability,
      assets: registeredAssets(inputs.assets),
    },
  };
}

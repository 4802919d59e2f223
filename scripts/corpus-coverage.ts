/**
 * The coverage table of examples/corpus/README.md: per system of the corpus, its workers,
 * environments, the wrangler keys and settings it uses, how many of its workers this project's
 * configuration (config/schema.ts) can declare completely today, and what stops the others.
 *
 *   npx ts-node --transpile-only scripts/corpus-coverage.ts      # prints the table rows
 *
 * When the configuration learns a feature, move its wrangler key into DECLARABLE (or drop its
 * gap rule below), regenerate, and paste the rows into the README: tests/corpus-fixtures.test.ts
 * fails while the README table and this output differ.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURES, environmentsOf, findConfigs, readRawConfig } from "./corpus-reference";
import { dataset, namespaceName, rateLimit, vectorizeIndex } from "../config/bindingFields";
import { NAME_RULES, type NameKind } from "../config/limits";
import { parseRoutePattern } from "../config/routing";

/**
 * Keys that do not change what is deployed, or that the program handles its own way. `name` is
 * declarable as it is (a worker's `name`, per stack through overrides, any physical name a
 * template), as long as Cloudflare's rule for its kind accepts it (checked below, physicalNames).
 */
const NEUTRAL = new Set(["name", "main", "compatibility_date", "compatibility_flags", "env", "dev", "port", "account_id", "keep_vars", "send_metrics", "secrets"]);
/** Keys config/schema.ts can express (with the per-value rules below). */
const DECLARABLE = new Set([
  "vars", "d1_databases", "kv_namespaces", "r2_buckets", "queues", "durable_objects", "migrations", "services", "workflows", "triggers", "routes", "route",
  // The binding kinds of config/bindingKinds.ts beyond the system's own resources (values checked below).
  "ai", "browser", "version_metadata", "analytics_engine_datasets", "vectorize", "hyperdrive", "send_email", "ratelimits", "mtls_certificates", "dispatch_namespaces", "unsafe",
  "ai_search_namespaces", "artifacts",
  // Static assets (every key of wrangler's `assets`), assets-only workers included.
  "assets",
]);
// Exposure and script settings (config/scriptSettings.ts): workersDev, previewUrls, observability,
// logpush, tailConsumers (a worker of the system or an outside script), placement, limits, the
// bundler's minify / keepNames / define / alias, and uploadSourceMaps.
for (const k of ["workers_dev", "preview_urls", "observability", "logpush", "tail_consumers", "placement", "limits", "minify", "keep_names", "define", "alias", "upload_source_maps"]) DECLARABLE.add(k);
/** The parts of those settings the configuration does not express (wrangler name → label). */
const SETTINGS_GAPS = {
  placement: (v: Record<string, unknown>) => ("hint" in v || v.mode === "off" ? "placement hint / off" : undefined),
  observability: (v: Record<string, unknown>) => ("redact_query_string" in v || "issues" in v ? "observability issues / redact_query_string" : undefined),
} as Record<string, (v: Record<string, unknown>) => string | undefined>;

/** How a key that cannot be declared is named in the table. */
const LABEL: Record<string, string> = {
  analytics_engine_datasets: "Analytics Engine",
  version_metadata: "version metadata",
  tail_consumers: "tail consumers",
  ai: "AI",
  vectorize: "Vectorize",
  hyperdrive: "Hyperdrive",
  browser: "Browser Rendering",
  ratelimits: "rate limits",
  unsafe: "unsafe bindings",
  upload_source_maps: "source maps upload",
  alias: "bundler alias",
  define: "bundler define",
  rules: "module rules",
  node_compat: "node_compat (refused by wrangler 4)",
  ai_search_namespaces: "AI Search",
  mtls_certificates: "mTLS certificates",
  secrets_store_secrets: "Secrets Store",
  dispatch_namespaces: "dispatch namespaces",
  artifacts: "Artifacts",
};

type Raw = Record<string, unknown> & { env?: Record<string, unknown> };

/** The physical names one config block gives (script, D1, R2, queues, workflows), by kind. */
function physicalNames(b: Raw): Array<[NameKind, string]> {
  const out: Array<[NameKind, string]> = [];
  const list = (v: unknown) => (Array.isArray(v) ? (v as Array<Record<string, unknown>>) : []);
  if (typeof b.name === "string") out.push(["script", b.name]);
  for (const d of list(b.d1_databases)) if (typeof d.database_name === "string") out.push(["d1", d.database_name]);
  for (const r of list(b.r2_buckets)) if (typeof r.bucket_name === "string") out.push(["r2", r.bucket_name]);
  const queues = (b.queues ?? {}) as { producers?: unknown; consumers?: unknown };
  for (const q of [...list(queues.producers), ...list(queues.consumers)]) {
    if (typeof q.queue === "string") out.push(["queue", q.queue]);
    if (typeof q.dead_letter_queue === "string") out.push(["queue", q.dead_letter_queue]);
  }
  for (const w of list(b.workflows)) if (typeof w.name === "string") out.push(["workflow", w.name]);
  return out;
}

/** True when Cloudflare's rule for the kind (config/limits.ts NAME_RULES) accepts the name. */
function nameFits(kind: NameKind, name: string): boolean {
  const rule = NAME_RULES[kind];
  return name.length >= rule.min && name.length <= rule.max && rule.pattern.test(name);
}
type Route = string | { pattern: string; zone_name?: string; custom_domain?: boolean };

export interface SystemCoverage {
  system: string;
  workers: number;
  environments: string[];
  features: string[];
  declarable: number;
  /** Gap → number of workers it stops (system-wide gaps have no count). */
  missing: Array<[string, number | null]>;
}

export function coverageOf(system: string): SystemCoverage {
  const dir = path.join(FIXTURES, system);
  const raws = findConfigs(dir).map((rel) => readRawConfig(path.join(dir, rel)) as Raw);
  const names = new Set<string>();
  for (const r of raws) for (const [, b] of [["", r], ...Object.entries(r.env ?? {})] as Array<[string, Raw]>) if (typeof b.name === "string") names.add(b.name);
  const envs = new Set<string>();
  const features = new Set<string>();
  const zones = new Set<string>();
  const gapCount = new Map<string, number>();
  let declarable = 0;
  for (const r of raws) {
    const gaps = new Set<string>();
    // An assets-only worker (no `main`) is declarable (`assets` without `entry`); a worker with
    // neither is refused by wrangler too.
    const anyAssets = [r, ...Object.values(r.env ?? {})].some((b) => (b as Raw).assets !== undefined);
    if (r.main === undefined && !anyAssets) gaps.add("no entry and no assets");
    for (const e of environmentsOf(r)) envs.add(e || "(top)");
    for (const [, b] of [["", r], ...Object.entries(r.env ?? {})] as Array<[string, Raw]>) {
      for (const [kind, name] of physicalNames(b)) if (!nameFits(kind, name)) gaps.add(`${NAME_RULES[kind].what}s Cloudflare refuses`);
      for (const [k, v] of Object.entries(b)) {
        if (NEUTRAL.has(k)) continue;
        features.add(k === "route" ? "routes" : k);
        if (!DECLARABLE.has(k)) gaps.add(LABEL[k] ?? k);
        const settingGap = Object.hasOwn(SETTINGS_GAPS, k) ? SETTINGS_GAPS[k]!(v as Record<string, unknown>) : undefined;
        if (settingGap) gaps.add(settingGap);
        if (k === "migrations")
          for (const m of v as Array<Record<string, unknown[] | undefined>>) {
            // Deletes, renames and transfers are declared with durableObjectMigrations.
            if (m.new_sqlite_classes?.length) features.add("sqlite DOs");
          }
        if (k === "routes" || k === "route")
          for (const x of ([] as Route[]).concat(v as Route | Route[])) {
            const pattern = typeof x === "string" ? x : x.pattern;
            const host = pattern.split("/")[0];
            const rest = pattern.slice(host.length);
            if (typeof x !== "string" && x.custom_domain) features.add("custom domains");
            if (typeof x !== "string" && x.zone_name) zones.add(x.zone_name);
            else if (typeof x !== "string" && x.custom_domain) zones.add(host.split(".").slice(-2).join("."));
            // Paths, wildcard hosts and several zones are declarable (worker `routes`, system
            // `zones`); a pattern the validation refuses (as Cloudflare would) is not.
            if (rest && rest !== "/*") features.add("routes with paths");
            if (host.includes("*")) features.add("wildcard hosts");
            if (!parseRoutePattern(pattern).ok) gaps.add("route patterns Cloudflare refuses");
          }
        if (k === "services") for (const x of v as Array<{ service: string }>) if (!names.has(x.service)) gaps.add("services to workers outside the system");
        if (k === "durable_objects")
          for (const x of (v as { bindings?: Array<{ script_name?: string }> }).bindings ?? [])
            if (x.script_name && !names.has(x.script_name)) gaps.add("DOs of workers outside the system");
        if (k === "queues") {
          const consumers = (v as { consumers?: Array<{ dead_letter_queue?: string; type?: string }> }).consumers ?? [];
          if (consumers.length) features.add("queue consumers");
          if (consumers.some((c) => c.dead_letter_queue)) features.add("DLQ");
          if (consumers.some((c) => c.type === "http_pull")) gaps.add("http_pull consumers");
        }
        if (k === "assets") {
          const a = v as { run_worker_first?: unknown; not_found_handling?: string };
          if (a.run_worker_first) features.add("run_worker_first");
          if (a.not_found_handling) features.add(a.not_found_handling);
        }
        if (k === "unsafe") {
          const u = v as { bindings?: Array<{ type: string; namespace_id?: string; simple?: { limit: number; period: number } }> } & Record<string, unknown>;
          for (const x of u.bindings ?? []) features.add(`unsafe:${x.type}`);
          // A rate limit given as an unsafe binding is a `rateLimit` binding; anything else is not declarable.
          if (Object.keys(u).some((key) => key !== "bindings") || (u.bindings ?? []).some((x) => x.type !== "ratelimit")) gaps.add(LABEL.unsafe!);
          for (const x of u.bindings ?? []) if (x.type === "ratelimit" && !rateLimit.safeParse({ namespaceId: x.namespace_id, ...x.simple }).success) gaps.add("rate limits Cloudflare refuses");
        }
        // The values the binding kinds check (config/bindingFields.ts): real names must pass.
        if (k === "analytics_engine_datasets")
          for (const x of v as Array<{ binding: string; dataset?: string }>) if (!dataset.safeParse(x.dataset ?? x.binding).success) gaps.add(`Analytics Engine dataset "${x.dataset}"`);
        if (k === "vectorize") for (const x of v as Array<{ index_name: string }>) if (!vectorizeIndex.safeParse(x.index_name).success) gaps.add(`Vectorize index "${x.index_name}"`);
        if (k === "ratelimits")
          for (const x of v as Array<{ namespace_id: string; simple: { limit: number; period: number } }>)
            if (!rateLimit.safeParse({ namespaceId: x.namespace_id, ...x.simple }).success) gaps.add("rate limits Cloudflare refuses");
        if (k === "ai_search_namespaces" || k === "artifacts")
          for (const x of v as Array<{ namespace: string }>) if (!namespaceName.safeParse(x.namespace).success) gaps.add(`${LABEL[k]} namespace "${x.namespace}"`);
        if (k === "dispatch_namespaces" && (v as Array<{ outbound?: unknown }>).some((x) => x.outbound)) gaps.add("dispatch namespace outbound workers");
      }
    }
    if (gaps.size === 0) declarable++;
    for (const g of gaps) gapCount.set(g, (gapCount.get(g) ?? 0) + 1);
  }
  const missing: Array<[string, number | null]> = [...gapCount].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (zones.size > 1) features.add("several zones");
  return { system, workers: raws.length, environments: [...envs].sort(), features: [...features].sort(), declarable, missing };
}

export function coverageRow(c: SystemCoverage): string {
  const missing = c.missing.map(([g, n]) => (n === null ? g : `${g} (${n})`)).join("; ") || "—";
  return `| [${c.system}](${c.system}/SOURCE.md) | ${c.workers} | ${c.environments.join(", ")} | ${c.features.join(", ")} | ${c.declarable} / ${c.workers} | ${missing} |`;
}

export function systems(): string[] {
  return fs
    .readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

if (require.main === module) {
  for (const s of systems()) console.log(coverageRow(coverageOf(s)));
}

/**
 * Reading wrangler configs with wrangler's own reader (the installed `wrangler` package), so that
 * what an environment inherits — `name` becoming `<name>-<env>`, the keys environments inherit and
 * the bindings and vars they do not — is exactly what `wrangler deploy --env <env>` uses.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The parts of wrangler's resolved config (`unstable_readConfig`) the importer reads. */
export interface WranglerEnv {
  name?: string;
  main?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  vars?: Record<string, unknown>;
  secrets?: { required?: string[] };
  d1_databases?: { binding: string; database_name?: string; database_id?: string; migrations_dir?: string; preview_database_id?: string }[];
  kv_namespaces?: { binding: string; id?: string }[];
  r2_buckets?: { binding: string; bucket_name?: string; jurisdiction?: string }[];
  queues?: {
    producers?: { binding: string; queue: string; delivery_delay?: number }[];
    consumers?: {
      queue: string;
      type?: string;
      max_batch_size?: number;
      max_batch_timeout?: number;
      max_retries?: number;
      dead_letter_queue?: string;
      max_concurrency?: number | null;
      retry_delay?: number;
      visibility_timeout_ms?: number;
    }[];
  };
  durable_objects?: { bindings?: { name: string; class_name: string; script_name?: string; environment?: string }[] };
  migrations?: {
    tag: string;
    new_classes?: string[];
    new_sqlite_classes?: string[];
    renamed_classes?: { from: string; to: string }[];
    deleted_classes?: string[];
    transferred_classes?: { from: string; from_script: string; to: string }[];
  }[];
  services?: { binding: string; service: string; entrypoint?: string; environment?: string }[];
  workflows?: { binding: string; name: string; class_name: string; script_name?: string }[];
  triggers?: { crons?: string[] };
  route?: WranglerRoute;
  routes?: WranglerRoute[];
  workers_dev?: boolean;
  preview_urls?: boolean;
  observability?: Record<string, unknown>;
  logpush?: boolean;
  tail_consumers?: { service: string; environment?: string }[];
  placement?: Record<string, unknown>;
  limits?: { cpu_ms?: number; subrequests?: number };
  minify?: boolean;
  upload_source_maps?: boolean;
  keep_names?: boolean;
  define?: Record<string, string>;
  alias?: Record<string, string>;
  assets?: { directory?: string; binding?: string; html_handling?: string; not_found_handling?: string; run_worker_first?: boolean | string[] };
  ai?: { binding: string; staging?: boolean };
  browser?: { binding: string };
  version_metadata?: { binding: string };
  analytics_engine_datasets?: { binding: string; dataset?: string }[];
  vectorize?: { binding: string; index_name: string }[];
  hyperdrive?: { binding: string; id: string; localConnectionString?: string }[];
  send_email?: { name: string; destination_address?: string; allowed_destination_addresses?: string[]; allowed_sender_addresses?: string[] }[];
  ratelimits?: { name: string; namespace_id: string; simple: { limit: number; period: number } }[];
  mtls_certificates?: { binding: string; certificate_id: string }[];
  dispatch_namespaces?: { binding: string; namespace: string }[];
  ai_search_namespaces?: { binding: string; namespace: string }[];
  artifacts?: { binding: string; namespace: string }[];
  [key: string]: unknown;
}

export type WranglerRoute = string | { pattern: string; zone_id?: string; zone_name?: string; custom_domain?: boolean };

/** One environment of one config: "" is the top level. */
export interface ReadEnv {
  env: string;
  /** wrangler's resolved config, or why wrangler refused it. */
  config?: WranglerEnv;
  error?: string;
  /** The keys written for this environment (the top level's, plus the env block's). */
  written: Set<string>;
}

export interface ReadConfig {
  /** Absolute path of the config file. */
  file: string;
  /** The top level's keys as written (raw). */
  raw: Record<string, unknown> & { env?: Record<string, Record<string, unknown>> };
  envs: ReadEnv[];
}

interface WranglerApi {
  experimental_readRawConfig(args: { config: string }): { rawConfig: Record<string, unknown> & { env?: Record<string, Record<string, unknown>> } };
  unstable_readConfig(args: { config: string; env?: string }, options?: { hideWarnings?: boolean }): WranglerEnv;
}

let api: WranglerApi | undefined;
/** The installed wrangler (a runtime dependency of this package), loaded on first use. */
function wrangler(): WranglerApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (api ??= require("wrangler") as WranglerApi);
}

/** wrangler writes its warnings through its own logger; the importer reports what matters itself. */
function quietly<T>(fn: () => T): T {
  const level = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "none";
  try {
    return fn();
  } finally {
    if (level === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = level;
  }
}

/** Reads every environment of a config (`""`, the top level, first; then each `env.*` in file order). */
export function readWranglerConfig(file: string): ReadConfig {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw Object.assign(new Error(`${file}: no such file`), { exitCode: 2 });
  const raw = quietly(() => wrangler().experimental_readRawConfig({ config: abs }).rawConfig);
  const envNames = Object.keys(raw.env ?? {});
  const top = Object.keys(raw).filter((k) => k !== "env");
  const envs: ReadEnv[] = ["", ...envNames].map((env) => {
    const written = new Set([...top, ...Object.keys(env ? raw.env![env] ?? {} : {})]);
    try {
      const config = quietly(() => wrangler().unstable_readConfig({ config: abs, ...(env ? { env } : {}) }, { hideWarnings: true }));
      return { env, config, written };
    } catch (e) {
      return { env, error: (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim(), written };
    }
  });
  return { file: abs, raw, envs };
}

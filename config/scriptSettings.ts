/**
 * A worker's script settings and exposure, in one place: the declared keys (`workersDev`,
 * `previewUrls`, `observability`, `logpush`, `tailConsumers`, `placement`, `limits`, `build`,
 * `uploadSourceMaps`), their checks against Cloudflare's documented bounds, and their planned form
 * (what `Worker` sends as `WorkersScript` / `WorkersScriptSubdomain` inputs and what the bundler
 * gets). Everything here is pure.
 */
import { z } from "zod";
import type { ConfigIssue } from "./errors";
import { logicalKey } from "./fields";
import { LIMITS, planLimit, type WorkersPlan } from "./limits";

const samplingRate = z
  .number()
  .min(LIMITS.headSamplingRate.min, { error: "must be a sampling rate from 0 to 1 (1 = every request, 0.1 = one in ten)" })
  .max(LIMITS.headSamplingRate.max, { error: "must be a sampling rate from 0 to 1 (1 = every request, 0.1 = one in ten)" });

/** Where Workers Logs / traces are exported (names of destinations configured in the dashboard). */
const destinations = z.array(z.string().min(1)).optional();

export const observabilitySchema = z.strictObject({
  /** Workers Logs (and traces where `traces` says so) for this worker. @default false (Cloudflare's) */
  enabled: z.boolean().optional(),
  /** Share of requests observed, 0..1. @default 1 (Cloudflare's) */
  headSamplingRate: samplingRate.optional(),
  /** Log settings. @default Cloudflare's: logs follow `enabled`, invocation logs on, persisted */
  logs: z
    .strictObject({
      /** @default `observability.enabled` */
      enabled: z.boolean().optional(),
      /** One log line per invocation (request, status, duration). @default true (Cloudflare's) */
      invocationLogs: z.boolean().optional(),
      /** @default 1 (Cloudflare's) */
      headSamplingRate: samplingRate.optional(),
      /** Keep logs in Cloudflare's observability store (queryable in the dashboard). @default true (Cloudflare's) */
      persist: z.boolean().optional(),
      /** Export destinations, by name. @default none */
      destinations,
    })
    .optional(),
  /** Trace settings. @default Cloudflare's (off) */
  traces: z
    .strictObject({
      /** @default false (Cloudflare's) */
      enabled: z.boolean().optional(),
      /** @default 1 (Cloudflare's) */
      headSamplingRate: samplingRate.optional(),
      /** @default true (Cloudflare's) */
      persist: z.boolean().optional(),
      /** Export destinations, by name. @default none */
      destinations,
    })
    .optional(),
});

/** A tail consumer: a worker of this system (its stack's script name is derived) or a script outside it. */
export const tailConsumerSchema = z.union([
  z.strictObject({ /** A worker of this system, by key. */ worker: logicalKey }),
  z.strictObject({ /** A script outside the system, by its name on Cloudflare. */ script: z.string().min(1).max(LIMITS.scriptName) }),
], { error: "give { worker: <key of a worker of this system> } or { script: <script name outside it> }" });

const nonEmpty = (what: string) => z.string().min(1, { error: `must be a non-empty ${what}` });
export const placementSchema = z.union(
  [
    z.strictObject({ /** Smart Placement: Cloudflare runs the worker near what it calls. */ mode: z.literal("smart") }),
    z.strictObject({ /** Targeted placement near a cloud region, `<provider>:<region>`. */ region: nonEmpty("cloud region").regex(LIMITS.placement.region, { error: "must be <provider>:<region>, e.g. aws:us-east-1 or gcp:europe-west1" }) }),
    z.strictObject({ /** Targeted placement near an HTTP hostname the worker calls. */ hostname: nonEmpty("hostname") }),
    z.strictObject({ /** Targeted placement near a TCP `host:port` the worker connects to. */ host: nonEmpty("host:port").regex(LIMITS.placement.host, { error: "must be host:port, e.g. db.example.com:5432" }) }),
  ],
  { error: `must be one of ${LIMITS.placement.modes.join(", ")}` },
);

export const limitsSchema = z.strictObject({
  /** Most CPU milliseconds one invocation may use (Cloudflare's bound per plan is checked). @default Cloudflare's (30 s on Paid) */
  cpuMs: z.number().int().min(1).optional(),
  /** Most subrequests one invocation may make (bound per plan is checked). @default Cloudflare's plan limit */
  subrequests: z.number().int().min(1).optional(),
});

export const buildSchema = z.strictObject({
  /** Minify the bundle (esbuild `minify`; wrangler's `minify`). @default false */
  minify: z.boolean().optional(),
  /**
   * Keep function and class names through minification (esbuild `keepNames`; wrangler's `keep_names`).
   * @default true when `minify` is on (as wrangler, where it matters); otherwise esbuild's (off: names survive unless two collide)
   */
  keepNames: z.boolean().optional(),
  /** Identifiers replaced at build time by a JavaScript expression (esbuild `define`; wrangler's `define`), e.g. `{ ROOT: "'example.com'" }`. @default {} */
  define: z.record(z.string().min(1), z.string()).optional(),
  /** Module names resolved to another package or a project path (esbuild `alias`; wrangler's `alias`), e.g. `{ "node-fetch": "./src/fetch-shim.ts" }`. @default {} */
  alias: z.record(z.string().min(1), z.string().min(1)).optional(),
});

/** The worker keys of this concern, spread into `workerSchema` (config/schema.ts). */
export const scriptSettingsShape = {
  /**
   * Serve the worker on `<script>.<account subdomain>.workers.dev`.
   * @default as wrangler 4.156: true when the worker has no hostname, custom domain or route, else false
   */
  workersDev: z.boolean().optional(),
  /**
   * Preview URLs of each uploaded version on workers.dev.
   * @default not sent (as wrangler 4.156): Cloudflare keeps the script's setting, which for a new script follows workers.dev
   */
  previewUrls: z.boolean().optional(),
  /** Workers Logs, traces and their sampling. @default not sent (Cloudflare's: off) */
  observability: observabilitySchema.optional(),
  /** Send this worker's trace events to Workers Logpush (the Logpush job is configured separately). @default not sent (off) */
  logpush: z.boolean().optional(),
  /** Workers that receive this worker's tail events: `[{ worker: tail }]` or `[{ script: outside-tail }]`. @default [] */
  tailConsumers: z.array(tailConsumerSchema).optional(),
  /** Where the worker runs: `{ mode: smart }`, `{ region: aws:us-east-1 }`, `{ hostname: api.example.com }` or `{ host: db.example.com:5432 }`. @default Cloudflare's (near the request) */
  placement: placementSchema.optional(),
  /** Per-invocation limits: `{ cpuMs: 30000, subrequests: 1000 }`. @default the plan's */
  limits: limitsSchema.optional(),
  /** Bundler options of this worker's entry (esbuild's, as wrangler's `minify`, `keep_names`, `define`, `alias`). @default none (not minified) */
  build: buildSchema.optional(),
  /**
   * Upload a source map with the bundle, so stack traces in logs point at the sources (wrangler's
   * `upload_source_maps`). The map is sent as a `WorkersScript.files` part of type
   * `application/source-map`. @default false
   */
  uploadSourceMaps: z.boolean().optional(),
};

export type ObservabilityConfig = z.infer<typeof observabilitySchema>;
export type TailConsumerConfig = z.infer<typeof tailConsumerSchema>;
export type PlacementConfig = z.infer<typeof placementSchema>;
export type BuildConfig = z.infer<typeof buildSchema>;

/** A worker's declared settings (the keys above). */
export interface DeclaredScriptSettings {
  workersDev?: boolean;
  previewUrls?: boolean;
  observability?: ObservabilityConfig;
  logpush?: boolean;
  tailConsumers?: TailConsumerConfig[];
  placement?: PlacementConfig;
  limits?: { cpuMs?: number; subrequests?: number };
  build?: BuildConfig;
  uploadSourceMaps?: boolean;
}

/** What the bundler is given for one worker: esbuild options, in a stable shape (part of the bundle's identity). */
export interface BundleOptions {
  minify: boolean;
  keepNames: boolean;
  define: Record<string, string>;
  alias: Record<string, string>;
  sourceMap: boolean;
}

export const DEFAULT_BUNDLE_OPTIONS: BundleOptions = { minify: false, keepNames: false, define: {}, alias: {}, sourceMap: false };

/** The bundler options of a worker's declaration (wrangler's defaults where it says nothing). */
export function bundleOptions(w: DeclaredScriptSettings): BundleOptions {
  return {
    minify: w.build?.minify ?? false,
    // wrangler's keep_names defaults to true; it matters when minifying. Without minify the default
    // stays esbuild's, so a worker that declares no build options keeps exactly its bundle bytes.
    keepNames: w.build?.keepNames ?? w.build?.minify === true,
    // A define esbuild cannot read is reported by checkScriptSettings (at its own path), not as a bundle error.
    define: sortedRecord(Object.fromEntries(Object.entries(w.build?.define ?? {}).filter(([k, v]) => ENTITY.test(k) && isDefineValue(v)))),
    // An alias leaving the project is refused (config/rules.ts) and never read by the bundler.
    alias: sortedRecord(Object.fromEntries(Object.entries(w.build?.alias ?? {}).filter(([, target]) => !leavesProject(target)))),
    sourceMap: w.uploadSourceMaps ?? false,
  };
}

/** The provider's observability input (its required fields filled with Cloudflare's defaults). */
export interface PlannedObservability {
  enabled: boolean;
  headSamplingRate?: number;
  logs?: { enabled: boolean; invocationLogs: boolean; headSamplingRate?: number; persist?: boolean; destinations?: string[] };
  traces?: { enabled?: boolean; headSamplingRate?: number; persist?: boolean; destinations?: string[] };
}

/** A planned tail consumer: the script that receives the events, and the worker of the system it is, if any. */
export interface PlannedTailConsumer {
  script: string;
  worker?: string;
}

/** The planned placement, in the provider's shape. */
export type PlannedPlacement = { mode: "smart" } | { mode: "targeted"; region: string } | { mode: "targeted"; hostname: string } | { mode: "targeted"; host: string };

/** A worker's planned script settings and exposure. */
export interface PlannedScriptSettings {
  /** workers.dev on or off: declared, or wrangler's rule (on when nothing routes to the worker). */
  workersDev: boolean;
  /** Preview URLs, only when declared (wrangler 4.156 sends nothing otherwise). */
  previewUrls?: boolean;
  observability?: PlannedObservability;
  logpush?: boolean;
  tailConsumers: PlannedTailConsumer[];
  placement?: PlannedPlacement;
  limits?: { cpuMs?: number; subrequests?: number };
  bundle: BundleOptions;
  /**
   * True when the worker has no public URL: no hostname, custom domain or route, and workers.dev
   * off. Only service bindings (and its queues, crons, tail events) run it — allowed.
   */
  bindingsOnly: boolean;
}

/**
 * Plans a worker's settings. `routed` says whether anything routes to it (hostnames, custom
 * domains, zone routes); `scriptOf` gives the script name of a worker of the system.
 */
export function planScriptSettings(w: DeclaredScriptSettings, routed: boolean, scriptOf: (worker: string) => string): PlannedScriptSettings {
  // wrangler 4.156, getSubdomainValues(): workers_dev ?? (routes.length === 0), where routes are
  // the zone routes and custom domains; preview_urls ?? undefined (not sent: the API keeps the
  // script's current setting; a new script's follows workers_dev).
  const workersDev = w.workersDev ?? !routed;
  return {
    workersDev,
    ...(w.previewUrls !== undefined ? { previewUrls: w.previewUrls } : {}),
    ...(w.observability ? { observability: planObservability(w.observability) } : {}),
    ...(w.logpush !== undefined ? { logpush: w.logpush } : {}),
    tailConsumers: (w.tailConsumers ?? []).map((t) => ("worker" in t ? { script: scriptOf(t.worker), worker: t.worker } : { script: t.script })),
    ...(w.placement ? { placement: planPlacement(w.placement) } : {}),
    ...(w.limits && (w.limits.cpuMs !== undefined || w.limits.subrequests !== undefined) ? { limits: { ...w.limits } } : {}),
    bundle: bundleOptions(w),
    bindingsOnly: !routed && !workersDev,
  };
}

function planObservability(o: ObservabilityConfig): PlannedObservability {
  const enabled = o.enabled ?? false;
  const defined = <T extends object>(v: T) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as T;
  return defined({
    enabled,
    headSamplingRate: o.headSamplingRate,
    // The provider requires logs.enabled and logs.invocationLogs: Cloudflare's defaults fill them,
    // as wrangler 4.156 models what Cloudflare stores (normalizeObservability: enabled false when
    // absent, logs.enabled = enabled, invocation_logs true, persist true, traces off).
    logs: o.logs ? defined({ ...o.logs, enabled: o.logs.enabled ?? enabled, invocationLogs: o.logs.invocationLogs ?? true }) : undefined,
    traces: o.traces ? defined({ ...o.traces }) : undefined,
  });
}

function planPlacement(p: PlacementConfig): PlannedPlacement {
  if ("mode" in p) return { mode: "smart" };
  if ("region" in p) return { mode: "targeted", region: p.region };
  if ("hostname" in p) return { mode: "targeted", hostname: p.hostname };
  return { mode: "targeted", host: p.host };
}

/** The workers a worker's tail consumers name (deploy-order edges: a tail consumer exists first). */
export function tailConsumerWorkers(w: DeclaredScriptSettings): string[] {
  return (w.tailConsumers ?? []).flatMap((t) => ("worker" in t ? [t.worker] : []));
}

/** Checks a worker's settings against the system and Cloudflare's bounds (config/limits.ts). */
export function checkScriptSettings(
  at: string,
  key: string,
  w: DeclaredScriptSettings,
  ctx: { plan: WorkersPlan; workers: Record<string, unknown>; invalid: Set<string> },
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  (w.tailConsumers ?? []).forEach((t, i) => {
    const path = `${at}.tailConsumers.${i}`;
    const id = "worker" in t ? `worker:${t.worker}` : `script:${t.script}`;
    if (seen.has(id)) issues.push({ path, message: `${"worker" in t ? `worker "${t.worker}"` : `script "${t.script}"`} is listed twice`, hint: "list each tail consumer once" });
    seen.add(id);
    if (!("worker" in t)) return;
    if (t.worker === key) issues.push({ path, message: "a worker cannot be its own tail consumer", hint: "name another worker of the system, or a script outside it with { script: <name> }" });
    else if (!Object.hasOwn(ctx.workers, t.worker) && !ctx.invalid.has(`workers.${t.worker}`))
      issues.push({
        path,
        message: `worker "${t.worker}" is not declared`,
        hint: `declared workers: ${Object.keys(ctx.workers).join(", ")}; for a script outside the system write { script: <its name> }`,
      });
  });
  for (const [name, value] of Object.entries(w.build?.define ?? {})) {
    const path = `${at}.build.define.${name}`;
    if (!ENTITY.test(name)) issues.push({ path, message: `"${name}" cannot be defined: esbuild replaces identifiers such as DEBUG or process.env.MODE`, hint: "use an identifier (or a dotted chain of them) as the key" });
    else if (!isDefineValue(value))
      issues.push({
        path,
        message: `${JSON.stringify(value)} is not a value esbuild can put in place of ${name}`,
        hint: `give a JavaScript literal as text: '"blue"' or "'blue'" for a string, 42, true, {"a":1}; or an identifier such as process.env.MODE`,
      });
  }
  const limits = w.limits;
  if (limits?.cpuMs !== undefined) {
    const cpu = planLimit(LIMITS.cpuMs, ctx.plan, (n) => `${n.toLocaleString("en-US")} ms`);
    if (limits.cpuMs > cpu.max)
      issues.push({
        path: `${at}.limits.cpuMs`,
        message: `${limits.cpuMs.toLocaleString("en-US")} ms of CPU per invocation; Cloudflare allows at most ${cpu.says}`,
        hint: ctx.plan === "free" ? "CPU limits above 10 ms need the Workers Paid plan (set plan: paid in the system if the account has it)" : "lower it to 300000 (5 minutes) or less",
      });
  }
  if (limits?.subrequests !== undefined) {
    const sub = planLimit(LIMITS.subrequests, ctx.plan, (n) => n.toLocaleString("en-US"));
    if (limits.subrequests > sub.max)
      issues.push({ path: `${at}.limits.subrequests`, message: `${limits.subrequests.toLocaleString("en-US")} subrequests per invocation; Cloudflare allows at most ${sub.says}`, hint: "lower it" });
  }
  return issues;
}

/** True for an alias target outside the project (absolute, or climbing out with `..`). */
function leavesProject(target: string): boolean {
  return target.startsWith("/") || /^[A-Za-z]:/.test(target) || target.split(/[\\/]/).includes("..");
}

/** True when the worker's build options cannot be bundled as declared (reported by the rules instead). */
export function unbundlable(w: DeclaredScriptSettings): boolean {
  return Object.values(w.build?.alias ?? {}).some(leavesProject) || Object.entries(w.build?.define ?? {}).some(([k, v]) => !ENTITY.test(k) || !isDefineValue(v));
}

/** An identifier chain esbuild accepts as a define key or value: `DEBUG`, `process.env.NODE_ENV`. */
const ENTITY = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** What esbuild accepts as a define value: a JSON literal, a single-quoted string or an identifier chain. */
export function isDefineValue(v: string): boolean {
  if (ENTITY.test(v) || /^'([^'\\\n]|\\.)*'$/.test(v)) return true;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}

function sortedRecord(r: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(r ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

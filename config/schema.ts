/**
 * The shape of a workers-stack declaration, as zod schemas.
 *
 * Two config keys feed the program:
 * - `workers-stack:system` (project level, in `Pulumi.yaml`): the system every stack shares —
 *   databases, namespaces, secrets, workers with their vars and bindings.
 * - `workers-stack:stack` (in `Pulumi.<stack>.yaml`): only what differs for that stack —
 *   name/hostname suffix, protection, adopted ids, and `overrides` deep-merged into `system`.
 *
 * Plus plain keys set per stack with `pulumi config set`: `accountId`, `zoneId`, and one secret
 * key per `{ from: config }` secret (`pulumi config set --secret OPENAI_API_KEY ...`).
 *
 * Every object is strict: an unknown key is an error, never silently ignored.
 */
import { z } from "zod";

export { LOGICAL_KEY, BINDING_NAME, HOST_LABEL, CLASS_NAME, CRON, DOMAIN, COMPAT_DATE } from "./fields";
import { logicalKey, bindingName, compatDate, className, CRON, DOMAIN } from "./fields";
import { hostEntry, routeEntry, zoneName } from "./routingFields";
import { BINDING_NAME } from "./fields";
import { bindingTargetsSchema } from "./bindingKinds";
import { assetsSchema } from "./assets";
import { scriptSettingsShape } from "./scriptSettings";
import { nameTemplateProblem, STACK_NAME } from "./names";

/**
 * True for a URL the bot token may be sent to: https, or plain http to a loopback address only
 * (a local fake in tests). The token travels in the URL path.
 */
export function isSafeApiBase(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

/**
 * A physical name as a template: `{app}`, `{key}`, `{stack}` and `{suffix}` are replaced on each
 * stack; text without placeholders is taken literally. Checked against Cloudflare's rule for its
 * kind once expanded (config/limits.ts NAME_RULES).
 */
export const nameTemplate = z
  .string()
  .min(1)
  .max(512)
  .superRefine((t, ctx) => {
    const problem = nameTemplateProblem(t);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** A var: a string becomes a `plain_text` binding, anything else a `json` binding (as wrangler's [vars]). */
const varValue = z.json();

export const secretSchema = z
  .strictObject({
    /** The value comes from `pulumi config set --secret <NAME> <value>` on each stack. */
    from: z.literal("config", { error: "the only source is 'config' (or use generate)" }).optional(),
    /** The value is generated once per stack with @pulumi/random and shared by every worker that lists it. */
    generate: z
      .strictObject({
        /** @default 32 */
        length: z.number().int().min(16).max(256).default(32),
        /** Bump to rotate: a new value is generated and every worker that lists the secret is updated. @default 0 */
        rotation: z.number().int().min(0).default(0),
      })
      .optional(),
  })
  .refine((s) => (s.from === undefined) !== (s.generate === undefined), {
    error: "a secret needs exactly one source: `{ from: config }` or `{ generate: { length: 32 } }`",
  });

/**
 * A binding: exactly one target (`{ d1: main }`, `{ service: auth, entrypoint: Admin }`, ...). Its
 * keys come from the binding-kind registry (config/bindingKinds.ts).
 */
export const bindingSchema = bindingTargetsSchema();

/** One step of a worker's Durable Object migration history (wrangler's `[[migrations]]` entry). */
export const migrationStepSchema = z.strictObject({
  /** Unique tag of the step; Cloudflare stores the last applied one on the script. */
  tag: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "must be a tag of letters, digits, '.', '_' or '-', e.g. v1" }),
  /** New classes with SQLite storage (what Cloudflare recommends for new classes). */
  newSqliteClasses: z.array(className).optional(),
  /** New classes with key-value storage. */
  newClasses: z.array(className).optional(),
  /** Renamed classes: their objects and data move to the new name. */
  renamedClasses: z.array(z.strictObject({ from: className, to: className })).optional(),
  /** Deleted classes: every object of the class and its data are deleted. */
  deletedClasses: z.array(className).optional(),
  /**
   * Classes moved here from another script, with their data: `fromWorker` names a worker of this
   * system (its stack's script name is derived), `fromScript` a script outside it.
   */
  transferredClasses: z
    .array(
      z
        .strictObject({ from: className, fromWorker: logicalKey.optional(), fromScript: z.string().min(1).max(63).optional(), to: className })
        .refine((t) => (t.fromWorker === undefined) !== (t.fromScript === undefined), { error: "give exactly one of fromWorker (a worker of this system) or fromScript" }),
    )
    .optional(),
});

export const workerSchema = z.strictObject({
  /**
   * The script's physical name, as a template. @default "{app}-{key}{suffix}"
   * @example "{app}-api{suffix}", "ens", "tldraw-multiplayer" (per stack through overrides)
   */
  name: nameTemplate.optional(),
  /**
   * The stacks this worker exists on; on any other stack it is not deployed, and anything that
   * binds it is an error. @default every stack
   * @example [dev, staging]
   */
  stacks: z.array(z.string().regex(STACK_NAME, { error: "must be a stack name, e.g. staging" })).min(1, { error: "list at least one stack (or remove the worker)" }).optional(),
  /**
   * Entry module, relative to the project root (TypeScript or JavaScript, bundled with esbuild).
   * @default none: only for a worker with `assets` (an assets-only worker, no code)
   */
  entry: z.string().min(1).optional(),
  /**
   * Static assets served by this worker (wrangler's `assets`): the files of `directory`, with
   * Cloudflare's HTML, not-found and `runWorkerFirst` handling, and an optional binding.
   * @default no assets
   * @example { directory: public, binding: ASSETS, notFoundHandling: single-page-application, runWorkerFirst: [/api/*] }
   */
  assets: assetsSchema.optional(),
  /** @default the system's compatibilityDate */
  compatibilityDate: compatDate.optional(),
  /** Added to the system's compatibilityFlags. @default [] */
  compatibilityFlags: z.array(z.string().min(1)).optional(),
  /** Plain vars (strings) and JSON vars (objects, arrays, numbers, booleans). @default {} */
  vars: z.record(bindingName, varValue).optional(),
  /** Names of system secrets this worker receives as `secret_text`. @default [] */
  secrets: z.array(bindingName).optional(),
  /** Bindings by logical key: `{ DB: { d1: main }, RATE_LIMIT_KV: { kv: rate-limit } }`. @default {} */
  bindings: z.record(bindingName, bindingSchema).optional(),
  /**
   * Hostnames, each a proxied CNAME and a route `<host>/*`: a label under the system's `zone`
   * (`api` → `api<hostnameSuffix>.<zone>`, `@` the apex), or a fully qualified hostname under one
   * of the system's zones, taken literally (`api.staging.example.com`). @default []
   */
  hostnames: z.array(hostEntry).optional(),
  /** Hostnames (labels or fully qualified, as `hostnames`) served as Workers Custom Domains instead (Cloudflare creates the DNS record and certificate). @default [] */
  customDomains: z.array(hostEntry).optional(),
  /**
   * Zone routes, created as a `WorkersRoute` only, with no DNS record (the record exists already,
   * or the route is a path on a host another worker serves): `shop.example.com/api/*`,
   * `*.example.com/*`, or `{ pattern, zone }`. Taken literally on every stack (vary them with
   * `overrides`). The zone is the system zone the pattern's host ends with (the longest), or
   * `zone` when given. Patterns follow Cloudflare's rules: an optional `http://` / `https://`,
   * `*` only at the start of the host and at the end of the path, no query string. @default []
   */
  routes: z.array(routeEntry).optional(),
  /**
   * Durable Object classes this worker exports and hosts now: `{ UserGraphDO: { sqlite: true } }`.
   * How they came to be is `durableObjectMigrations`. @default {}
   */
  durableObjects: z.record(className, z.strictObject({ /** SQLite-backed storage. @default true */ sqlite: z.boolean().default(true) })).optional(),
  /**
   * The Durable Object migration history of this worker, oldest first, in wrangler's
   * `[[migrations]]` terms. Required as soon as the worker hosts classes: replaying it must give
   * exactly `durableObjects` (a class added, renamed or removed there needs a step here). Each
   * `up` reads the script's current tag on Cloudflare and sends only the steps after it.
   * @default [] (no Durable Objects)
   * @example [{ tag: v1, newSqliteClasses: [UserGraphDO] }, { tag: v2, renamedClasses: [{ from: UserGraphDO, to: GraphDO }] }]
   */
  durableObjectMigrations: z.array(migrationStepSchema).optional(),
  /** Workflows this worker hosts, by logical key: `{ onboarding: { className: OnboardingWorkflow } }`. @default {} */
  workflows: z
    .record(
      logicalKey,
      z.strictObject({
        className,
        /** The workflow's physical name, as a template. @default "{app}-{key}{suffix}" (key = the workflow's key) */
        name: nameTemplate.optional(),
      }),
    )
    .optional(),
  /** Queues this worker consumes, with batch and retry settings. @default [] */
  consumers: z
    .array(
      z.strictObject({
        /** The queue, by logical key. */
        queue: logicalKey,
        /** Messages per batch. @default 10 (Cloudflare's) */
        batchSize: z.number().int().min(1).max(100).optional(),
        /** How long to wait for a batch to fill, in milliseconds. @default 5000 (Cloudflare's) */
        maxWaitTimeMs: z.number().int().min(0).max(60_000).optional(),
        /** Deliveries before a message goes to the dead-letter queue. @default 3 (Cloudflare's) */
        maxRetries: z.number().int().min(0).max(100).optional(),
        /** Seconds before a retried message is delivered again. @default 0 */
        retryDelay: z.number().int().min(0).max(43_200).optional(),
        /** Concurrent consumer invocations. @default automatic */
        maxConcurrency: z.number().int().min(1).max(250).optional(),
      }),
    )
    .optional(),
  /**
   * A Telegram bot served by this worker: `pulumi up` sets its webhook to
   * `https://<first hostname><path>` with `secret_token` = the worker's webhook secret, on every
   * change, and deletes it when the worker goes. @default no bot
   */
  telegram: z
    .strictObject({
      /** Name of the worker secret holding the bot token. @default TELEGRAM_BOT_TOKEN */
      botToken: bindingName.default("TELEGRAM_BOT_TOKEN"),
      /** Name of the worker secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token. @default TELEGRAM_WEBHOOK_SECRET */
      webhookSecret: bindingName.default("TELEGRAM_WEBHOOK_SECRET"),
      /** Path of the webhook on the worker's first hostname. @default /telegram/webhook */
      path: z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, { error: "must be a URL path starting with /" }).default("/telegram/webhook"),
      /** Update types to receive, e.g. [message, callback_query]. @default Telegram's default */
      allowedUpdates: z.array(z.string().min(1)).optional(),
      /** Drop updates that queued up while no webhook was set. @default false */
      dropPendingUpdates: z.boolean().default(false),
      /** Telegram Bot API base URL (tests point it at a local fake). @default https://api.telegram.org */
      apiBase: z
        .url({ error: "must be a URL such as https://api.telegram.org" })
        .refine(isSafeApiBase, {
          error: "must be an https:// URL (the bot token travels in its path); plain http only for a loopback address such as http://127.0.0.1:8081 (tests)",
        })
        .default("https://api.telegram.org"),
    })
    .optional(),
  /** Cron schedules (five fields, UTC), e.g. `["0 * * * *"]`. @default [] */
  crons: z.array(z.string().regex(CRON, { error: "must be a cron expression of five fields, e.g. */15 * * * *" })).optional(),
  // Exposure (workersDev, previewUrls) and script settings (observability, logpush, tailConsumers,
  // placement, limits, build, uploadSourceMaps): documented where they are declared.
  ...scriptSettingsShape,
});

export const databaseSchema = z.strictObject({
  /** The D1 database's physical name, as a template. @default "{app}-{key}{suffix}" */
  name: nameTemplate.optional(),
  /**
   * D1 read replication. Sent only when declared: left out, the database keeps whatever mode it
   * has on Cloudflare (a dashboard setting survives `up`). @default not managed
   */
  readReplication: z.enum(["auto", "disabled"], { error: "must be auto or disabled" }).optional(),
  /** Folder of wrangler-style migrations (`0001_init.sql`, ...), relative to the project root. */
  migrations: z.string().min(1).optional(),
});

export const kvNamespaceSchema = z.strictObject({
  /** The namespace's title, as a template. @default "{app}-{key}{suffix}" */
  name: nameTemplate.optional(),
});

export const queueSchema = z.strictObject({
  /** The queue's physical name, as a template. @default "{app}-{key}{suffix}" @example "{app}{suffix}-dlq" */
  name: nameTemplate.optional(),
  /** Where messages go after their last retry, by logical key of another queue. @default none */
  deadLetterQueue: logicalKey.optional(),
});

export const r2BucketSchema = z.strictObject({
  /** The bucket's physical name, as a template (an adopted bucket is found by it). @default "{app}-{key}{suffix}" @example "rooms{suffix}" */
  name: nameTemplate.optional(),
  /** Location hint: wnam, enam, weur, eeur, apac, oc. @default automatic */
  location: z.enum(["wnam", "enam", "weur", "eeur", "apac", "oc"]).optional(),
  /** Data jurisdiction. @default none */
  jurisdiction: z.enum(["eu", "fedramp"]).optional(),
});

/**
 * A Hyperdrive configuration (`cloudflare.HyperdriveConfig`): a connection pool in front of a
 * Postgres or MySQL database. Its origin comes from a secret connection string, so the password
 * is only ever in Pulumi secrets; a stack may adopt an existing one by id instead
 * (`imports.hyperdrives`).
 */
export const hyperdriveSchema = z.strictObject({
  /**
   * Its physical name, a template with `{app}`, `{key}`, `{stack}` and `{suffix}`.
   * @default "{app}-{key}{suffix}"
   */
  name: nameTemplate.optional(),
  /**
   * The system secret (`{ from: config }`) holding the origin's connection string,
   * `postgres://user:password@host:5432/database` (or `mysql://`). Required on every stack that
   * does not adopt the hyperdrive. @default none
   */
  connectionString: z
    .string()
    .regex(BINDING_NAME, { error: "must be the NAME of a system secret { from: config } holding the connection string (e.g. DATABASE_URL), never the connection string itself" })
    .optional(),
});

export const systemSchema = z.strictObject({
  /** Short application name: the first part of every physical name (`<app>-<key><suffix>`). */
  app: logicalKey,
  /**
   * The account's Workers plan: which of Cloudflare's per-plan limits (bundle size, vars per
   * worker, cron triggers) validation applies. Messages name both plans' values.
   * @default paid
   */
  plan: z.enum(["free", "paid"], { error: "must be free or paid (the account's Workers plan)" }).optional(),
  /**
   * The main Cloudflare zone, e.g. `example.com`: hostname labels (`api`) live in it, and its id
   * is the stack's `zoneId` config key. Needed only when something is served on it.
   * @default none
   */
  zone: zoneName.optional(),
  /**
   * Further zones of the system, e.g. `[example.io]`: fully qualified hostnames and routes under
   * them are served there, with each zone's id given per stack in the stack setting `zoneIds`.
   * @default []
   */
  zones: z.array(zoneName).optional(),
  /** Target of the proxied CNAMEs (never contacted while proxied). @default the zone itself */
  dnsTarget: z.string().regex(DOMAIN, { error: "must be a domain name" }).optional(),
  /** Default compatibility date of every worker. */
  compatibilityDate: compatDate,
  /** Compatibility flags of every worker. @default [] */
  compatibilityFlags: z.array(z.string().min(1)).optional(),
  /**
   * Name of the var every worker gets with the stack's `environment`, or `false` for none.
   * @default "ENVIRONMENT"
   */
  environmentVar: z.union([bindingName, z.literal(false)]).optional(),
  /**
   * Name of the var every worker gets with the stack's `version`, or `false` for none.
   * @default "VERSION"
   */
  versionVar: z.union([bindingName, z.literal(false)]).optional(),
  databases: z.record(logicalKey, databaseSchema).optional(),
  kvNamespaces: z.record(logicalKey, kvNamespaceSchema).optional(),
  queues: z.record(logicalKey, queueSchema).optional(),
  r2Buckets: z.record(logicalKey, r2BucketSchema).optional(),
  secrets: z.record(bindingName, secretSchema).optional(),
  /** Hyperdrive configurations, by logical key: `{ main-db: { connectionString: DATABASE_URL } }`. @default {} */
  hyperdrives: z.record(logicalKey, hyperdriveSchema).optional(),
  workers: z.record(logicalKey, workerSchema).refine((w) => Object.keys(w).length > 0, {
    error: "declare at least one worker",
  }),
});

export const stackSchema = z.strictObject({
  /** Appended to physical names and hostname labels. @default `-<stack>` ("" makes bare production names) */
  suffix: z
    .string()
    .regex(/^(-[a-z0-9]+)*$/, { error: "must be empty or '-' followed by lowercase letters/digits, e.g. -staging" })
    .optional(),
  /** Appended to hostname labels (`api` → `api<hostnameSuffix>.<zone>`). @default `suffix` */
  hostnameSuffix: z
    .string()
    .regex(/^(-[a-z0-9]+)*$/, { error: "must be empty or '-' followed by lowercase letters/digits, e.g. -staging" })
    .optional(),
  /** `protect` stateful resources (D1, KV, queues, R2) against deletion. @default true on `production`, else false */
  protect: z.boolean().optional(),
  /** The value of the environment var (`environmentVar`) on this stack. @default the stack name */
  environment: z.string().min(1).max(64).optional(),
  /** The `VERSION` every worker gets. @default the git commit (short sha), or "dev" outside git */
  version: z.string().min(1).max(64).optional(),
  /**
   * The id of each zone of the system this stack serves something on, other than the main zone
   * (whose id is the `zoneId` config key; it may be given here too): `{ "example.io": "<32 hex>" }`.
   * @default {}
   */
  zoneIds: z.record(z.string(), z.string()).optional(),
  /** Existing resources to adopt instead of creating new ones (see README "Adopting"). */
  imports: z
    .strictObject({
      /** database key → D1 database id (a UUID). */
      databases: z.record(logicalKey, z.string()).optional(),
      /** namespace key → KV namespace id (32 hex). */
      kvNamespaces: z.record(logicalKey, z.string()).optional(),
      /** queue key → queue id (32 hex). */
      queues: z.record(logicalKey, z.string()).optional(),
      /** bucket key → `true`: adopt the existing bucket of its name (`name`, or the derived one). */
      r2Buckets: z.record(logicalKey, z.literal(true)).optional(),
      /** hyperdrive key → the id of an existing Hyperdrive configuration (32 hex): bound by id, not managed. */
      hyperdrives: z.record(logicalKey, z.string()).optional(),
    })
    .optional(),
  /** Deep-merged into `system` for this stack only (objects merge, lists and values replace, null deletes). */
  overrides: z.record(z.string(), z.unknown()).optional(),
});

export type SystemConfig = z.infer<typeof systemSchema>;
export type StackConfig = z.infer<typeof stackSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
export type BindingConfig = z.infer<typeof bindingSchema>;
export type SecretConfig = z.infer<typeof secretSchema>;
export type HyperdriveConfig = z.infer<typeof hyperdriveSchema>;
export type MigrationStepConfig = z.infer<typeof migrationStepSchema>;

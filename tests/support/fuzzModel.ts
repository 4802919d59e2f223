/**
 * For tests/fuzz.test.ts: the world the validator sees (a fixed working tree), and the fast-check
 * models of declarations (generated, valid, mutated, cyclic) fed through the real validation.
 */
import fc from "fast-check";
import { ConfigSource, Facts } from "../../config/validate";
import { referenceSystem } from "../helpers";

// --- the world the validator sees --------------------------------------------------------------

/** A fixed working tree: two real-looking entries and one migrations folder of each kind. */
export const FACTS: Facts = {
  isFile: (rel) => ["workers/bot/index.ts", "workers/admin/index.ts", "workers/broken.ts", "workers/huge.ts"].includes(rel),
  // What esbuild would say: one entry that does not compile, one over every plan's size limit.
  bundle: (entry) =>
    entry === "workers/broken.ts"
      ? { errors: ["workers/broken.ts:2:34: Unexpected \"}\""] }
      : entry === "workers/huge.ts"
        ? { bytes: 30_000_000, gzipBytes: 11 * 1024 * 1024 }
        : { bytes: 20_000, gzipBytes: 6_000 },
  listDir: (rel) => {
    const dirs: Record<string, string[]> = { "migrations/main": ["0001_init.sql", "0002_index.sql"], "migrations/bad": ["init.sql"], "migrations/empty": [] };
    return Object.hasOwn(dirs, rel) ? dirs[rel] : undefined;
  },
  today: "2026-11-01",
};

export const HUGE = "a".repeat(5000);
/** Over Cloudflare's 5 KB per var or secret. */
export const OVER_5KB = "b".repeat(6000);
/** Keys that break code which treats a plain object as a map (`obj[key]`, `key in obj`). */
export const PROTO_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
/**
 * Whether the generators use PROTO_KEYS as names and references. Off while validation still
 * looks names up with `obj[key]` / `key in obj` (a worker listing secret `toString`, or binding
 * `{ d1: constructor }`, is accepted; see "names that Object.prototype also has" below): turn it on
 * with that fix, so the whole fuzzing covers them again.
 */
export const FUZZ_PROTOTYPE_KEYS = true;
export const ODD_KEYS = [...(FUZZ_PROTOTYPE_KEYS ? PROTO_KEYS : []), "", " ", "ключ", "键", "🙂", "a.b", HUGE, "Main", "-x"];
export const maybeProto = (...names: string[]) => (FUZZ_PROTOTYPE_KEYS ? names : []);

/** Logical keys: a small pool, so references sometimes hit and sometimes dangle. */
export const logicalKey = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("main", "bot", "admin", "api", "rate-limit", "jobs", "files", "dlq") },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
export const bindingName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("DB", "KV", "API", "QUEUE", "BUCKET", "MODE", "LIMITS", "ENVIRONMENT", "VERSION", "STRIPE_API_KEY") },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_KEYS) },
);
export const secretName = fc.constantFrom("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "ADMIN_TOKEN", "SIGNING_KEY", "bad name", ...maybeProto("toString", "constructor"));
export const className = fc.constantFrom("Counter", "Room", "OnboardingWorkflow", "bad class", ...maybeProto("constructor"));
export const label = fc.constantFrom("bot", "admin", "api", "www", "Bad_Label", "", HUGE.slice(0, 70), "ünï", "l".repeat(63), "m".repeat(55), "api.staging.example.com", "shop.example.io", "x.other.org", "example.io");
/** Route patterns, valid and not, in the system's zones and outside them. */
export const route = fc.oneof(
  fc.constantFrom("shop.example.com/api/*", "*.example.com/*", "*example.io/*", "https://example.com/path*", "example.com", "x.other.org/*", "example.com/*.jpg", "a.*.example.com/*", "example.com/?q=*", "ftp://example.com/*", "*/*", "", "Shop.example.com/*"),
  fc.record({ pattern: fc.constantFrom("shop.example.io/*", "shop.example.com/*"), zone: fc.constantFrom("example.io", "example.com", "example.net", "Bad Zone") }, { requiredKeys: ["pattern"] }),
);

/** An object built by defining properties, so `__proto__` becomes an own key as JSON.parse makes it. */
export function objectOf<T>(entries: [string, T][]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}
export const dict = <T>(key: fc.Arbitrary<string>, value: fc.Arbitrary<T>, maxLength = 4) =>
  fc.array(fc.tuple(key, value), { maxLength }).map(objectOf);

/** Any JSON, with odd keys and strings mixed in. */
export const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 10 }),
    fc.string({ unit: "grapheme", maxLength: 6 }),
    fc.constantFrom(...ODD_KEYS, "placeholder", "<your-id>", "TODO", "sk-abcdefghijklmnopqrstuvwx", "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", OVER_5KB),
    fc.array(tie("value"), { maxLength: 3 }),
    dict(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...ODD_KEYS)), tie("value"), 3),
  ),
})).value;

/** Either a plausible value or, sometimes, anything at all. */
export const orJunk = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: json });
export const optional = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T) => fc.record(model, { requiredKeys: [] });

export const binding = orJunk(
  fc.oneof(
    fc.record({ d1: logicalKey }),
    fc.record({ kv: logicalKey }),
    fc.record({ service: logicalKey, entrypoint: fc.constantFrom("Admin", "bad-entry") }, { requiredKeys: ["service"] }),
    fc.record({ queue: logicalKey }),
    fc.record({ r2: logicalKey }),
    fc.record({ durableObject: className, worker: logicalKey }, { requiredKeys: ["durableObject"] }),
    fc.record({ workflow: logicalKey }),
    fc.record({ d1: logicalKey, kv: logicalKey }),
  ),
);

export const worker = orJunk(
  fc.record(
    {
      entry: orJunk(fc.constantFrom("workers/bot/index.ts", "workers/admin/index.ts", "workers/missing.ts", "", "workers/broken.ts", "workers/huge.ts")),
      compatibilityDate: orJunk(fc.constantFrom("2025-09-01", "2999-01-01", "2025-02-30", "1 May 2025", "2020-01-01")),
      compatibilityFlags: orJunk(fc.array(fc.constantFrom("nodejs_compat", ""), { maxLength: 2 })),
      vars: orJunk(dict(bindingName, json)),
      secrets: orJunk(fc.array(secretName, { maxLength: 3 })),
      bindings: orJunk(dict(bindingName, binding)),
      hostnames: orJunk(fc.array(label, { maxLength: 2 })),
      customDomains: orJunk(fc.array(label, { maxLength: 1 })),
      routes: orJunk(fc.array(route, { maxLength: 2 })),
      durableObjects: orJunk(dict(className, orJunk(optional({ sqlite: fc.boolean() })), 2)),
      workflows: orJunk(dict(logicalKey, orJunk(fc.record({ className })), 2)),
      consumers: orJunk(fc.array(orJunk(optional({ queue: logicalKey, batchSize: fc.integer({ min: -1, max: 200 }), maxRetries: fc.integer({ min: 0, max: 5 }) })), { maxLength: 2 })),
      crons: orJunk(fc.array(fc.constantFrom("*/15 * * * *", "0 * * * *", "every minute", "61 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "0 0 * FOO *", "*/0 * * * *", "0 9 * * MON-FRI"), { maxLength: 2 })),
      [HUGE.slice(0, 20)]: json,
    },
    { requiredKeys: ["entry"] },
  ).chain((w) =>
    // Most of the time, the Durable Object history that matches its classes (or a stale one).
    fc.constantFrom("matching", "matching", "stale", "none").map((history) => withHistory(w as Record<string, unknown>, history)),
  ),
);

/** The worker with a `durableObjectMigrations` that creates its classes in one step, or one missing the last class. */
export function withHistory(w: Record<string, unknown>, history: string): Record<string, unknown> {
  const dos = w.durableObjects;
  if (history === "none" || typeof dos !== "object" || dos === null || Array.isArray(dos)) return w;
  const classes = Object.entries(dos as Record<string, unknown>);
  const kv = (d: unknown) => typeof d === "object" && d !== null && (d as { sqlite?: unknown }).sqlite === false;
  const kept = history === "stale" ? classes.slice(0, -1) : classes;
  if (kept.length === 0) return w;
  const sqlite = kept.filter(([, d]) => !kv(d)).map(([c]) => c);
  const plain = kept.filter(([, d]) => kv(d)).map(([c]) => c);
  return { ...w, durableObjectMigrations: [{ tag: "v1", ...(sqlite.length ? { newSqliteClasses: sqlite } : {}), ...(plain.length ? { newClasses: plain } : {}) }] };
}

export const system = orJunk(
  fc.record(
    {
      app: orJunk(fc.constantFrom("tg", "shop", "Bad App", HUGE.slice(0, 40), "a".repeat(31))),
      plan: orJunk(fc.constantFrom("free", "paid", "pro")),
      zone: orJunk(fc.constantFrom("example.com", "example", "ünïcode.com")),
      zones: orJunk(fc.array(fc.constantFrom("example.io", "example.com", "not a zone"), { maxLength: 2 })),
      dnsTarget: orJunk(fc.constantFrom("example.com", "not a domain")),
      compatibilityDate: orJunk(fc.constantFrom("2025-09-01", "2999-01-01", "2025-02-30")),
      compatibilityFlags: orJunk(fc.array(fc.constantFrom("nodejs_compat"), { maxLength: 1 })),
      databases: orJunk(dict(logicalKey, orJunk(optional({ migrations: fc.constantFrom("migrations/main", "migrations/bad", "migrations/empty", "migrations/none") })))),
      kvNamespaces: orJunk(dict(logicalKey, fc.constant({}))),
      queues: orJunk(dict(logicalKey, orJunk(optional({ deadLetterQueue: logicalKey })))),
      r2Buckets: orJunk(dict(logicalKey, orJunk(optional({ location: fc.constantFrom("weur", "mars"), jurisdiction: fc.constantFrom("eu", "moon") })))),
      secrets: orJunk(dict(secretName, orJunk(fc.oneof(fc.constant({ from: "config" }), fc.record({ generate: optional({ length: fc.integer({ min: 0, max: 300 }), rotation: fc.integer({ min: -1, max: 3 }) }) }), fc.constant({}))))),
      workers: orJunk(dict(logicalKey, worker, 5)),
    },
    { requiredKeys: ["app", "zone", "compatibilityDate", "workers"] },
  ),
);

export const stackSettings = fc.oneof(
  fc.constant(undefined),
  json,
  optional({
    suffix: orJunk(fc.constantFrom("", "-staging", "-x-1", "staging", "-Ü", `-${"s".repeat(40)}`)),
    hostnameSuffix: orJunk(fc.constantFrom("", "-staging", "bad")),
    protect: orJunk(fc.boolean()),
    version: orJunk(fc.constantFrom("v1", "", HUGE)),
    imports: orJunk(
      optional({
        databases: dict(logicalKey, fc.constantFrom("8d3c5a1e-0b7f-4c2a-9e6d-3f1b2a4c5d6e", "00000000-0000-0000-0000-000000000000", "placeholder", "x")),
        kvNamespaces: dict(logicalKey, fc.constantFrom("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "TODO", "")),
        queues: dict(logicalKey, fc.constantFrom("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "<id>")),
        r2Buckets: dict(logicalKey, orJunk(fc.constant(true))),
      }),
    ),
    zoneIds: orJunk(dict(fc.constantFrom("example.io", "example.com", "example.net", "toString"), fc.constantFrom("0123456789abcdef0123456789abcdee", "fedcba9876543210fedcba9876543210", "<zone id>", "abc"), 3)),
    // Overrides are deep-merged into the system: null deletes, anything replaces.
    overrides: orJunk(dict(fc.constantFrom("workers", "databases", "secrets", "app", "zone", ...maybeProto("__proto__")), fc.oneof(json, fc.constant(null), dict(logicalKey, fc.oneof(fc.constant(null), worker)))))
  }),
);

export const hexId = fc.constantFrom("0123456789abcdef0123456789abcdef", "placeholder", "00000000000000000000000000000000", "abc", "", "<account id>");
export const secretValues = dict(
  fc.constantFrom("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "ADMIN_TOKEN", "SIGNING_KEY", "toString", "constructor", "__proto__"),
  fc.record({ value: fc.constantFrom("", "s3cr3t", "sk-abcdefghijklmnopqrstuvwx", OVER_5KB), secret: fc.boolean() }),
  5,
);

export interface Input {
  /** Config keys set under the project's namespace (unknown ones are refused). */
  keys?: string[];
  stack: string;
  system: unknown;
  stackSettings: unknown;
  accountId?: string;
  zoneId?: string;
  values: Record<string, { value: string; secret: boolean }>;
}

export const input = (systemArb: fc.Arbitrary<unknown>): fc.Arbitrary<Input> =>
  fc.record(
    {
      stack: fc.oneof(fc.constantFrom("staging", "production"), fc.string({ maxLength: 8 })),
      system: systemArb,
      stackSettings,
      accountId: hexId,
      zoneId: hexId,
      values: secretValues,
      keys: fc.array(fc.constantFrom("system", "stack", "accountId", "zoneId", "acountId", "zoneID", "OPENAI_API_KEY", "systen", "toString"), { maxLength: 4 }),
    },
    { requiredKeys: ["stack", "system", "stackSettings", "values"] },
  );

// --- mutations of the reference declaration ------------------------------------------------------

export type Mutation = { at: number; kind: "set" | "delete" | "add" | "rename" | "null"; key: string; value: unknown };
export const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("set", "delete", "add", "rename", "null"),
  key: fc.oneof(logicalKey, bindingName),
  value: fc.oneof(json, binding, worker),
});

/** Every container (object or array) in a value, with its parent, so a mutation can pick one. */
export function containers(v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (typeof v === "object" && v !== null) {
    out.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) containers(x, out);
  }
  return out;
}

export function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The reference declaration, read once (deep copies are cheap, reading the YAML is not). */
export const REFERENCE = referenceSystem() as Record<string, unknown>;

/** Applies the mutations in order to a deep copy of `base`. */
export function mutate(base: unknown, mutations: Mutation[]): unknown {
  const root = structuredClone(base) as Record<string, unknown>;
  for (const m of mutations) {
    const all = containers(root);
    const target = all[m.at % all.length]!;
    const keys = Object.keys(target);
    const existing = keys.length ? keys[m.at % keys.length]! : undefined;
    if (m.kind === "add" || existing === undefined) define(target, Array.isArray(target) ? String(keys.length) : m.key, m.value);
    else if (m.kind === "set") define(target, existing, m.value);
    else if (m.kind === "null") define(target, existing, null);
    else if (m.kind === "delete") delete target[existing];
    else {
      const value = target[existing];
      delete target[existing];
      define(target, m.key, value);
    }
  }
  return root;
}

export const VALID_IDS = { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" };
export const IO_ZONE_ID = "0123456789abcdef0123456789abcdee";

/**
 * Valid declarations built from a random model: every reference points at something declared,
 * service bindings only point at earlier workers, every secret is used and set. The mutations
 * then break them in one or two places, which is where validation has to be precise.
 */
export const validModel: fc.Arbitrary<Input> = fc
  .record({
    workers: fc.uniqueArray(fc.constantFrom("bot", "admin", "api", "web", "jobs"), { minLength: 1, maxLength: 5 }),
    databases: fc.uniqueArray(fc.constantFrom("main", "audit"), { maxLength: 2 }),
    kvs: fc.uniqueArray(fc.constantFrom("cache", "rate-limit"), { maxLength: 2 }),
    secrets: fc.uniqueArray(fc.tuple(fc.constantFrom("OPENAI_API_KEY", "ADMIN_TOKEN", "SIGNING_KEY"), fc.boolean()), { maxLength: 3, selector: ([n]) => n }),
    picks: fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
    stack: fc.constantFrom("staging", "production", "qa"),
    suffix: fc.constantFrom(undefined, "", "-qa"),
  })
  .map(({ workers, databases, kvs, secrets, picks, stack, suffix }) => {
    const pick = <T>(xs: T[], i: number) => xs[picks[i % picks.length]! % xs.length]!;
    const sys = {
      app: "tg",
      zone: "example.com",
      zones: ["example.io"],
      compatibilityDate: "2025-09-01",
      databases: Object.fromEntries(databases.map((d, i) => [d, picks[i]! % 2 ? { migrations: "migrations/main" } : {}])),
      kvNamespaces: Object.fromEntries(kvs.map((k) => [k, {}])),
      secrets: Object.fromEntries(secrets.map(([n, fromConfig]) => [n, fromConfig ? { from: "config" } : { generate: { length: 32 } }])),
      workers: Object.fromEntries(
        workers.map((w, i) => {
          const bindings: Record<string, unknown> = {};
          if (databases.length) bindings.DB = { d1: pick(databases, i) };
          if (kvs.length) bindings.KV = { kv: pick(kvs, i + 1) };
          if (i > 0 && picks[i + 2]! % 2) bindings.UPSTREAM = { service: pick(workers.slice(0, i), i + 3) };
          return [
            w,
            {
              entry: i % 2 ? "workers/admin/index.ts" : "workers/bot/index.ts",
              // A label, or a multi-level hostname of the second zone; some workers add routes.
              hostnames: [picks[i + 5]! % 3 ? w : `${w}.eu.example.io`],
              ...(picks[i + 6]! % 2 ? { routes: [`shop.example.com/${w}/*`, { pattern: `*.${w}.example.io/*`, zone: "example.io" }] } : {}),
              vars: { MODE: "fast", LIMITS: { perMinute: picks[i]! % 100 } },
              // Every secret is listed by the first worker, so none is declared unused.
              secrets: i === 0 ? secrets.map(([n]) => n) : [],
              bindings,
            },
          ];
        }),
      ),
    };
    const values = Object.fromEntries(secrets.filter(([, c]) => c).map(([n]) => [n, { value: `value-of-${n}`, secret: true }]));
    return { stack, system: sys, stackSettings: { ...(suffix === undefined ? {} : { suffix }), zoneIds: { "example.io": IO_ZONE_ID } }, ...VALID_IDS, values };
  });

/** Service bindings in a ring: a cycle of `n` workers (plus a tail), which must be named. */
export const serviceCycle = fc.record({ n: fc.integer({ min: 2, max: 12 }), tail: fc.integer({ min: 0, max: 5 }) }).map(({ n, tail }) => {
  const s = structuredClone(REFERENCE) as any;
  for (let i = 0; i < n + tail; i++) {
    const next = i === n + tail - 1 ? `w${tail}` : `w${i + 1}`;
    s.workers[`w${i}`] = { entry: "workers/admin/index.ts", bindings: { NEXT: { service: next } } };
  }
  return s;
});

// --- the property --------------------------------------------------------------------------------

export function sourceOf(i: Input): ConfigSource {
  // What load.ts hands the validator: config values as parsed from JSON text.
  const roundTrip = (v: unknown) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v) ?? "null"));
  return {
    project: "workers-stack",
    stack: i.stack,
    system: roundTrip(i.system),
    stackSettings: roundTrip(i.stackSettings),
    ...(i.accountId !== undefined ? { accountId: i.accountId } : {}),
    ...(i.zoneId !== undefined ? { zoneId: i.zoneId } : {}),
    lookup: (key) => (Object.prototype.hasOwnProperty.call(i.values, key) ? i.values[key] : undefined),
    ...(i.keys ? { keys: i.keys } : {}),
  };
}

export const own = (o: unknown, k: string) => typeof o === "object" && o !== null && Object.prototype.hasOwnProperty.call(o, k);


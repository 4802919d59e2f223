/**
 * Config fuzzing: thousands of generated and mutated configurations fed through the real
 * validation. Every input must either become a declaration whose plan builds and is consistent,
 * or be refused with a ConfigError whose every issue has a path and a message — never any other
 * exception. A smaller sample goes through the whole program under the mock runtime: a refused
 * configuration registers nothing and ends with a RunError.
 *
 * Seeds are fixed, so a failure reproduces; fast-check prints the smallest failing input.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { RESOURCE_TYPE } from "../config/resourceTypes";
import { ConfigError } from "../config/errors";
import { buildPlan, Plan } from "../config/plan";
import { ConfigSource, Declaration, Facts, validate } from "../config/validate";
import { evaluate, referenceSystem, TEST_SECRETS } from "./helpers";
import { classesAfter } from "../components/doMigrations";

// --- the world the validator sees --------------------------------------------------------------

/** A fixed working tree: two real-looking entries and one migrations folder of each kind. */
const FACTS: Facts = {
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

const HUGE = "a".repeat(5000);
/** Over Cloudflare's 5 KB per var or secret. */
const OVER_5KB = "b".repeat(6000);
/** Keys that break code which treats a plain object as a map (`obj[key]`, `key in obj`). */
const PROTO_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
/**
 * Whether the generators use PROTO_KEYS as names and references. Off while validation still
 * looks names up with `obj[key]` / `key in obj` (a worker listing secret `toString`, or binding
 * `{ d1: constructor }`, is accepted; see "names that Object.prototype also has" below): turn it on
 * with that fix, so the whole fuzzing covers them again.
 */
const FUZZ_PROTOTYPE_KEYS = true;
const ODD_KEYS = [...(FUZZ_PROTOTYPE_KEYS ? PROTO_KEYS : []), "", " ", "ключ", "键", "🙂", "a.b", HUGE, "Main", "-x"];
const maybeProto = (...names: string[]) => (FUZZ_PROTOTYPE_KEYS ? names : []);

/** Logical keys: a small pool, so references sometimes hit and sometimes dangle. */
const logicalKey = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("main", "bot", "admin", "api", "rate-limit", "jobs", "files", "dlq") },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const bindingName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("DB", "KV", "API", "QUEUE", "BUCKET", "MODE", "LIMITS", "ENVIRONMENT", "VERSION", "STRIPE_API_KEY") },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_KEYS) },
);
const secretName = fc.constantFrom("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "ADMIN_TOKEN", "SIGNING_KEY", "bad name", ...maybeProto("toString", "constructor"));
const className = fc.constantFrom("Counter", "Room", "OnboardingWorkflow", "bad class", ...maybeProto("constructor"));
const label = fc.constantFrom("bot", "admin", "api", "www", "Bad_Label", "", HUGE.slice(0, 70), "ünï", "l".repeat(63), "m".repeat(55), "api.staging.example.com", "shop.example.io", "x.other.org", "example.io");
/** Route patterns, valid and not, in the system's zones and outside them. */
const route = fc.oneof(
  fc.constantFrom("shop.example.com/api/*", "*.example.com/*", "*example.io/*", "https://example.com/path*", "example.com", "x.other.org/*", "example.com/*.jpg", "a.*.example.com/*", "example.com/?q=*", "ftp://example.com/*", "*/*", "", "Shop.example.com/*"),
  fc.record({ pattern: fc.constantFrom("shop.example.io/*", "shop.example.com/*"), zone: fc.constantFrom("example.io", "example.com", "example.net", "Bad Zone") }, { requiredKeys: ["pattern"] }),
);

/** An object built by defining properties, so `__proto__` becomes an own key as JSON.parse makes it. */
function objectOf<T>(entries: [string, T][]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}
const dict = <T>(key: fc.Arbitrary<string>, value: fc.Arbitrary<T>, maxLength = 4) =>
  fc.array(fc.tuple(key, value), { maxLength }).map(objectOf);

/** Any JSON, with odd keys and strings mixed in. */
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
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
const orJunk = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: json });
const optional = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T) => fc.record(model, { requiredKeys: [] });

const binding = orJunk(
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

const worker = orJunk(
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
function withHistory(w: Record<string, unknown>, history: string): Record<string, unknown> {
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

const system = orJunk(
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

const stackSettings = fc.oneof(
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

const hexId = fc.constantFrom("0123456789abcdef0123456789abcdef", "placeholder", "00000000000000000000000000000000", "abc", "", "<account id>");
const secretValues = dict(
  fc.constantFrom("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "ADMIN_TOKEN", "SIGNING_KEY", "toString", "constructor", "__proto__"),
  fc.record({ value: fc.constantFrom("", "s3cr3t", "sk-abcdefghijklmnopqrstuvwx", OVER_5KB), secret: fc.boolean() }),
  5,
);

interface Input {
  /** Config keys set under the project's namespace (unknown ones are refused). */
  keys?: string[];
  stack: string;
  system: unknown;
  stackSettings: unknown;
  accountId?: string;
  zoneId?: string;
  values: Record<string, { value: string; secret: boolean }>;
}

const input = (systemArb: fc.Arbitrary<unknown>): fc.Arbitrary<Input> =>
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

type Mutation = { at: number; kind: "set" | "delete" | "add" | "rename" | "null"; key: string; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("set", "delete", "add", "rename", "null"),
  key: fc.oneof(logicalKey, bindingName),
  value: fc.oneof(json, binding, worker),
});

/** Every container (object or array) in a value, with its parent, so a mutation can pick one. */
function containers(v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (typeof v === "object" && v !== null) {
    out.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) containers(x, out);
  }
  return out;
}

function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The reference declaration, read once (deep copies are cheap, reading the YAML is not). */
const REFERENCE = referenceSystem() as Record<string, unknown>;

/** Applies the mutations in order to a deep copy of `base`. */
function mutate(base: unknown, mutations: Mutation[]): unknown {
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

const VALID_IDS = { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" };
const IO_ZONE_ID = "0123456789abcdef0123456789abcdee";

/**
 * Valid declarations built from a random model: every reference points at something declared,
 * service bindings only point at earlier workers, every secret is used and set. The mutations
 * then break them in one or two places, which is where validation has to be precise.
 */
const validModel: fc.Arbitrary<Input> = fc
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
const serviceCycle = fc.record({ n: fc.integer({ min: 2, max: 12 }), tail: fc.integer({ min: 0, max: 5 }) }).map(({ n, tail }) => {
  const s = structuredClone(REFERENCE) as any;
  for (let i = 0; i < n + tail; i++) {
    const next = i === n + tail - 1 ? `w${tail}` : `w${i + 1}`;
    s.workers[`w${i}`] = { entry: "workers/admin/index.ts", bindings: { NEXT: { service: next } } };
  }
  return s;
});

// --- the property --------------------------------------------------------------------------------

function sourceOf(i: Input): ConfigSource {
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

const own = (o: unknown, k: string) => typeof o === "object" && o !== null && Object.prototype.hasOwnProperty.call(o, k);

/** What must hold of any plan built from an accepted declaration. */
function checkPlan(plan: Plan, decl: Declaration): void {
  const sys = decl.system as unknown as Record<string, Record<string, unknown> | undefined>;
  const order = plan.workers.map((w) => w.key);
  assert.deepEqual([...order].sort(), Object.keys(sys.workers ?? {}).sort(), "the plan has exactly the declared workers");
  const hosts = new Set<string>();
  const patterns = new Set<string>(plan.workers.flatMap((w) => w.hostnames.map((h) => h.pattern)));
  for (const [i, w] of plan.workers.entries()) {
    assert.deepEqual(
      [...classesAfter(w.durableObjectMigrations)].map(([c]) => c).sort(),
      w.durableObjects.map((d) => d.className).sort(),
      `${w.key}: the migration history ends in exactly the hosted classes`,
    );
    const names = w.bindings.map((b) => b.name);
    assert.equal(new Set(names).size, names.length, `${w.key}: binding names are unique`);
    for (const h of w.hostnames) {
      assert.ok(!hosts.has(h.host), `hostname ${h.host} is planned once`);
      hosts.add(h.host);
    }
    // Every hostname, custom domain and route is created with a real zone id of its own zone.
    for (const r of [...w.hostnames, ...w.customDomains, ...w.routes]) {
      assert.match(r.zoneId, /^[0-9a-f]{32}$/, `${w.key}: ${"pattern" in r ? r.pattern : r.host} has its zone's id`);
      assert.equal(plan.zoneIds[r.zone], r.zoneId);
    }
    for (const r of w.routes) {
      assert.ok(!patterns.has(r.pattern), `route ${r.pattern} is planned once`);
      patterns.add(r.pattern);
    }
    for (const b of w.bindings) {
      const where = `${w.key}.${b.name}`;
      if (b.type === "d1") assert.ok(own(sys.databases, b.database), `${where}: database ${b.database} is declared`);
      if (b.type === "kv_namespace") assert.ok(own(sys.kvNamespaces, b.namespace), `${where}: namespace ${b.namespace} is declared`);
      if (b.type === "queue") assert.ok(own(sys.queues, b.queue), `${where}: queue ${b.queue} is declared`);
      if (b.type === "r2_bucket") assert.ok(own(sys.r2Buckets, b.bucket), `${where}: bucket ${b.bucket} is declared`);
      if (b.type === "secret_text") assert.ok(own(sys.secrets, b.secret), `${where}: secret ${b.secret} is declared`);
      if (b.type === "service") {
        assert.ok(own(sys.workers, b.worker), `${where}: worker ${b.worker} is declared`);
        assert.ok(order.indexOf(b.worker) < i, `${where}: ${b.worker} is deployed before ${w.key}`);
      }
      if (b.type === "durable_object_namespace") {
        assert.ok(own(sys.workers, b.worker), `${where}: host worker ${b.worker} is declared`);
        assert.ok(own((sys.workers![b.worker] as { durableObjects?: unknown }).durableObjects, b.className), `${where}: ${b.worker} hosts ${b.className}`);
      }
      if (b.type === "workflow")
        assert.ok(Object.values(sys.workers ?? {}).some((x) => own((x as { workflows?: unknown }).workflows, b.workflow)), `${where}: workflow ${b.workflow} is declared`);
    }
  }
}

/** Validates one input: a consistent plan, or a ConfigError with paths and messages; nothing else. */
function checkOne(i: Input): "accepted" | "refused" {
  let decl: Declaration;
  try {
    decl = validate(sourceOf(i), FACTS);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw new Error(`validate threw something other than a ConfigError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    assert.ok(e.issues.length > 0, "a ConfigError lists at least one issue");
    for (const issue of e.issues) {
      assert.equal(typeof issue.path, "string");
      assert.ok(issue.path.length > 0, `issue without a path: ${JSON.stringify(issue)}`);
      assert.equal(typeof issue.message, "string");
      assert.ok(issue.message.length > 0, `issue without a message: ${JSON.stringify(issue)}`);
    }
    return "refused";
  }
  checkPlan(buildPlan(decl, "fuzz"), decl);
  return "accepted";
}

/**
 * Runs the property and returns how many inputs were accepted and refused: each test checks that
 * the outcomes it is meant to exercise did occur, or its generator has drifted from the schema.
 */
function fuzz(arb: fc.Arbitrary<Input>, seed: number, numRuns: number): { accepted: number; refused: number } {
  const seen = { accepted: 0, refused: 0 };
  fc.assert(
    fc.property(arb, (i) => {
      seen[checkOne(i)]++;
    }),
    run(seed, numRuns),
  );
  if (process.env.FUZZ_STATS) console.log(seed.toString(16), seen);
  return seen;
}

/** fast-check settings: a fixed seed per property, and figures chosen to keep the file near 15 s. */
const run = (seed: number, numRuns: number) => ({ seed, numRuns, endOnFailure: false });

describe("config fuzzing", function () {
  this.timeout(120_000);

  describe("validate() on generated configurations", () => {
    it("structured configurations with wrong types, dangling references and odd names", () => {
      assert.ok(fuzz(input(system), 0x5eed01, 2500).refused > 2000);
    });

    it("random JSON at the top of the system and the stack settings", () => {
      assert.ok(fuzz(input(json), 0x5eed02, 1500).refused > 1000);
    });

    it("valid declarations, as generated and with one to three mutations at any depth", () => {
      const mutated = fc.tuple(validModel, fc.array(mutation, { maxLength: 3 })).map(([i, ms]) => ({ ...i, system: mutate(i.system, ms) }));
      const seen = fuzz(mutated, 0x5eed03, 2000);
      assert.ok(seen.accepted > 200 && seen.refused > 200, JSON.stringify(seen));
    });

    it("the reference declaration with random mutations, ids and secret values", () => {
      const mutated = fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => mutate(REFERENCE, ms));
      // Mostly the right ids and secrets, so the mutation is what gets judged.
      const setSecrets = { OPENAI_API_KEY: { value: "sk-test", secret: true }, TELEGRAM_BOT_TOKEN: { value: "123:abc", secret: true } };
      const referenceInput = fc.record({
        stack: fc.constantFrom("staging", "production"),
        system: mutated,
        stackSettings: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: stackSettings }),
        accountId: fc.oneof({ weight: 4, arbitrary: fc.constant(VALID_IDS.accountId) }, { weight: 1, arbitrary: hexId }),
        zoneId: fc.oneof({ weight: 4, arbitrary: fc.constant(VALID_IDS.zoneId) }, { weight: 1, arbitrary: hexId }),
        values: fc.oneof({ weight: 4, arbitrary: fc.constant(setSecrets) }, { weight: 1, arbitrary: secretValues }),
      });
      const seen = fuzz(referenceInput, 0x5eed06, 1500);
      // Most mutations break the declaration; some (a renamed var, a dropped hostname) must pass.
      assert.ok(seen.accepted >= 10 && seen.refused > 1000, JSON.stringify(seen));
    });

    it("every preflight mistake (limits, bundles, unknown keys, overrides) is refused with its path and message", () => {
      type Case = { name: string; apply(s: any, i: Input): void; path: RegExp; message: RegExp };
      const first = (s: any) => Object.keys(s.workers)[0]!;
      const cases: fc.Arbitrary<Case> = fc.oneof(
        fc.constantFrom("61 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "0 0 * JAN-FOO *", "*/0 * * * *", "5-1 * * * *", "* * * *").map((cron) => ({
          name: `cron ${cron}`,
          apply: (s: any) => (s.workers[first(s)].crons = [cron]),
          path: /^system\.workers\.[a-z]+\.crons\.0$/,
          message: /out of range|not a number|not a value|must be 1-|runs backwards|has 4 fields|five fields/,
        })),
        fc.integer({ min: 5121, max: 400_000 }).map((n) => ({
          name: `a var of ${n} bytes`,
          apply: (s: any) => (s.workers[first(s)].vars.BIG = "v".repeat(n)),
          path: /^system\.workers\.[a-z]+\.vars\.BIG$/,
          message: /Cloudflare allows 5 KB per variable/,
        })),
        fc.integer({ min: 127, max: 300 }).map((n) => ({
          name: `${n} vars`,
          apply: (s: any) => (s.workers[first(s)].vars = Object.fromEntries(Array.from({ length: n }, (_, k) => [`V${k}`, "x"]))),
          path: /^system\.workers\.[a-z]+$/,
          message: /environment variables .*Cloudflare allows 128 on the Workers Paid plan \(64 on Free\)/,
        })),
        fc.integer({ min: 62, max: 200 }).map((n) => ({
          name: `a hostname suffix of ${n}`,
          apply: (s: any, i: Input) => {
            // A label (a fully qualified hostname takes no suffix).
            s.workers[first(s)].hostnames = [first(s)];
            i.stackSettings = { hostnameSuffix: `-${"h".repeat(n)}` };
          },
          path: /^system\.workers\.[a-z]+\.hostnames$/,
          message: /DNS allows (63|253)/,
        })),
        fc.integer({ min: 60, max: 200 }).map((n) => ({
          name: `a suffix of ${n}`,
          apply: (_s: any, i: Input) => (i.stackSettings = { suffix: `-${"s".repeat(n)}`, hostnameSuffix: "" }),
          path: /^system\.workers\.[a-z]+$/,
          message: /script name ".*" is \d+ characters; Cloudflare allows 63/,
        })),
        fc.constantFrom("workers/broken.ts", "workers/huge.ts").map((entry) => ({
          name: `entry ${entry}`,
          apply: (s: any) => (s.workers[first(s)].entry = entry),
          path: /^system\.workers\.[a-z]+\.entry$/,
          message: /does not bundle \(1 error from esbuild\)|the bundle is 11 MB gzipped; Cloudflare allows 10 MB on the Workers Paid plan \(3 MB on Free\)/,
        })),
        fc.constantFrom("acountId", "zoneID", "sytem", "stak", "OPENAI_APIKEY").map((key) => ({
          name: `config key ${key}`,
          apply: (_s: any, i: Input) => (i.keys = ["system", "accountId", key]),
          path: new RegExp(`^workers-stack:${key}$`),
          message: /^unknown config key/,
        })),
        fc.constantFrom("shop.example.com/*.jpg", "a.*.example.com/*", "example.com/?q=*").map((pattern) => ({
          name: `route pattern ${pattern}`,
          apply: (s: any) => (s.workers[first(s)].routes = [pattern]),
          path: /^system\.workers\.[a-z]+\.routes\.0$/,
          message: /is refused by Cloudflare/,
        })),
        fc.constant({
          name: "one route pattern on two workers",
          apply: (s: any) => {
            for (const w of Object.values(s.workers) as any[]) w.routes = ["shop.example.com/same/*"];
            if (Object.keys(s.workers).length === 1) s.workers.extra = { entry: "workers/admin/index.ts", routes: ["shop.example.com/same/*"] };
          },
          path: /^system\.workers\.[a-z]+\.routes\.0$/,
          message: /is already routed to worker/,
        }),
        fc.constant({
          name: "a hostname under no zone",
          apply: (s: any) => (s.workers[first(s)].hostnames = ["api.other.org"]),
          path: /^system\.workers\.[a-z]+\.hostnames$/,
          message: /is under no zone of the system/,
        }),
        fc.constantFrom("", "abc", "<zone id>").map((id) => ({
          name: `the second zone's id ${JSON.stringify(id)}, with a hostname in it`,
          apply: (s: any, i: Input) => {
            s.workers[first(s)].hostnames = ["api.eu.example.io"];
            i.stackSettings = { zoneIds: { "example.io": id } };
          },
          path: /^stack\.zoneIds\.example\.io$/,
          message: /not set|is not a 32-character hex zone id|placeholder id/,
        })),
        fc.constantFrom("bto", "admn", "wbe").map((key) => ({
          name: `override of undeclared worker ${key}`,
          apply: (_s: any, i: Input) => (i.stackSettings = { overrides: { workers: { [key]: { vars: { MODE: "x" } } } } }),
          path: new RegExp(`^stack\\.overrides\\.workers\\.${key}$`),
          message: /is not declared in Pulumi\.yaml/,
        })),
      );
      fc.assert(
        fc.property(validModel, cases, (base, c) => {
          const i: Input = structuredClone(base);
          c.apply(i.system, i);
          let error: unknown;
          try {
            validate(sourceOf(i), FACTS);
          } catch (e) {
            error = e;
          }
          assert.ok(error instanceof ConfigError, `${c.name}: refused`);
          assert.ok(
            error.issues.some((x) => c.path.test(x.path) && c.message.test(x.message)),
            `${c.name}: expected an issue at ${c.path} matching ${c.message}, got:\n${error.message}`,
          );
          assert.ok(error.issues.every((x) => x.file), `${c.name}: every issue names its file`);
        }),
        run(0x5eed07, 400),
      );
    });

    it("cycles of service bindings are refused, naming the cycle", () => {
      fc.assert(
        fc.property(serviceCycle, (s) => {
          const i: Input = { stack: "staging", system: s, stackSettings: undefined, accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210", values: {} };
          assert.throws(
            () => validate(sourceOf(i), FACTS),
            (e: unknown) => e instanceof ConfigError && e.issues.some((x) => x.path === "system.workers" && /cycle: (w\d+ → )+w\d+$/.test(x.message)),
          );
        }),
        run(0x5eed04, 100),
      );
    });

    it("huge declarations: 1000 workers in a chain of service bindings plan in order", () => {
      const s = structuredClone(REFERENCE) as any;
      for (let i = 0; i < 1000; i++) s.workers[`w${i}`] = { entry: "workers/admin/index.ts", ...(i ? { bindings: { PREV: { service: `w${i - 1}` } } } : {}) };
      const source = sourceOf({ stack: "staging", system: s, stackSettings: undefined, accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210", values: { OPENAI_API_KEY: { value: "x", secret: true }, TELEGRAM_BOT_TOKEN: { value: "y", secret: true } } });
      const decl = validate(source, { ...FACTS, listDir: (rel) => (rel === "migrations/main" ? ["0001_init.sql"] : undefined) });
      const plan = buildPlan(decl, "fuzz");
      checkPlan(plan, decl);
      assert.equal(plan.workers.length, 1002);
    });

    it("names that Object.prototype also has (toString, constructor, __proto__) are names like any other", function () {
      // Pending until validation looks names up as own keys (see FUZZ_PROTOTYPE_KEYS).
      if (!FUZZ_PROTOTYPE_KEYS) this.skip();
      const ids = { stack: "staging", stackSettings: undefined, ...VALID_IDS, values: { OPENAI_API_KEY: { value: "x", secret: true }, TELEGRAM_BOT_TOKEN: { value: "y", secret: true } } };
      const refuses = (change: (s: any) => void, path: string) => {
        const s = structuredClone(REFERENCE) as any;
        change(s);
        assert.throws(() => validate(sourceOf({ ...ids, system: s }), FACTS), (e: unknown) => e instanceof ConfigError && e.issues.some((x) => x.path === path), path);
      };
      refuses((s) => s.workers.admin.secrets.push("toString"), "system.workers.admin.secrets");
      refuses((s) => s.workers.admin.secrets.push("__proto__"), "system.workers.admin.secrets");
      refuses((s) => (s.workers.admin.bindings.OTHER = { d1: "constructor" }), "system.workers.admin.bindings.OTHER");
      refuses((s) => (s.workers.admin.bindings.OTHER = { kv: "constructor" }), "system.workers.admin.bindings.OTHER");
      refuses((s) => (s.workers.admin.bindings.OTHER = { service: "constructor" }), "system.workers.admin.bindings.OTHER");
      const s = structuredClone(REFERENCE) as any;
      s.workers.admin.vars = { toString: "a plain var", constructor: "another" };
      const decl = validate(sourceOf({ ...ids, system: s }), FACTS);
      checkPlan(buildPlan(decl, "fuzz"), decl);
    });
  });

  describe("the whole program under the mock runtime", () => {
    // A stack name of its own: bundles go to .workers-stack/build/fuzz, beside nobody's.
    const STACK = "fuzz";
    const sample = fc.sample(
      fc.oneof(
        { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => mutate(REFERENCE, ms)) },
        { weight: 2, arbitrary: fc.tuple(validModel, fc.array(mutation, { maxLength: 2 })).map(([i, ms]) => mutate(i.system, ms)) },
        { weight: 2, arbitrary: system },
        { weight: 1, arbitrary: json },
      ),
      { seed: 0x5eed05, numRuns: 36 },
    );
    // The reference itself, and a valid variant, so the accepting path runs too.
    const valid = structuredClone(REFERENCE) as any;
    valid.workers.admin.vars = { MODE: "read-only", LIMITS: { perPage: 50 } };
    const systems: unknown[] = [REFERENCE, valid, ...sample];
    const SECRETS = { ...TEST_SECRETS, ADMIN_TOKEN: "fuzz-admin-token", SIGNING_KEY: "fuzz-signing-key" };

    it(`${systems.length} configurations: refused ones register nothing and end in a RunError`, async () => {
      let refusedHere = 0;
      for (const [n, s] of systems.entries()) {
        // Only the config secrets the system declares are set: any other key is refused as unknown.
        const declared = (s as any)?.secrets;
        const secrets = Object.fromEntries(Object.entries(SECRETS).filter(([k]) => declared && Object.hasOwn(declared, k) && declared[k]?.from === "config"));
        const ev = await evaluate(STACK, { system: JSON.parse(JSON.stringify(s) ?? "null"), stackSettings: { suffix: "-fuzz" }, secrets });
        if (ev.error) {
          assert.ok(pulumi.RunError.isInstance(ev.error), `#${n}: not a RunError: ${ev.error.stack}`);
          assert.match(ev.error.message, /^workers-stack: the configuration of stack "fuzz" has \d+ problems?; nothing was created or changed:/, `#${n}`);
          assert.equal(ev.resources.length, 0, `#${n}: a refused configuration registered ${ev.resources.map((r) => r.urn).join(", ")}`);
          refusedHere++;
        } else {
          assert.ok(ev.resources.some((r) => r.type === RESOURCE_TYPE.script), `#${n}: accepted but no worker registered`);
        }
      }
      assert.ok(refusedHere >= systems.length / 2, `only ${refusedHere} of ${systems.length} were refused: the sample is too tame`);
      assert.ok(refusedHere < systems.length, "none was accepted: the accepting path did not run");
    });
  });
});

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
import { Declaration, validate } from "../config/validate";
import { evaluate, TEST_SECRETS } from "./helpers";
import { classesAfter } from "../components/doMigrations";

import { FACTS, FUZZ_PROTOTYPE_KEYS, Input, REFERENCE, VALID_IDS, hexId, input, json, mutate, mutation, own, secretValues, serviceCycle, sourceOf, stackSettings, system, validModel } from "./support/fuzzModel";

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

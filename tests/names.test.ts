/**
 * Physical names, workers on some stacks only, the injected vars and D1 read replication, on a
 * project of their own (real names of the corpus: `ens`, `tldraw-multiplayer` /
 * `main-tldraw-multiplayer`, `rooms` / `rooms-preview`, `x-staging-dlq`): the inputs the program
 * registers under the mock runtime, the errors it gives, and what the local runner serves.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { LocalStack, startLocal } from "../local/runner";
import { stackGraph } from "../scripts/graph";
import { validateStack } from "../scripts/validate";
import { evaluate, ofType, one, reveal, TYPES } from "./helpers";

/** Every worker answers /health (environment from its renamed var) and /env (what it sees). */
const WORKER = (service: string, extra = "") => `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health")
      return Response.json({ ok: true, data: { status: "healthy", service: "${service}", environment: env.ENV_NAME, bindings: [] } });
    ${extra}
    return Response.json({ names: Object.keys(env).sort(), env: env.ENV_NAME, shared: env.SHARED });
  },
};
`;
const API_EXTRA = `if (url.pathname === "/auth") return new Response(await (await env.AUTH.fetch("https://auth/")).text());
    if (url.pathname === "/migrations") return Response.json((await env.DB.prepare("SELECT name FROM d1_migrations ORDER BY id").all()).results.map((r) => r.name));
    if (url.pathname === "/rooms") { await env.ROOMS.put("k", "v"); return new Response(await (await env.ROOMS.get("k")).text()); }`;

const SYSTEM = {
  app: "nm",
  zone: "example.com",
  compatibilityDate: "2025-09-01",
  environmentVar: "ENV_NAME",
  versionVar: false,
  databases: {
    main: { name: "{app}{suffix}-db", migrations: "migrations/main", readReplication: "auto" },
    other: {},
  },
  kvNamespaces: { cache: { name: "Cache of {app} on {stack}" } },
  queues: { jobs: { name: "x{suffix}-dlq" } },
  r2Buckets: { rooms: { name: "rooms{suffix}" } },
  secrets: { SHARED: { generate: { length: 32 } } },
  workers: {
    api: {
      name: "tldraw-multiplayer",
      entry: "workers/api.js",
      hostnames: ["api"],
      secrets: ["SHARED"],
      bindings: { AUTH: { service: "auth" }, DB: { d1: "main" }, ROOMS: { r2: "rooms" }, JOBS: { queue: "jobs" }, OTHER: { d1: "other" }, CACHE: { kv: "cache" } },
    },
    // A literal name, and SHARED as a plain var here while api has it as a secret.
    auth: { name: "ens", entry: "workers/auth.js", vars: { SHARED: "plain on auth" } },
    // Only where tests run.
    testonly: { entry: "workers/testonly.js", stacks: ["staging"], bindings: { AUTH: { service: "auth" } } },
  },
};

const STACKS: Record<string, string> = {
  staging: ["config:", "  nm:stack:", "    overrides:", "      workers:", "        api: { name: main-tldraw-multiplayer }", ""].join("\n"),
  production: ["config:", "  nm:stack:", '    suffix: ""', "    environment: prod", "    imports: { r2Buckets: { rooms: true } }", ""].join("\n"),
};

const MIGRATIONS: Record<string, string> = {
  "0001_init.sql": "CREATE TABLE t (x TEXT);\n",
  "0002_two.sql": "INSERT INTO t VALUES ('2');\n",
  "039b_fix.sql": "INSERT INTO t VALUES ('39b');\n",
  "0040_more.sql": "INSERT INTO t VALUES ('40');\n",
  "seed.sql": "INSERT INTO t VALUES ('seed');\n",
  ".hidden.sql": "THIS IS NOT SQL;\n",
};

function project(system: unknown = SYSTEM): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-names-"));
  fs.mkdirSync(path.join(dir, "workers"));
  fs.writeFileSync(path.join(dir, "workers", "api.js"), WORKER("api", API_EXTRA));
  fs.writeFileSync(path.join(dir, "workers", "auth.js"), WORKER("auth", 'if (url.pathname === "/") return new Response("auth:" + env.SHARED);'));
  fs.writeFileSync(path.join(dir, "workers", "testonly.js"), WORKER("testonly"));
  fs.mkdirSync(path.join(dir, "migrations", "main"), { recursive: true });
  for (const [f, sql] of Object.entries(MIGRATIONS)) fs.writeFileSync(path.join(dir, "migrations", "main", f), sql);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: nm\nruntime: nodejs\nconfig:\n  nm:system:\n    value: ${JSON.stringify(system)}\n`);
  for (const [stack, text] of Object.entries(STACKS)) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  return dir;
}

type Binding = { name: string; type: string; text?: unknown; service?: string; id?: unknown };
const bindingsOf = (ev: Awaited<ReturnType<typeof evaluate>>, key: string) =>
  Object.fromEntries(((reveal(one(ev, TYPES.script, key).inputs) as { bindings: Binding[] }).bindings).map((b) => [b.name, b]));

describe("names, stacks and injected vars", function () {
  this.timeout(120_000);
  let root: string;
  before(() => (root = project()));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("staging: explicit names per kind, expanded with the stack's suffix, reach every input that names them", async () => {
    const ev = await evaluate("staging", { root, secrets: {} });
    assert.ifError(ev.error);
    const input = (type: string, key: string) => reveal(one(ev, type, key).inputs) as Record<string, unknown>;
    assert.equal(input(TYPES.script, "api").scriptName, "main-tldraw-multiplayer", "the stack's override");
    assert.equal(input(TYPES.script, "auth").scriptName, "ens", "a literal name");
    assert.equal(input(TYPES.script, "testonly").scriptName, "nm-testonly-staging", "the default template");
    assert.equal(input(TYPES.d1, "main").name, "nm-staging-db");
    assert.equal(input(TYPES.d1, "other").name, "nm-other-staging");
    assert.equal(input(TYPES.kv, "cache").title, "Cache of nm on staging");
    assert.equal(input(TYPES.queue, "jobs").queueName, "x-staging-dlq");
    assert.equal(input(TYPES.r2, "rooms").name, "rooms-staging");
    // A service binding names the target's physical script, on both callers.
    assert.equal(bindingsOf(ev, "api").AUTH!.service, "ens");
    assert.equal(bindingsOf(ev, "testonly").AUTH!.service, "ens");
    assert.equal(bindingsOf(ev, "api").ROOMS!.type, "r2_bucket");
    assert.equal((bindingsOf(ev, "api").ROOMS as unknown as { bucketName: string }).bucketName, "rooms-staging");
    assert.equal((bindingsOf(ev, "api").JOBS as unknown as { queueName: string }).queueName, "x-staging-dlq");
  });

  it("production: bare names with an empty suffix, the bucket adopted by its declared name, the worker absent from it gone", async () => {
    const ev = await evaluate("production", { root, secrets: {} });
    assert.ifError(ev.error);
    const scripts = ofType(ev, TYPES.script).map((r) => (reveal(r.inputs) as { scriptName: string }).scriptName).sort();
    assert.deepEqual(scripts, ["ens", "tldraw-multiplayer"]);
    const rooms = one(ev, TYPES.r2, "rooms");
    assert.equal((reveal(rooms.inputs) as { name: string }).name, "rooms");
    assert.equal(rooms.importId, `${"0123456789abcdef0123456789abcdef"}/rooms/default`, "adopted under its declared name");
    assert.equal((reveal(one(ev, TYPES.queue, "jobs").inputs) as { queueName: string }).queueName, "x-dlq");
    const g = stackGraph(ev);
    assert.ok(!/testonly/.test(g), `the graph of production has no testonly worker:\n${g}`);
    assert.match(stackGraph(await evaluate("staging", { root, secrets: {} })), /testonly/);
  });

  it("the environment var renamed (value per stack), the version var off, one name a plain var on one worker and a secret on another", async () => {
    const staging = await evaluate("staging", { root, secrets: {} });
    const production = await evaluate("production", { root, secrets: {} });
    for (const [ev, value] of [[staging, "staging"], [production, "prod"]] as const) {
      const api = bindingsOf(ev, "api");
      assert.deepEqual(api.ENV_NAME, { name: "ENV_NAME", type: "plain_text", text: value });
      assert.equal(api.ENVIRONMENT, undefined);
      assert.equal(api.VERSION, undefined, "versionVar: false injects no version");
      assert.equal(api.SHARED!.type, "secret_text");
      assert.deepEqual(bindingsOf(ev, "auth").SHARED, { name: "SHARED", type: "plain_text", text: "plain on auth" });
    }
  });

  it("D1 read replication is sent only when declared", async () => {
    const ev = await evaluate("staging", { root, secrets: {} });
    assert.deepEqual((reveal(one(ev, TYPES.d1, "main").inputs) as Record<string, unknown>).readReplication, { mode: "auto" });
    assert.ok(!("readReplication" in (reveal(one(ev, TYPES.d1, "other").inputs) as Record<string, unknown>)), "not declared: not sent (Cloudflare's mode stays)");
  });

  it("a class transferred from another worker names that worker's declared script", async () => {
    const system = structuredClone(SYSTEM) as any;
    system.workers.auth.durableObjects = {};
    system.workers.api.durableObjects = { Room: { sqlite: true } };
    system.workers.api.durableObjectMigrations = [{ tag: "v1", transferredClasses: [{ from: "Room", fromWorker: "auth", to: "Room" }] }];
    fs.appendFileSync(path.join(root, "workers", "api.js"), "\nexport class Room { constructor() {} fetch() { return new Response(''); } }\n");
    const ev = await evaluate("staging", { root, system, secrets: {} });
    assert.ifError(ev.error);
    const cmd = ev.resources.find((r) => r.type === TYPES.command && r.name === "api-do-migrations");
    assert.ok(cmd, ev.resources.map((r) => r.name).join(", "));
    const history = JSON.parse((reveal(cmd.inputs) as { create: string }).create).history as { transferredClasses?: { fromScript: string }[] }[];
    assert.equal(history[0]!.transferredClasses![0]!.fromScript, "ens");
  });

  describe("refused, with the path and a fix", () => {
    const cases: { name: string; change: (s: any) => void; stack?: string; expect: string[] }[] = [
      { name: "an unknown placeholder", change: (s) => (s.queues.jobs.name = "{app}-{env}"), expect: ["system.queues.jobs.name: unknown placeholder {env}: a name may use {app}, {key}, {stack}, {suffix}"] },
      { name: "an R2 name Cloudflare refuses", change: (s) => (s.r2Buckets.rooms.name = "rooms_{stack}"), expect: ['system.r2Buckets.rooms.name: R2 bucket name "rooms_staging" is not a name Cloudflare accepts', "change its name"] },
      { name: "an uppercase script name", change: (s) => (s.workers.auth.name = "Ens"), expect: ['system.workers.auth.name: script name "Ens" is not a name Cloudflare accepts: lowercase letters'] },
      { name: "a queue name ending in a dash", change: (s) => (s.queues.jobs.name = "jobs-"), expect: ['system.queues.jobs.name: queue name "jobs-" is not a name Cloudflare accepts'] },
      { name: "a workflow name too long", change: (s) => (s.workers.auth.workflows = { flow: { className: "Flow", name: "w".repeat(65) } }), expect: ["system.workers.auth.workflows.flow.name: workflow name", "is 65 characters; Cloudflare allows 64"] },
      {
        name: "two queues with one name on a stack",
        change: (s) => (s.queues.other = { name: "x-staging-dlq" }),
        expect: ['system.queues.other.name: name "x-staging-dlq" is also the name of system.queues.jobs on stack staging'],
      },
      { name: "two scripts with one name", change: (s) => (s.workers.testonly.name = "ens"), expect: ['system.workers.testonly.name: name "ens" is also the name of system.workers.auth on stack staging'] },
      {
        name: "a binding to a worker absent from the stack",
        stack: "production",
        change: (s) => (s.workers.api.bindings.TEST = { service: "testonly" }),
        expect: ['system.workers.api.bindings.TEST: binds worker "testonly" does not exist on stack production (its stacks: staging)', "add production to system.workers.testonly.stacks"],
      },
      { name: "a misspelt stack", change: (s) => (s.workers.testonly.stacks = ["stagin"]), expect: ['system.workers.testonly.stacks.0: stack "stagin" is not a stack of this project (did you mean "staging"?): there is no Pulumi.stagin.yaml'] },
      { name: "a worker on no stack", change: (s) => (s.workers.testonly.stacks = []), expect: ["system.workers.testonly.stacks: list at least one stack"] },
      { name: "the renamed environment var declared as a var", change: (s) => (s.workers.auth.vars.ENV_NAME = "x"), expect: ["system.workers.auth.vars.ENV_NAME: ENV_NAME is injected into every worker", "environmentVar / versionVar"] },
      { name: "both injected vars under one name", change: (s) => (s.versionVar = "ENV_NAME"), expect: ["system.versionVar: ENV_NAME is also the environmentVar"] },
      { name: "a var that is a secret of the same worker", change: (s) => (s.workers.api.vars = { SHARED: "x" }), expect: ["system.workers.api.vars.SHARED: SHARED is one of this worker's secrets and cannot also be a plain var on it"] },
      { name: "an unknown read replication mode", change: (s) => (s.databases.other.readReplication = "on"), expect: ["system.databases.other.readReplication: must be auto or disabled"] },
    ];
    for (const c of cases)
      it(c.name, async () => {
        const system = structuredClone(SYSTEM) as any;
        c.change(system);
        const ev = await evaluate(c.stack ?? "staging", { root, system, secrets: {} });
        assert.ok(ev.error, "the program must fail");
        for (const e of c.expect) assert.ok(ev.error.message.includes(e), `expected "${e}" in:\n${ev.error.message}`);
        assert.deepEqual(ev.resources, []);
      });

    it("ENVIRONMENT is a free name once the injected var is renamed", async () => {
      const system = structuredClone(SYSTEM) as any;
      system.workers.auth.vars.ENVIRONMENT = "production";
      const ev = await evaluate("staging", { root, system, secrets: {} });
      assert.ifError(ev.error);
      assert.deepEqual(bindingsOf(ev, "auth").ENVIRONMENT, { name: "ENVIRONMENT", type: "plain_text", text: "production" });
    });
  });
});

function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    }).on("error", reject);
  });
}

describe("local runner with explicit names and a worker on some stacks only", function () {
  this.timeout(180_000);
  let root: string;
  let local: LocalStack;
  before(async () => {
    root = project();
    local = await startLocal({ root, stack: "staging", port: 0, stateDir: path.join(root, ".state"), fresh: true, log: () => undefined });
  });
  after(async () => {
    await local?.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const url = (key: string) => local.workers.find((w) => w.key === key)!.url;

  it("runs each worker under its physical name; a service binding reaches the literal `ens`", async () => {
    assert.deepEqual(local.workers.map((w) => w.scriptName).sort(), ["ens", "main-tldraw-multiplayer", "nm-testonly-staging"]);
    const res = await get(`${url("api")}/auth`);
    assert.equal(res.status, 200);
    assert.match(res.text, /^auth:plain on auth$/, "auth sees SHARED as its plain var");
  });

  it("the worker sees the renamed environment var and no version var; the secret of the same name is its own", async () => {
    const api = JSON.parse((await get(`${url("api")}/env`)).text) as { names: string[]; env: string; shared: string };
    assert.equal(api.env, "staging");
    assert.ok(!api.names.includes("VERSION") && !api.names.includes("ENVIRONMENT"), api.names.join(", "));
    assert.equal(api.shared.length, 32, "a generated secret, not auth's plain var");
  });

  it("applies the migrations in wrangler's order (039b_fix.sql after 0002, unnumbered last, no dot files), and R2 under its declared name", async () => {
    assert.deepEqual(JSON.parse((await get(`${url("api")}/migrations`)).text), ["0001_init.sql", "0002_two.sql", "039b_fix.sql", "0040_more.sql", "seed.sql"]);
    assert.equal((await get(`${url("api")}/rooms`)).text, "v");
  });

  it("/health checks the renamed environment var's value and skips the switched-off version", async () => {
    const { ok, report } = await validateStack({ root, stack: "staging", local: true, log: () => undefined });
    assert.ok(ok, report);
  });

  it("production has no testonly worker locally either", async () => {
    const prod = await startLocal({ root, stack: "production", port: 0, stateDir: path.join(root, ".state-prod"), fresh: true, log: () => undefined });
    try {
      assert.deepEqual(prod.workers.map((w) => w.scriptName).sort(), ["ens", "tldraw-multiplayer"]);
      const api = JSON.parse((await get(`${prod.workers.find((w) => w.key === "api")!.url}/env`)).text) as { env: string };
      assert.equal(api.env, "prod");
    } finally {
      await prod.dispose();
    }
  });
});

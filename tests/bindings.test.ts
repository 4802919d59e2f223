/**
 * The binding kinds beyond the system's own resources (Workers AI, Browser Rendering, version
 * metadata, Analytics Engine, Vectorize, Hyperdrive, send_email, rate limiting, mTLS certificates,
 * dispatch namespaces, AI Search namespaces, Artifacts): what the program registers for each, what a worker sees of each in the
 * local runner, and the validation of each.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HYPERDRIVE_LOCAL_ENV } from "../config/bindingKinds";
import { parseConnectionString } from "../config/hyperdrives";
import { stackGraph } from "../scripts/graph";
import { wranglerConfigFor } from "../scripts/bench/wranglerDev";
import { parseDryRun } from "../scripts/corpus-reference";
import { checkWorker } from "../checks/healthCheck";
import { type LocalStack, startLocal } from "../local/runner";
import { targetsOf } from "../checks/targets";
import { evaluate, isSecret, ofType, plainStrings, reveal, ROOT, TEST_IDS, TYPES } from "./helpers";

const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const CONNECTION = "postgres://app:s3cret-pw@db.example.net:6543/shop";

/** The worker: `/health` from the shared contract, `/use` calls what can be called locally. */
const WORKER = `import { EmailMessage } from "cloudflare:email";
import { health } from ${JSON.stringify(path.join(ROOT, "workers", "shared", "http.ts"))};

const NEEDS = { AI: "ai", BROWSER: "browser", VERSION_META: "version", EVENTS: "analytics", DOCS: "vectorize", SHOP_DB: "hyperdrive", MAILER: "email", LIMITER: "ratelimit", CLIENT_CERT: "mtls", TENANTS: "dispatch", SEARCH: "aiSearch", ARTIFACTS: "artifacts" };

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return health("edge", env, NEEDS);
    const out = {};
    out.limits = [(await env.LIMITER.limit({ key: "k" })).success, (await env.LIMITER.limit({ key: "k" })).success, (await env.LIMITER.limit({ key: "other" })).success];
    env.EVENTS.writeDataPoint({ blobs: ["/use"], doubles: [1], indexes: ["k"] });
    out.version = typeof env.VERSION_META.id === "string" && typeof env.VERSION_META.timestamp === "string";
    out.hyperdrive = env.SHOP_DB ? { database: env.SHOP_DB.database, user: env.SHOP_DB.user } : null;
    const ai = await env.AI.fetch("http://ai/");
    out.ai = [ai.status, await ai.text()];
    // What real code calls (env.AI.run, an index's query, a dispatch namespace's get) fails saying why.
    const call = async (f) => { try { await f(); return "returned"; } catch (e) { return String(e); } };
    out.calls = {
      ai: await call(() => env.AI.run("@cf/meta/llama-3.1-8b-instruct", { prompt: "hi" })),
      vectorize: await call(() => env.DOCS.query([0.1, 0.2])),
      dispatch: await call(() => env.TENANTS.get("tenant").fetch("http://t/")),
    };
    const raw = (to) => ["From: app@example.com", "To: " + to, "Subject: hi", "Message-ID: <" + crypto.randomUUID() + "@example.com>", "Date: " + new Date().toUTCString(), "", "hello"].join("\\r\\n");
    try { await env.MAILER.send(new EmailMessage("app@example.com", "ops@example.com", raw("ops@example.com"))); out.allowed = "sent"; } catch (e) { out.allowed = String(e); }
    try { await env.MAILER.send(new EmailMessage("app@example.com", "else@example.com", raw("else@example.com"))); out.refused = "sent"; } catch (e) { out.refused = String(e); }
    return Response.json(out);
  },
};
`;

const SYSTEM = {
  app: "bk",
  zone: "example.com",
  compatibilityDate: "2025-09-01",
  secrets: { SHOP_DATABASE_URL: { from: "config" } },
  hyperdrives: { shop: { connectionString: "SHOP_DATABASE_URL" } },
  workers: {
    edge: {
      entry: "index.js",
      bindings: {
        AI: { ai: true },
        BROWSER: { browser: true },
        VERSION_META: { versionMetadata: true },
        EVENTS: { analyticsEngine: "edge_events" },
        DOCS: { vectorize: "docs-index" },
        SHOP_DB: { hyperdrive: "shop" },
        MAILER: { sendEmail: { destinationAddress: "ops@example.com", allowedSenderAddresses: ["app@example.com"] } },
        LIMITER: { rateLimit: { namespaceId: "1001", limit: 1, period: 60 } },
        CLIENT_CERT: { mtlsCertificate: "0f6b4a1c-2d3e-4f50-8a6b-7c8d9e0f1a2b" },
        TENANTS: { dispatchNamespace: "customers" },
        SEARCH: { aiSearchNamespace: "dev-stack" },
        ARTIFACTS: { artifacts: "default" },
      },
    },
  },
};

function project(system: unknown = SYSTEM): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-bindings-"));
  fs.writeFileSync(path.join(dir, "index.js"), WORKER);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: bindings\nruntime: nodejs\nconfig:\n  bindings:system:\n    value: ${JSON.stringify(system)}\n`);
  fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config: {}\n");
  return dir;
}

const secrets = { SHOP_DATABASE_URL: CONNECTION };

describe("binding kinds: AI, browser, version metadata, Analytics Engine, Vectorize, Hyperdrive, send_email, rate limits, mTLS, dispatch, AI Search, Artifacts", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = project()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("registers each binding exactly as the provider's WorkersScriptBinding takes it", async () => {
    const ev = await evaluate("staging", { root: dir, secrets });
    const [script] = ofType(ev, TYPES.script);
    const [hd] = ofType(ev, TYPES.hyperdrive);
    const hyperdriveId = hd!.id;
    const bindings = (reveal(script!.inputs.bindings) as { name: string }[]).filter((b) => !["ENVIRONMENT", "VERSION"].includes(b.name));
    assert.deepEqual(bindings, [
      { name: "AI", type: "ai" },
      { name: "ARTIFACTS", type: "artifacts", namespace: "default" },
      { name: "BROWSER", type: "browser" },
      { name: "CLIENT_CERT", type: "mtls_certificate", certificateId: "0f6b4a1c-2d3e-4f50-8a6b-7c8d9e0f1a2b" },
      { name: "DOCS", type: "vectorize", indexName: "docs-index" },
      { name: "EVENTS", type: "analytics_engine", dataset: "edge_events" },
      { name: "LIMITER", type: "ratelimit", namespaceId: "1001", simple: { limit: 1, period: 60 } },
      { name: "MAILER", type: "send_email", destinationAddress: "ops@example.com", allowedSenderAddresses: ["app@example.com"] },
      { name: "SEARCH", type: "ai_search_namespace", namespace: "dev-stack" },
      { name: "SHOP_DB", type: "hyperdrive", id: hyperdriveId },
      { name: "TENANTS", type: "dispatch_namespace", namespace: "customers" },
      { name: "VERSION_META", type: "version_metadata" },
    ]);
  });

  it("creates the Hyperdrive configuration from the secret connection string, never in plaintext", async () => {
    const ev = await evaluate("staging", { root: dir, secrets });
    const [hd] = ofType(ev, TYPES.hyperdrive);
    assert.equal(hd!.inputs.name, "bk-shop-staging");
    assert.equal(hd!.inputs.accountId, TEST_IDS.accountId);
    assert.ok(isSecret(hd!.inputs.origin), "the origin is a Pulumi secret");
    assert.deepEqual(reveal(hd!.inputs.origin), { scheme: "postgres", host: "db.example.net", port: 6543, database: "shop", user: "app", password: "s3cret-pw" });
    // Neither the password nor the connection string appears outside a secret anywhere.
    const plain = ev.resources.flatMap((r) => plainStrings(r.inputs));
    assert.ok(!plain.some((s) => s.includes("s3cret-pw") || s.includes(CONNECTION)));
  });

  it("adopts a hyperdrive by id on a stack: no configuration, the binding sends that id, its secret is not needed", async () => {
    const id = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    const ev = await evaluate("staging", { root: dir, secrets: {}, stackSettings: { imports: { hyperdrives: { shop: id } } } });
    assert.equal(ofType(ev, TYPES.hyperdrive).length, 0);
    const [script] = ofType(ev, TYPES.script);
    assert.deepEqual((reveal(script!.inputs.bindings) as { name: string }[]).find((b) => b.name === "SHOP_DB"), { name: "SHOP_DB", type: "hyperdrive", id });
  });

  it("generates Env types with workers-types names and draws each in the graph", async () => {
    const { workerEnv } = await import("../config/envTypes");
    const env = workerEnv(SYSTEM as never, "edge");
    assert.deepEqual(Object.fromEntries([...env].map(([k, v]) => [k, v.ts])), {
      AI: "Ai",
      BROWSER: "BrowserRun",
      VERSION_META: "WorkerVersionMetadata",
      EVENTS: "AnalyticsEngineDataset",
      DOCS: "VectorizeIndex",
      SHOP_DB: "Hyperdrive",
      MAILER: "SendEmail",
      LIMITER: "RateLimit",
      CLIENT_CERT: "Fetcher",
      TENANTS: "DispatchNamespace",
      SEARCH: "AiSearchNamespace",
      ARTIFACTS: "Artifacts",
    });
    const graph = stackGraph(await evaluate("staging", { root: dir, secrets }));
    for (const label of ["Workers AI", "Browser Rendering", "Analytics Engine edge_events", "Vectorize docs-index", "rate limit 1001: 1 per 60 s", "e-mail to ops@example.com", "dispatch namespace customers", "AI Search dev-stack", "Artifacts default"])
      assert.ok(graph.includes(label), `graph draws ${label}`);
    assert.match(graph, /-->\|"SHOP_DB"\| hyperdrive_/);
  });

  it("wrangler accepts the kinds' wrangler entries and lists the same bindings (deploy --dry-run)", async () => {
    const ev = await evaluate("staging", { root: dir, secrets });
    const [script] = ofType(ev, TYPES.script);
    const { config } = wranglerConfigFor(script!, ev.resources);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-bindings-dry-"));
    try {
      fs.writeFileSync(path.join(out, "wrangler.json"), JSON.stringify(config));
      const r = await new Promise<{ stdout: string; stderr: string; ok: boolean }>((resolve) =>
        execFile(
          process.execPath,
          [WRANGLER, "deploy", "--dry-run", "--outdir", path.join(out, "dist"), "-c", "wrangler.json"],
          { cwd: out, env: { ...process.env, CI: "true", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_API_TOKEN: "", WRANGLER_LOG_PATH: path.join(out, "logs") } },
          (err, stdout, stderr) => resolve({ stdout, stderr, ok: !err }),
        ),
      );
      const parsed = parseDryRun(r.stdout, r.stderr, r.ok, []);
      assert.ok(parsed.ok, `${r.stdout}\n${r.stderr}`);
      const kinds = Object.fromEntries(parsed.bindings.filter((b) => !["ENVIRONMENT", "VERSION"].includes(b.name)).map((b) => [b.name, b.kind]));
      assert.deepEqual(kinds, {
        AI: "AI",
        BROWSER: "Browser Run",
        VERSION_META: "Worker Version Metadata",
        EVENTS: "Analytics Engine Dataset",
        DOCS: "Vectorize Index",
        SHOP_DB: "Hyperdrive Config",
        MAILER: "Send Email",
        LIMITER: "Rate Limit",
        CLIENT_CERT: "mTLS Certificate",
        TENANTS: "Dispatch Namespace",
        SEARCH: "AI Search Namespace",
        ARTIFACTS: "Artifacts",
      });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  describe("in the local runner", () => {
    let local: LocalStack;
    let state: string;
    before(async () => {
      state = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-bindings-state-"));
      process.env[`${HYPERDRIVE_LOCAL_ENV}SHOP_DB`] = "postgres://dev:devpw@127.0.0.1:5432/shop_dev";
      try {
        local = await startLocal({ root: dir, stack: "staging", port: 0, stateDir: state, secrets, plain: TEST_IDS, log: () => undefined });
      } finally {
        delete process.env[`${HYPERDRIVE_LOCAL_ENV}SHOP_DB`];
      }
    });
    after(async () => {
      await local?.dispose();
      fs.rmSync(state, { recursive: true, force: true });
    });

    it("each binding is present with the type /health reports, and the health check finds every one ok", async () => {
      const targets = targetsOf(local.evaluation, "", (scriptName) => ({ url: local.workers.find((w) => w.scriptName === scriptName)?.url }));
      const health = await checkWorker(targets[0]!);
      assert.deepEqual(
        health.rows.filter((r) => r.verdict !== "ok").map((r) => `${r.name}: ${r.verdict} ${r.detail ?? ""}`),
        [],
      );
      assert.equal(health.rows.length, 12);
    });

    it("emulates rate limits, Analytics Engine, version metadata, send_email rules and Hyperdrive from the local connection string", async () => {
      const out = (await (await fetch(`${local.workers[0]!.url}/use`)).json()) as Record<string, unknown>;
      // limit 1 per 60 s: the second call with the same key is refused, another key is not.
      assert.deepEqual(out.limits, [true, false, true]);
      assert.equal(out.version, true);
      assert.deepEqual(out.hyperdrive, { database: "shop_dev", user: "dev" });
      assert.equal(out.allowed, "sent");
      assert.match(String(out.refused), /else@example\.com/);
      // AI is Cloudflare's only: a stand-in answers 501 and says so.
      assert.equal((out.ai as [number, string])[0], 501);
      assert.match((out.ai as [number, string])[1], /Workers AI is not emulated locally/);
      const calls = out.calls as Record<string, string>;
      assert.match(calls.ai!, /^Error: workers-stack: Workers AI is not emulated locally .*AI of .* \(run\(\) was called\)$/);
      assert.match(calls.vectorize!, /^Error: workers-stack: Vectorize index docs-index is not emulated locally .* \(query\(\) was called\)$/);
      assert.match(calls.dispatch!, /^Error: workers-stack: dispatch namespace customers is not emulated locally .* \(get\(\) was called\)$/);
    });

    it("names what it does not emulate", () => {
      for (const what of ["Workers AI", "Browser Rendering", "Vectorize index docs-index", "mTLS certificate", "dispatch namespace customers", "AI Search namespace dev-stack", "Artifacts namespace default"])
        assert.ok(local.notices.some((n) => n.startsWith(what) && n.includes("not emulated locally")), `a notice for ${what}: ${local.notices.join("\n")}`);
    });
  });

  it("without a local connection string, the runner names the variable to set and the worker has no hyperdrive", async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-bindings-state-"));
    const local = await startLocal({ root: dir, stack: "staging", port: 0, stateDir: state, secrets, plain: TEST_IDS, log: () => undefined });
    try {
      assert.ok(local.notices.some((n) => n.includes(`${HYPERDRIVE_LOCAL_ENV}SHOP_DB=`)), local.notices.join("\n"));
      const out = (await (await fetch(`${local.workers[0]!.url}/use`)).json()) as Record<string, unknown>;
      assert.equal(out.hyperdrive, null);
    } finally {
      await local.dispose();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});

describe("binding kinds: validation", function () {
  this.timeout(120_000);

  const cases: { name: string; change: (s: any) => void; stackSettings?: unknown; secrets?: Record<string, string>; expect: string[] }[] = [
    { name: "a rate-limit period other than 10 or 60", change: (s) => (s.workers.edge.bindings.LIMITER.rateLimit.period = 30), expect: ["system.workers.edge.bindings.LIMITER.rateLimit.period: must be 10 or 60 (seconds)"] },
    { name: "a rate-limit namespace that is not a positive integer", change: (s) => (s.workers.edge.bindings.LIMITER.rateLimit.namespaceId = "rl-1"), expect: ['system.workers.edge.bindings.LIMITER.rateLimit.namespaceId: must be a positive integer as a string'] },
    { name: "a rate limit without its limit", change: (s) => delete s.workers.edge.bindings.LIMITER.rateLimit.limit, expect: ["system.workers.edge.bindings.LIMITER.rateLimit.limit"] },
    { name: "a dataset name Cloudflare cannot query", change: (s) => (s.workers.edge.bindings.EVENTS.analyticsEngine = "edge events.v1"), expect: ["system.workers.edge.bindings.EVENTS.analyticsEngine: must be an Analytics Engine dataset name"] },
    { name: "a Vectorize index name with capitals", change: (s) => (s.workers.edge.bindings.DOCS.vectorize = "Docs_Index"), expect: ["system.workers.edge.bindings.DOCS.vectorize: must be a Vectorize index name"] },
    { name: "a Vectorize index name ending with a dash", change: (s) => (s.workers.edge.bindings.DOCS.vectorize = "docs-"), expect: ["system.workers.edge.bindings.DOCS.vectorize: must be a Vectorize index name"] },
    { name: "a Vectorize index name starting with a digit", change: (s) => (s.workers.edge.bindings.DOCS.vectorize = "7docs"), expect: ["system.workers.edge.bindings.DOCS.vectorize: must be a Vectorize index name"] },
    { name: "ai: false", change: (s) => (s.workers.edge.bindings.AI = { ai: false }), expect: ["system.workers.edge.bindings.AI.ai: must be true"] },
    { name: "two targets, one of them true", change: (s) => (s.workers.edge.bindings.AI = { ai: true, vectorize: "docs-index" }), expect: ["system.workers.edge.bindings.AI: a binding names exactly one target", "{ ai: true }"] },
    { name: "two AI bindings on one worker", change: (s) => (s.workers.edge.bindings.AI2 = { ai: true }), expect: ["system.workers.edge.bindings.AI2: AI already binds ai: a worker has one ai binding"] },
    { name: "send_email with both destination rules", change: (s) => (s.workers.edge.bindings.MAILER.sendEmail.allowedDestinationAddresses = ["a@example.com"]), expect: ["system.workers.edge.bindings.MAILER.sendEmail: give destinationAddress (one address) or allowedDestinationAddresses (a list), not both"] },
    { name: "send_email to something that is no address", change: (s) => (s.workers.edge.bindings.MAILER.sendEmail.destinationAddress = "ops"), expect: ["system.workers.edge.bindings.MAILER.sendEmail.destinationAddress: must be an e-mail address"] },
    { name: "a hyperdrive key not declared", change: (s) => (s.workers.edge.bindings.SHOP_DB = { hyperdrive: "shops" }), expect: ['system.workers.edge.bindings.SHOP_DB: hyperdrive "shops" is not declared', "declared hyperdrives: shop"] },
    { name: "a hyperdrive neither imported nor given a connection string", change: (s) => delete s.hyperdrives.shop.connectionString, expect: ['system.hyperdrives.shop: hyperdrive "shop" has no connection string on stack staging and is not adopted', "imports: { hyperdrives: { shop: <id> } }"] },
    { name: "a connection string secret not declared", change: (s) => (s.hyperdrives.shop.connectionString = "SHOP_URL"), expect: ["system.hyperdrives.shop.connectionString: secret SHOP_URL is not declared"] },
    { name: "a generated connection string", change: (s) => (s.secrets.SHOP_DATABASE_URL = { generate: { length: 32 } }), expect: ["system.hyperdrives.shop.connectionString: secret SHOP_DATABASE_URL is generated"] },
    { name: "a connection string that is no database URL", change: () => undefined, secrets: { SHOP_DATABASE_URL: "https://user:pw@db.example.net/shop" }, expect: ['bindings:SHOP_DATABASE_URL: the connection string of hyperdrive "shop" has scheme "https"'] },
    { name: "a connection string to a loopback host", change: () => undefined, secrets: { SHOP_DATABASE_URL: "postgres://u:p@127.0.0.1:5432/shop" }, expect: ["points at 127.0.0.1, a private or loopback address"] },
    { name: "a connection string whose password has a bare '%'", change: () => undefined, secrets: { SHOP_DATABASE_URL: "postgres://app:50%off@db.example.net:5432/shop" }, expect: ['bindings:SHOP_DATABASE_URL: the connection string of hyperdrive "shop" has a \'%\' that starts no percent-escape', "%25"] },
    { name: "an unknown placeholder in a hyperdrive name", change: (s) => (s.hyperdrives.shop.name = "{app}-{db}"), expect: ["system.hyperdrives.shop.name: unknown placeholder {db}: a name may use {app}, {key}, {stack}, {suffix}"] },
    { name: "the connection string itself given as connectionString (not a secret's name)", change: (s) => (s.hyperdrives.shop.connectionString = "postgres://app:s3cret-pw@db.example.net:6543/shop"), expect: ["system.hyperdrives.shop.connectionString: must be the NAME of a system secret { from: config } holding the connection string (e.g. DATABASE_URL), never the connection string itself"] },
    { name: "an adopted hyperdrive that is not declared", change: () => undefined, stackSettings: { imports: { hyperdrives: { shop: "a1b2c3d4e5f60718293a4b5c6d7e8f90", other: "a1b2c3d4e5f60718293a4b5c6d7e8f90" } } }, expect: ['stack.imports.hyperdrives.other: hyperdrive "other" is not declared'] },
    { name: "an adopted hyperdrive id of the wrong shape", change: () => undefined, stackSettings: { imports: { hyperdrives: { shop: "abc" } } }, expect: ['stack.imports.hyperdrives.shop: "abc" is not a 32-character hex Hyperdrive configuration id'] },
  ];

  for (const c of cases)
    it(c.name, async () => {
      const system = JSON.parse(JSON.stringify(SYSTEM));
      c.change(system);
      const dir = project(system);
      try {
        const ev = await evaluate("staging", { root: dir, secrets: c.secrets ?? secrets, ...(c.stackSettings ? { stackSettings: c.stackSettings } : {}) });
        const err = ev.error;
        assert.ok(err, "the program must fail");
        assert.equal(ofType(ev, TYPES.script).length, 0, "nothing is registered");
        for (const text of c.expect) assert.ok(err.message.includes(text), `expected "${text}" in:\n${err.message}`);
        // The connection string never appears in a message.
        assert.ok(!err.message.includes("s3cret-pw") && !err.message.includes(c.secrets?.SHOP_DATABASE_URL ?? "\0"));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

  it("takes a Vectorize index name with '_', as Cloudflare's API does", async () => {
    const system = JSON.parse(JSON.stringify(SYSTEM));
    system.workers.edge.bindings.DOCS.vectorize = "docs_embeddings_v2";
    const dir = project(system);
    try {
      const ev = await evaluate("staging", { root: dir, secrets });
      assert.ifError(ev.error);
      const [script] = ofType(ev, TYPES.script);
      assert.deepEqual((reveal(script!.inputs.bindings) as { name: string }[]).find((b) => b.name === "DOCS"), { name: "DOCS", type: "vectorize", indexName: "docs_embeddings_v2" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("judges IP addresses, not host names, as private", () => {
    // Public host names that merely begin like a private address or "localhost" are origins Cloudflare takes.
    for (const host of ["10.db.example.net", "127.example.net", "localhost-proxy.example.net", "192.168.example.net", "fd00.example.net"])
      assert.equal((parseConnectionString(`postgres://a:b@${host}:5432/x`) as { host?: string }).host, host, host);
    for (const host of ["localhost", "db.localhost", "10.1.2.3", "127.0.0.1", "172.16.0.9", "192.168.1.1", "169.254.0.1", "0.0.0.0", "[::1]", "[fd12:3456::1]", "[fe80::1]"])
      assert.match((parseConnectionString(`postgres://a:b@${host}:5432/x`) as { problem?: string }).problem ?? "", /private or loopback/, host);
    // A percent-escaped password is decoded, as wrangler decodes it.
    assert.equal((parseConnectionString("postgres://a:p%25ss@db.example.net/x") as { password: string }).password, "p%ss");
  });

  it("parses connection strings with Postgres and MySQL default ports", () => {
    assert.deepEqual(parseConnectionString("postgresql://a:b@db.example.net/x"), { scheme: "postgresql", host: "db.example.net", port: 5432, database: "x", user: "a", password: "b" });
    assert.equal((parseConnectionString("mysql://a:b@db.example.net/x") as { port: number }).port, 3306);
    assert.match((parseConnectionString("postgres://db.example.net/x") as { problem: string }).problem, /lacks a user, a password/);
  });
});

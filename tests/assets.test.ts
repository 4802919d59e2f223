/**
 * Static assets and assets-only workers (examples/static-assets): the registered WorkersScript
 * inputs under the mock runtime, the staged upload folder and its manifest hash (the provider's
 * change detection), the validation errors, and what the local runner actually serves.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { stageAssets } from "../components/assets";
import { ignoreMatcher, runWorkerFirstProblems, scanAssets } from "../config/assets";
import { Evaluation } from "../harness/evaluate";
import { checkWorker } from "../checks/healthCheck";
import { startLocal, type LocalStack } from "../local/runner";
import { evaluate, one, reveal, ROOT, TYPES } from "./helpers";

const EXAMPLE = path.join(ROOT, "examples", "static-assets");
const T = TYPES;
const system = () => JSON.parse(JSON.stringify(readSystem()));
function readSystem(): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readStackConfig } = require("../harness/pulumiConfig") as typeof import("../harness/pulumiConfig");
  return JSON.parse(readStackConfig(EXAMPLE, "staging").config["static-assets:system"]!);
}
const inputsOf = (ev: Evaluation, key: string) => reveal(one(ev, T.script, key).inputs) as any;

/** One GET with an optional Host header: status, headers and body. */
function get(url: string, host?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: host ? { host } : {} }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("static assets: registered inputs", () => {
  let ev: Evaluation;
  before(async () => {
    ev = await evaluate("staging", { root: EXAMPLE, secrets: {} });
    assert.equal(ev.error, undefined, ev.error?.message);
  });

  it("a worker with code sends assets (the staged folder, the declared settings, _headers) and the ASSETS binding", () => {
    const web = inputsOf(ev, "web");
    assert.deepEqual(web.assets, {
      directory: "examples/static-assets/.workers-stack/assets/staging/web",
      config: {
        headers: fs.readFileSync(path.join(EXAMPLE, "public/web/_headers"), "utf8"),
        notFoundHandling: "single-page-application",
        runWorkerFirst: ["/api/*", "/health", "!/api/docs/*"],
      },
    });
    assert.deepEqual(web.bindings.find((b: any) => b.name === "ASSETS"), { name: "ASSETS", type: "assets" });
    assert.equal(web.mainModule, "worker.js");
    assert.ok(web.contentFile && web.contentSha256);
  });

  it("an assets-only worker uploads no module and no bindings (as wrangler), only its assets", () => {
    const docs = inputsOf(ev, "docs");
    assert.deepEqual(docs, {
      accountId: "0123456789abcdef0123456789abcdef",
      scriptName: "shop-docs-staging",
      compatibilityDate: "2025-09-01",
      compatibilityFlags: [],
      assets: { directory: "examples/static-assets/.workers-stack/assets/staging/docs", config: { htmlHandling: "drop-trailing-slash", notFoundHandling: "404-page" } },
    });
  });

  it("the staged folder holds exactly the files wrangler uploads (.assetsignore, _headers left out)", () => {
    const list = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]));
    assert.deepEqual(list(path.join(EXAMPLE, ".workers-stack/assets/staging/web")).sort(), ["assets/app.js", "index.html"]);
    assert.deepEqual(list(path.join(EXAMPLE, ".workers-stack/assets/staging/docs")).sort(), ["404.html", "guide.html", "index.html"]);
  });

  it("the graph and the generated Env know the assets", async () => {
    const env = fs.readFileSync(path.join(EXAMPLE, "workers/web/env.generated.ts"), "utf8");
    assert.match(env, /ASSETS: Fetcher;/);
    assert.match(env, /ASSETS: "assets",/);
    assert.ok(!fs.existsSync(path.join(EXAMPLE, "public/docs/env.generated.ts")), "an assets-only worker has no code to type");
    const { stackGraph } = await import("../scripts/graph");
    const g = stackGraph(ev);
    assert.match(g, /worker_web -->\|"ASSETS"\| assets_web/);
    assert.match(g, /assets_docs\[\/"assets of docs<br\/>assets only, 404-page"\\\]/);
  });
});

describe("static assets: the upload folder and the provider's change detection", () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "ws-assets-"));
    fs.mkdirSync(path.join(root, "site/sub"), { recursive: true });
    fs.writeFileSync(path.join(root, "site/a.txt"), "abc");
    fs.writeFileSync(path.join(root, "site/sub/c.txt"), "hello");
    fs.writeFileSync(path.join(root, "site/_redirects"), "/old /new 301\n");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("hashes the manifest as the provider does (Go JSON of path → first 32 hex of sha256, size)", () => {
    const staged = stageAssets(root, "site", "out");
    const h = (s: string) => createHash("sha256").update(s).digest("hex");
    const expected = h(`{"/a.txt":{"hash":"${h("abc").slice(0, 32)}","size":3},"/sub/c.txt":{"hash":"${h("hello").slice(0, 32)}","size":5}}`);
    assert.equal(staged.manifestSha256, expected);
    assert.equal(staged.redirects, "/old /new 301\n");
    assert.equal(staged.files, 2);
  });

  it("unchanged files give the same hash (no diff, nothing uploaded); a changed, added or removed file a new one", () => {
    const first = stageAssets(root, "site", "out").manifestSha256;
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(root, "site/a.txt"), later, later); // touched, same bytes
    assert.equal(stageAssets(root, "site", "out").manifestSha256, first);
    fs.writeFileSync(path.join(root, "site/a.txt"), "abd");
    const changed = stageAssets(root, "site", "out").manifestSha256;
    assert.notEqual(changed, first);
    assert.equal(fs.readFileSync(path.join(root, "out/a.txt"), "utf8"), "abd", "the staged copy follows the source");
    fs.writeFileSync(path.join(root, "site/new.txt"), "x");
    const added = stageAssets(root, "site", "out").manifestSha256;
    assert.notEqual(added, changed);
    fs.rmSync(path.join(root, "site/new.txt"));
    fs.rmSync(path.join(root, "site/sub"), { recursive: true });
    assert.notEqual(stageAssets(root, "site", "out").manifestSha256, added);
    assert.deepEqual(fs.readdirSync(path.join(root, "out")), ["a.txt"], "removed files leave the staged folder");
  });

  it(".assetsignore follows gitignore patterns, and a Pages _worker.js is refused without one", () => {
    const m = ignoreMatcher(["*.map", "/drafts/", "!keep.map", "docs/**/*.tmp"]);
    assert.equal(m("app.js.map", false), true);
    assert.equal(m("deep/x.map", false), true);
    assert.equal(m("keep.map", false), false);
    assert.equal(m("drafts/a.html", false), true);
    assert.equal(m("other/drafts/a.html", false), false);
    assert.equal(m("docs/a/b/c.tmp", false), true);
    assert.equal(m("app.js", false), false);
    fs.writeFileSync(path.join(root, "site/_worker.js"), "export default {}");
    assert.match(scanAssets(path.join(root, "site")).problems.join("\n"), /_worker\.js would be uploaded as a public asset/);
    fs.writeFileSync(path.join(root, "site/.assetsignore"), "_worker.js\n");
    const scan = scanAssets(path.join(root, "site"));
    assert.deepEqual(scan.problems, []);
    assert.deepEqual(scan.files.map((f) => f.rel), ["a.txt", "sub/c.txt"]);
  });

  it("a link to a file inside the project is uploaded (as wrangler does), one leading out of it is refused", () => {
    fs.writeFileSync(path.join(root, "inside.txt"), "in");
    fs.symlinkSync(path.join(root, "inside.txt"), path.join(root, "site/linked.txt"));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "ws-outside-"));
    fs.writeFileSync(path.join(outside, "secret.txt"), "private");
    fs.symlinkSync(path.join(outside, "secret.txt"), path.join(root, "site/leak.txt"));
    try {
      const scan = scanAssets(path.join(root, "site"), root);
      assert.deepEqual(scan.files.map((f) => f.rel), ["a.txt", "linked.txt", "sub/c.txt"]);
      assert.match(scan.problems.join("\n"), /leak\.txt is a link to .*secret\.txt, outside the project/);
      fs.rmSync(path.join(root, "site/leak.txt"));
      stageAssets(root, "site", "out");
      assert.equal(fs.readFileSync(path.join(root, "out/linked.txt"), "utf8"), "in");
      assert.equal(fs.lstatSync(path.join(root, "out/linked.txt")).isSymbolicLink(), false, "the staged copy holds the bytes");
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it("runWorkerFirst rules: wrangler's checks", () => {
    assert.deepEqual(runWorkerFirstProblems(["/api/*", "!/api/docs/*"]), []);
    assert.deepEqual(runWorkerFirstProblems([]), ["no rules: give at least one, e.g. /api/*, or use true / false"]);
    assert.match(runWorkerFirstProblems(["api/*"]).join(), /a rule starts with \/ or !\//);
    assert.match(runWorkerFirstProblems(["!api"]).join(), /a negative rule starts with !\//);
    assert.match(runWorkerFirstProblems(["!/x"]).join(), /only negative rules/);
    assert.match(runWorkerFirstProblems(["/api/*", "/api/x"]).join(), /"\/api\/x": rule "\/api\/\*" already covers it/);
    assert.match(runWorkerFirstProblems(["/a", "/a"]).join(), /duplicate rule/);
    assert.match(runWorkerFirstProblems(Array.from({ length: 101 }, (_, i) => `/p${i}`)).join(), /at most 100/);
  });
});

describe("static assets: the uploaded file set equals what wrangler's own rules serve", function () {
  this.timeout(60_000);
  it(".assetsignore patterns: scanAssets lists exactly the files Miniflare (workers-shared's ignore rules) serves", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-ignore-"));
    const files = ["index.html", "a.map", "keep.map", "drafts/x.html", "blog/drafts/y.html", "docs/a/b/c.tmp", "docs/c.tmp", "img/logo.png", "node_modules/p/i.js", ".hidden", "x/.env", "build/out.js", "notes.md", "sub/notes.md", "Upper.MAP", "assets/app.js", "deep/assets/app.js"];
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), f);
    }
    fs.writeFileSync(path.join(dir, ".assetsignore"), ["# comment", "*.map", "!keep.map", "/drafts/", "docs/**/*.tmp", "node_modules", ".env", "build/", "/notes.md", "assets/*.js", ""].join("\n"));
    const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        cf: false,
        workers: [{ name: "site", modules: true, compatibilityDate: "2025-09-01", script: "export default { fetch() { return new Response('worker', { status: 599 }); } }", assets: { directory: dir, routerConfig: { has_user_worker: false } } }],
      } as Parameters<typeof convertV4MiniflareOptions>[0]),
    );
    try {
      const served: string[] = [];
      for (const f of files) {
        const r = await mf.dispatchFetch(`http://localhost/${f}`);
        const body = await r.text();
        if (r.status === 200 && body === f) served.push(f);
      }
      assert.deepEqual(scanAssets(dir).files.map((f) => f.rel).sort(), served.sort());
      assert.ok(served.includes("keep.map") && !served.includes("a.map") && served.includes("blog/drafts/y.html") && served.includes("sub/notes.md"), served.join(", "));
    } finally {
      await mf.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("static assets: invalid declarations", () => {
  const cases: { name: string; change: (s: any) => void; expect: (string | RegExp)[] }[] = [
    { name: "a folder that does not exist", change: (s) => (s.workers.web.assets.directory = "public/nope"), expect: ["system.workers.web.assets.directory", 'folder "public/nope" does not exist'] },
    { name: "a folder outside the project", change: (s) => (s.workers.web.assets.directory = "../six-services"), expect: ["system.workers.web.assets.directory", "leaves the project root"] },
    { name: "a file instead of a folder", change: (s) => (s.workers.web.assets.directory = "public/docs/index.html"), expect: ['"public/docs/index.html" is a file, not a folder'] },
    { name: "a malformed runWorkerFirst rule", change: (s) => (s.workers.web.assets.runWorkerFirst = ["api/*"]), expect: ["system.workers.web.assets.runWorkerFirst", '"api/*": a rule starts with / or !/'] },
    { name: "only negative runWorkerFirst rules", change: (s) => (s.workers.web.assets.runWorkerFirst = ["!/api/*"]), expect: ["only negative rules"] },
    { name: "an assets binding named like a var", change: (s) => (s.workers.web.assets.binding = "API_NAME"), expect: ["system.workers.web.assets.binding", "API_NAME is already a var of this worker"] },
    { name: "an assets binding on an assets-only worker", change: (s) => (s.workers.docs.assets.binding = "ASSETS"), expect: ["system.workers.docs.assets.binding", "an assets-only worker (no entry) has no code to use a binding"] },
    { name: "runWorkerFirst on an assets-only worker", change: (s) => (s.workers.docs.assets.runWorkerFirst = true), expect: ["system.workers.docs.assets.runWorkerFirst", "no code to run first"] },
    { name: "vars on an assets-only worker", change: (s) => (s.workers.docs.vars = { A: "b" }), expect: ["system.workers.docs.vars", "an assets-only worker (no entry) has no code to use vars"] },
    { name: "script settings on an assets-only worker (wrangler's upload drops them)", change: (s) => (s.workers.docs.placement = { mode: "smart" }), expect: ["system.workers.docs.placement", "an assets-only worker (no entry) has no code to use placement"] },
    { name: "a service entrypoint of an assets-only worker", change: (s) => (s.workers.web.bindings = { DOCS: { service: "docs", entrypoint: "Search" } }), expect: ["system.workers.web.bindings.DOCS", 'worker "docs" serves assets only: it has no entrypoint Search'] },
    { name: "neither entry nor assets", change: (s) => delete s.workers.docs.assets, expect: ["system.workers.docs.entry", "required (string) but not set", "or `assets: { directory: ... }`"] },
    { name: "an unknown htmlHandling", change: (s) => (s.workers.docs.assets.htmlHandling = "strip"), expect: ["system.workers.docs.assets.htmlHandling", "must be one of auto-trailing-slash"] },
    { name: "an unknown key", change: (s) => (s.workers.docs.assets.not_found_handling = "404-page"), expect: ["system.workers.docs.assets.not_found_handling", "unknown key"] },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, with its path and nothing registered`, async () => {
      const s = system();
      c.change(s);
      const ev = await evaluate("staging", { root: EXAMPLE, secrets: {}, system: s });
      assert.ok(ev.error, "expected a configuration error");
      for (const e of c.expect) typeof e === "string" ? assert.ok(ev.error.message.includes(e), `missing "${e}" in:\n${ev.error.message}`) : assert.match(ev.error.message, e);
      assert.equal(ev.resources.filter((r) => r.type === T.script).length, 0);
    });
  }
});

describe("static assets: the local runner serves them as Cloudflare does", function () {
  this.timeout(120_000);
  let local: LocalStack;
  let state: string;
  const url = (key: string) => local.workers.find((w) => w.key === key)!.url;
  const index = () => fs.readFileSync(path.join(EXAMPLE, "public/web/index.html"), "utf8");
  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "ws-assets-local-"));
    local = await startLocal({ root: EXAMPLE, stack: "staging", port: 0, stateDir: state, log: () => undefined });
  });
  after(async () => {
    await local?.dispose();
    fs.rmSync(state, { recursive: true, force: true });
  });

  it("serves a file without running the worker, with the _headers rules", async () => {
    const home = await get(`${url("web")}/`);
    assert.equal(home.status, 200);
    assert.equal(home.body, index());
    const js = await get(`${url("web")}/assets/app.js`);
    assert.equal(js.body, fs.readFileSync(path.join(EXAMPLE, "public/web/assets/app.js"), "utf8"));
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
  });

  it("falls back to index.html for an unknown path (single-page application); ignored files are not served", async () => {
    for (const p of ["/account/settings", "/assets/app.js.map", "/_headers", "/.assetsignore"]) {
      const r = await get(`${url("web")}${p}`);
      assert.equal(r.status, 200, p);
      assert.equal(r.body, index(), p);
    }
  });

  it("runs the worker first for runWorkerFirst paths, not for their negations; the worker reads files through ASSETS", async () => {
    assert.deepEqual(JSON.parse((await get(`${url("web")}/api/orders`)).body), { from: "worker", api: "shop-api", path: "/api/orders" });
    assert.deepEqual(JSON.parse((await get(`${url("web")}/api/home`)).body), { from: "worker", api: "shop-api", indexStatus: 200, indexBytes: index().length });
    assert.equal((await get(`${url("web")}/api/docs/intro`)).body, index());
  });

  it("an assets-only worker: files, trailing-slash handling, its 404 page", async () => {
    assert.match((await get(`${url("docs")}/`)).body, /shop docs home/);
    assert.match((await get(`${url("docs")}/guide`)).body, /shop docs guide/);
    const slash = await get(`${url("docs")}/guide/`);
    assert.equal(slash.status, 307);
    assert.equal(slash.headers.location, "/guide");
    const missing = await get(`${url("docs")}/missing`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body, fs.readFileSync(path.join(EXAMPLE, "public/docs/404.html"), "utf8"));
  });

  it("a request routed by hostname goes through the assets too", async () => {
    assert.equal((await get(`${local.url}/`, "www-staging.example.org")).body, index());
    assert.equal(JSON.parse((await get(`${local.url}/api/x`, "www-staging.example.org")).body).from, "worker");
    assert.equal((await get(`${local.url}/nope`, "docs-staging.example.org")).status, 404);
  });

  it("an added asset file is served after reloadAssets (what --watch runs on a change in an asset folder)", async () => {
    const file = path.join(EXAMPLE, "public/web", `added-${process.pid}.txt`);
    fs.writeFileSync(file, "fresh file");
    try {
      assert.equal((await get(`${url("web")}/added-${process.pid}.txt`)).body, index(), "the file list is built at start");
      const report = await local.reloadAssets();
      assert.equal(report.error, undefined);
      assert.equal((await get(`${url("web")}/added-${process.pid}.txt`)).body, "fresh file");
    } finally {
      fs.rmSync(file, { force: true });
    }
    await local.reloadAssets();
    assert.equal((await get(`${url("web")}/added-${process.pid}.txt`)).body, index());
  });

  it("the health check asks an assets-only worker for / instead of /health", async () => {
    const docs = await checkWorker({ key: "docs", scriptName: "shop-docs-staging", declared: {}, url: url("docs"), expectEnvironment: "staging", expectVersion: "x", assetsOnly: true });
    assert.equal(docs.ok, true, docs.problems.join("; "));
    assert.equal(docs.status, 200);
  });
});

describe("static assets: --watch sees an asset folder", function () {
  this.timeout(120_000);
  it("a file added to the folder is served without a restart of npm start, and gone once removed", async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "ws-assets-watch-"));
    const name = `watched-${process.pid}.txt`;
    const file = path.join(EXAMPLE, "public/web", name);
    const lines: string[] = [];
    const local = await startLocal({ root: EXAMPLE, stack: "staging", port: 0, stateDir: state, watch: true, log: (l) => lines.push(l) });
    const web = () => `${local.workers.find((w) => w.key === "web")!.url}/${name}`;
    const until = async (want: (body: string) => boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      let last = "";
      while (Date.now() < deadline) {
        // While workerd restarts a request may be reset: try again.
        last = await get(web()).then((r) => r.body, (e: Error) => `(${e.message})`);
        if (want(last)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`${what}: last body ${JSON.stringify(last.slice(0, 80))}; log:\n${lines.join("\n")}`);
    };
    try {
      fs.writeFileSync(file, "watched file");
      await until((b) => b === "watched file", "the added file is served");
      assert.ok(lines.some((l) => /\[watch\] reloaded in [\d.]+ s: assets/.test(l)), lines.join("\n"));
      fs.rmSync(file);
      await until((b) => b.includes("shop single-page app"), "the removed file falls back to index.html");
    } finally {
      fs.rmSync(file, { force: true });
      await local.dispose();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});

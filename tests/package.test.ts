/**
 * The package as a user gets it: `npm pack`, installed into a project outside the repository,
 * whose Pulumi.yaml, stack file, package.json and few-line index.ts are all it holds. The mock
 * evaluation of its stack and `workers-stack start` run there, on the installed JavaScript.
 *
 * The install is offline: `npm ci --offline` of the tarball plus the repository's production
 * dependencies at the versions of its package-lock.json (what `npm ci` of the repository put in
 * npm's cache), so it needs no network and resolves exactly what the repository was tested with.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { commandHelp, dispatch, usage } from "../cli/workers-stack";
import { evaluateStack, reveal } from "../harness/evaluate";
import { httpGet } from "../checks/healthCheck";
import { main } from "../program";
import { ROOT, TEST_IDS, TYPES } from "./helpers";

const NPM_CLI = path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js");
/** Where the Node running the tests lives first on PATH: the bin's `#!/usr/bin/env node` finds it. */
const ENV = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };

function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const cli = fs.existsSync(NPM_CLI) ? [process.execPath, NPM_CLI] : ["npm"];
  const r = spawnSync(cli[0]!, [...cli.slice(1), ...args], { cwd, encoding: "utf8", env: ENV });
  assert.equal(r.status, 0, `npm ${args.join(" ")} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A user's project: a worker on D1 (migrated) and KV, a config secret, a hostname. */
function writeUserProject(dir: string, tarball: string): void {
  const files: Record<string, string> = {
    "Pulumi.yaml": [
      "name: acme",
      "runtime:",
      "  name: nodejs",
      "  options:",
      "    typescript: true",
      "main: index.ts",
      "config:",
      "  acme:system:",
      "    value:",
      "      app: acme",
      "      zone: example.com",
      '      compatibilityDate: "2025-09-01"',
      "      databases:",
      "        main: { migrations: migrations/main }",
      "      kvNamespaces:",
      "        cache: {}",
      "      secrets:",
      "        API_KEY: { from: config }",
      "      workers:",
      "        api:",
      "          entry: src/api.ts",
      "          hostnames: [api]",
      "          vars: { GREETING: hello }",
      "          secrets: [API_KEY]",
      "          bindings:",
      "            DB: { d1: main }",
      "            CACHE: { kv: cache }",
      "",
    ].join("\n"),
    "Pulumi.staging.yaml": ["config:", "  acme:stack:", "    protect: false", `  acme:accountId: ${TEST_IDS.accountId}`, `  acme:zoneId: ${TEST_IDS.zoneId}`, ""].join("\n"),
    "index.ts": 'import { main } from "workers-stack";\n\nexport = main();\n',
    // What Pulumi's TypeScript compile reads (ts-node's defaults without one would be ES modules).
    "tsconfig.json": JSON.stringify({ compilerOptions: { strict: true, target: "es2022", module: "commonjs", moduleResolution: "node", esModuleInterop: true, skipLibCheck: true }, files: ["index.ts", "typed.ts"] }, null, 2),
    // Typed use of the package's exports, type-checked below against the shipped declarations.
    "typed.ts": [
      'import { main, Stack, Worker, SystemDeclaration, StackOutputs } from "workers-stack";',
      "",
      "const system: SystemDeclaration = {",
      '  app: "acme",',
      '  zone: "example.com",',
      '  compatibilityDate: "2025-09-01",',
      '  workers: { api: { entry: "src/api.ts", bindings: { DB: { d1: "main" } } } },',
      '  databases: { main: { migrations: "migrations/main" } },',
      "};",
      "export const outputs: StackOutputs = main({ system });",
      "export const kinds: unknown[] = [Stack, Worker];",
      "",
    ].join("\n"),
    ".dev.vars": "API_KEY=local-api-key\n",
    "migrations/main/0001_items.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO items (name) VALUES ('first');\n",
    "src/api.ts": [
      "interface Env { DB: any; CACHE: any; GREETING: string; API_KEY: string; ENVIRONMENT: string; VERSION: string }",
      "export default {",
      "  async fetch(request: Request, env: Env): Promise<Response> {",
      "    const { pathname } = new URL(request.url);",
      '    if (pathname !== "/health") return new Response("not found", { status: 404 });',
      '    const row = await env.DB.prepare("SELECT count(*) AS n FROM items").first();',
      '    await env.CACHE.put("k", "v");',
      "    const bindings = [",
      '      { name: "DB", type: "d1", present: true, ok: true },',
      '      { name: "CACHE", type: "kv", present: true, ok: (await env.CACHE.get("k")) === "v" },',
      '      { name: "GREETING", type: "var", present: env.GREETING === "hello", ok: true },',
      '      { name: "API_KEY", type: "secret", present: !!env.API_KEY, ok: true },',
      "    ];",
      '    const data = { status: "ok", service: "acme-api", environment: env.ENVIRONMENT, version: env.VERSION, items: row.n, bindings };',
      '    return Response.json({ ok: true, data });',
      "  },",
      "};",
      "",
    ].join("\n"),
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  // package.json depends on the tarball; the lock pins it and the repository's production
  // dependencies, so `npm ci --offline` needs nothing but npm's cache.
  const repoPkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const repoLock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  const spec = `file:${path.basename(tarball)}`;
  const integrity = `sha512-${crypto.createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`;
  const packages: Record<string, unknown> = {
    "": { name: "acme", dependencies: { "workers-stack": spec } },
    "node_modules/workers-stack": { version: repoPkg.version, resolved: spec, integrity, license: repoPkg.license, dependencies: repoPkg.dependencies, bin: repoPkg.bin, engines: repoPkg.engines },
  };
  for (const [key, entry] of Object.entries(repoLock.packages as Record<string, { dev?: boolean; link?: boolean }>))
    if (key && !entry.dev && !entry.link) packages[key] = entry;
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "acme", private: true, dependencies: { "workers-stack": spec } }, null, 2));
  fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify({ name: "acme", lockfileVersion: 3, requires: true, packages }, null, 2));
}

/** Spawns `workers-stack <args>` from the project's node_modules/.bin, as a user's shell would. */
function cli(project: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(path.join(project, "node_modules", ".bin", "workers-stack"), args, { cwd: project, encoding: "utf8", env: ENV });
}

describe("the workers-stack package", () => {
  describe("installed from npm pack into a project outside the repository", function () {
    let tmp: string;
    let project: string;
    let tarball: string;
    let files: string[];
    before(function () {
      this.timeout(240_000);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-pkg-"));
      project = path.join(tmp, "acme");
      fs.mkdirSync(project);
      // prepack builds dist/ first; --json lists the files the tarball holds.
      const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", project], ROOT).stdout) as { filename: string; files: { path: string }[] }[];
      tarball = path.join(project, packed[0]!.filename);
      files = packed[0]!.files.map((f) => f.path);
      writeUserProject(project, tarball);
      npm(["ci", "--offline", "--no-audit", "--no-fund"], project);
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("ships compiled JavaScript with declarations, the deploy-time scripts and the CLI; no tests, examples or sources", () => {
      for (const f of ["dist/lib.js", "dist/lib.d.ts", "dist/program.js", "dist/cli/workers-stack.js", "dist/components/d1-migrate.js", "dist/components/telegram-webhook.js", "dist/components/do-migrations.js", "dist/components/stack.d.ts", "package.json", "README.md"])
        assert.ok(files.includes(f), `${f} is not in the tarball`);
      const unwanted = files.filter((f) => /^(tests|examples|workers|migrations|smoke|docs|\.github)\//.test(f) || (/\.ts$/.test(f) && !f.endsWith(".d.ts")) || /(^|\/)Pulumi\.[^/]*yaml$/.test(f) || /bench|corpus|fixtures/.test(f));
      assert.deepEqual(unwanted, []);
      const installed = path.join(project, "node_modules", "workers-stack");
      assert.equal(JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")).bin["workers-stack"], "dist/cli/workers-stack.js");
    });

    it("type-checks a user's index.ts and a typed declaration with the project's tsconfig.json against the shipped declarations", () => {
      const tsc = require.resolve("typescript/bin/tsc");
      // The project's own tsconfig.json; @types/node (a devDependency there) comes from this repository.
      const r = spawnSync(process.execPath, [tsc, "--noEmit", "-p", ".", "--types", "node", "--typeRoots", path.join(ROOT, "node_modules", "@types")], { cwd: project, encoding: "utf8" });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it("evaluates the project's stack under mocks from the installed package, with scripts that resolve from dist/", () => {
      const script = [
        'const ws = require("workers-stack");',
        'ws.evaluateStack({ root: process.cwd(), stack: "staging", secrets: { API_KEY: "test-key" } })',
        "  .then((ev) => console.log(JSON.stringify({ error: ev.error && ev.error.message, resources: ev.resources })));",
      ].join("\n");
      const r = spawnSync(process.execPath, ["-e", script], { cwd: project, encoding: "utf8", env: ENV });
      assert.equal(r.status, 0, r.stderr);
      const ev = JSON.parse(r.stdout.trim().split("\n").pop()!) as { error?: string; resources: { type: string; name: string; inputs: Record<string, unknown>; id: string; dependencies: string[]; urn: string }[] };
      assert.equal(ev.error, undefined);
      const d1 = ev.resources.find((x) => x.type === TYPES.d1)!;
      const kv = ev.resources.find((x) => x.type === TYPES.kv)!;
      assert.equal(d1.inputs.name, "acme-main-staging");
      const script_ = ev.resources.find((x) => x.type === TYPES.script)!;
      assert.equal(script_.inputs.scriptName, "acme-api-staging");
      const bindings = reveal(script_.inputs.bindings) as Record<string, unknown>[];
      const byName = Object.fromEntries(bindings.map((b) => [b.name, b]));
      assert.deepEqual(byName.DB, { name: "DB", type: "d1", id: d1.id });
      assert.deepEqual(byName.CACHE, { name: "CACHE", type: "kv_namespace", namespaceId: kv.id });
      assert.deepEqual(byName.GREETING, { name: "GREETING", type: "plain_text", text: "hello" });
      assert.deepEqual(byName.API_KEY, { name: "API_KEY", type: "secret_text", text: "test-key" });
      assert.deepEqual(byName.ENVIRONMENT, { name: "ENVIRONMENT", type: "plain_text", text: "staging" });
      // The bundle is the project's own source, written under the project.
      assert.ok(fs.existsSync(path.join(project, String(script_.inputs.contentFile))), `${script_.inputs.contentFile} does not exist`);
      assert.match(fs.readFileSync(path.join(project, String(script_.inputs.contentFile)), "utf8"), /SELECT count\(\*\) AS n FROM items/);
      // The migration command runs the installed d1-migrate.js, by a path that exists from the project.
      const migrate = ev.resources.find((x) => x.type === TYPES.command && JSON.stringify(x.inputs).includes("d1-migrate.js"));
      assert.ok(migrate, "no migration command");
      const scriptPath = /[^\s"']*d1-migrate\.js/.exec(JSON.stringify(migrate.inputs))![0];
      assert.ok(scriptPath.includes("node_modules/workers-stack/dist/components/"), scriptPath);
      assert.ok(fs.existsSync(path.resolve(project, scriptPath)), `${scriptPath} does not exist from the project`);
      assert.ok(script_.dependencies.includes(migrate.urn), "the worker does not wait for the migrations");
    });

    it("runs `workers-stack start` on the project in the working directory: /health answers through the hostname with migrated D1", async function () {
      this.timeout(120_000);
      const child = spawn(path.join(project, "node_modules", ".bin", "workers-stack"), ["start", "--stack", "staging", "--port", "0", "--fresh"], { cwd: project, env: ENV });
      try {
        let out = "";
        const entry = await new Promise<string>((resolve, reject) => {
          const onData = (d: Buffer) => {
            out += d.toString();
            const m = /Hostnames are served on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m && /Ready in/.test(out)) resolve(m[1]!);
          };
          child.stdout.on("data", onData);
          child.stderr.on("data", onData);
          child.on("exit", (code) => reject(new Error(`workers-stack start exited ${code}:\n${out}`)));
        });
        // fetch() drops a Host header: http.request sends it.
        const res = await httpGet(`${entry}/health`, "api-staging.example.com");
        assert.equal(res.status, 200, res.body);
        const body = JSON.parse(res.body) as { data: { environment: string; items: number; bindings: { name: string; present: boolean; ok: boolean }[] } };
        assert.equal(body.data.environment, "staging");
        assert.equal(body.data.items, 1, "the migration's row is not there");
        for (const b of body.data.bindings) assert.ok(b.present && b.ok, `${b.name} is not bound`);
        assert.ok(fs.existsSync(path.join(project, ".workers-stack", "local", "staging")), "state is not under the project");
      } finally {
        child.kill("SIGTERM");
      }
    });

    it("answers --help for every command, lists what exists, and refuses an unknown command with exit code 2", () => {
      for (const command of ["start", "validate", "smoke", "graph", "drift", "promote", "import"]) {
        const r = cli(project, [command, "--help"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^usage: workers-stack ${command}`));
      }
      const unknown = cli(project, ["nope"]);
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /unknown command "nope"/);
      const graph = cli(project, ["graph", "--stack", "staging"]);
      assert.equal(graph.status, 0, graph.stderr);
      assert.match(graph.stdout, /acme-api-staging/);
      const missing = cli(project, ["validate"]);
      assert.equal(missing.status, 2);
    });

    it("imports a wrangler config with the installed package (wrangler's own reader, the compiled importer)", () => {
      const legacy = path.join(project, "legacy");
      fs.mkdirSync(path.join(legacy, "src"), { recursive: true });
      fs.writeFileSync(path.join(legacy, "src", "index.ts"), 'export default { fetch: () => new Response("ok") };\n');
      fs.writeFileSync(path.join(legacy, "wrangler.toml"), 'name = "legacy"\nmain = "src/index.ts"\ncompatibility_date = "2025-06-01"\n[vars]\nMODE = "dev"\n[env.production.vars]\nMODE = "prod"\n');
      const r = cli(project, ["import", "legacy/wrangler.toml", "--out", "legacy", "--top-level-stack", "dev", "--force"]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^workers-stack import: 1 worker, stacks dev, production/);
      assert.match(fs.readFileSync(path.join(legacy, "Pulumi.production.yaml"), "utf8"), /MODE: prod/);
      assert.match(fs.readFileSync(path.join(legacy, "Pulumi.yaml"), "utf8"), /entry: src\/index\.ts/);
    });
  });

  describe("the CLI dispatcher", () => {
    it("prints the command list and each command's usage", () => {
      assert.match(usage(), /start .*\n.*validate/s);
      assert.match(usage(), /^\s+import\s+turn wrangler configs/m);
      assert.match(usage(), /^\s+types\s+write each worker's env\.generated\.ts/m);
      assert.doesNotMatch(usage(), /not in this version yet/);
      assert.match(commandHelp("import"), /^usage: workers-stack import <wrangler\.toml\|wrangler\.json\|wrangler\.jsonc>\.\.\. --out <dir>/);
      assert.match(commandHelp("promote"), /^usage: workers-stack promote \[--dry-run\]/);
    });

    it("answers --help without running the command and refuses unknown commands", () => {
      const log = console.log;
      const err = console.error;
      const lines: string[] = [];
      console.log = (s: string) => void lines.push(s);
      console.error = (s: string) => void lines.push(s);
      try {
        assert.equal(dispatch(["drift", "--help"]), 0);
        assert.equal(dispatch(["nope"]), 2);
        assert.equal(dispatch([]), 2);
        assert.equal(dispatch(["help", "smoke"]), 0);
      } finally {
        console.log = log;
        console.error = err;
      }
      assert.match(lines[0]!, /^usage: workers-stack drift/);
      assert.match(lines[1]!, /unknown command "nope"/);
      assert.match(lines[3]!, /^usage: workers-stack smoke/);
    });
  });

  describe("this repository's projects use the package entry point as a user's index.ts does", () => {
    for (const [dir, secrets] of [
      [".", { OPENAI_API_KEY: "k", TELEGRAM_BOT_TOKEN: "t" }],
      ["examples/tminus", { GOOGLE_CLIENT_ID: "gid", GOOGLE_CLIENT_SECRET: "gsecret", MS_CLIENT_ID: "mid", MS_CLIENT_SECRET: "msecret" }],
      ["examples/six-services", { CLERK_JWT_SECRET: "clerk", CLERK_WEBHOOK_SECRET: "hook", DATABASE_URL: "postgres://u:p@db/x" }],
    ] as [string, Record<string, string>][]) {
      it(`${dir}: Pulumi.yaml runs its own index.ts, which registers what the program does`, async () => {
        const root = path.resolve(ROOT, dir);
        const projectFile = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
        assert.match(projectFile, /^main: index\.ts$/m);
        const index = fs.readFileSync(path.join(root, "index.ts"), "utf8");
        assert.match(index, /^import \{ main \} from "(\.\/|(\.\.\/)+)lib";$/m);
        assert.match(index, /^export = main\(\);$/m);
        const opts = { root, stack: "staging", secrets, plain: TEST_IDS };
        const viaIndex = await evaluateStack({ ...opts, program: () => require(path.join(root, "index.ts")) });
        const viaProgram = await evaluateStack(opts);
        assert.equal(viaIndex.error, undefined, viaIndex.error?.message);
        assert.ok(viaIndex.resources.some((r) => r.type === TYPES.script));
        assert.deepEqual(
          viaIndex.resources.map((r) => [r.urn, r.inputs]),
          viaProgram.resources.map((r) => [r.urn, r.inputs]),
        );
      });
    }
  });

  describe("main() with a typed declaration", () => {
    let root: string;
    before(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-typed-"));
      fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: typed\nruntime: nodejs\n");
      fs.writeFileSync(path.join(root, "Pulumi.staging.yaml"), `config:\n  typed:accountId: ${TEST_IDS.accountId}\n  typed:zoneId: ${TEST_IDS.zoneId}\n`);
      fs.mkdirSync(path.join(root, "src"));
      fs.writeFileSync(path.join(root, "src", "api.js"), "export default { fetch() { return new Response('ok'); } };\n");
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("declares the system given as an object, with the same names and bindings as from config", async () => {
      const ev = await evaluateStack({
        root,
        stack: "staging",
        program: () => main({ system: { app: "typed", zone: "example.com", compatibilityDate: "2025-09-01", kvNamespaces: { cache: {} }, workers: { api: { entry: "src/api.js", bindings: { CACHE: { kv: "cache" } } } } }, stack: { suffix: "-stg" } }),
      });
      assert.equal(ev.error, undefined, ev.error?.message);
      const script = ev.resources.find((r) => r.type === TYPES.script)!;
      const kv = ev.resources.find((r) => r.type === TYPES.kv)!;
      assert.equal(script.inputs.scriptName, "typed-api-stg");
      assert.deepEqual((reveal(script.inputs.bindings) as Record<string, unknown>[]).find((b) => b.name === "CACHE"), { name: "CACHE", type: "kv_namespace", namespaceId: kv.id });
    });

    it("checks it like config, and refuses a system declared both in code and in Pulumi.yaml", async () => {
      const bad = await evaluateStack({ root, stack: "staging", program: () => main({ system: { app: "typed", zone: "example.com", compatibilityDate: "2025-09-01", workers: { api: { entry: "src/api.js", bindings: { DB: { d1: "nope" } } } } } }) });
      assert.match(String(bad.error?.message), /system\.workers\.api\.bindings\.DB: D1 database "nope" is not declared/);
      assert.equal(bad.resources.filter((r) => r.custom).length, 0);
      const both = await evaluateStack({
        root,
        stack: "staging",
        plain: { "typed:system": JSON.stringify({ app: "typed" }) },
        program: () => main({ system: { app: "typed", zone: "example.com", compatibilityDate: "2025-09-01", workers: { api: { entry: "src/api.js" } } } }),
      });
      assert.match(String(both.error?.message), /system: is declared both in code \(main\(\{ system \}\)\) and in the config \(typed:system\)/);
      assert.equal(both.resources.filter((r) => r.custom).length, 0);
    });
  });
});

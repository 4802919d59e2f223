/**
 * `workers-stack import` (issue 11 items 3-4): wrangler configs → a project, and that project's
 * equivalence with wrangler. For every environment of every config of the real-system corpus
 * (examples/corpus) and of the importer's own small configs (tests/fixtures/import), the
 * project is imported into a copy of the system, each stack is evaluated under the mock runtime,
 * and each worker's registered script is compared with `wrangler deploy --dry-run` (reference.json)
 * and wrangler's resolved config. A config/env whose import reports untranslated keys is counted
 * and listed, not compared; everything compared must match exactly.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { common, overridesFor } from "../cli/import/factor";
import { importWrangler, ImportResult } from "../cli/import/importer";
import { has, type Line } from "../cli/import/model";
import { writeProject } from "../cli/import/project";
import { readWranglerConfig } from "../cli/import/wrangler";
import { deepMerge } from "../config/merge";
import { evaluateStack, type Evaluation } from "../harness/evaluate";
import { findConfigs, type SystemReference } from "../scripts/corpus-reference";
import { ROOT, TEST_IDS, TYPES } from "./helpers";
import { expectedDeployment, registeredBindings, registeredDeployment, sortedBindings } from "./support/wranglerEquivalence";

const CORPORA = [path.join(ROOT, "examples", "corpus"), path.join(ROOT, "tests", "fixtures", "import")];

interface Tally {
  compared: string[];
  untranslated: { what: string; why: string[] }[];
  refused: string[];
}
const tally: Tally = { compared: [], untranslated: [], refused: [] };

/** A system copied to a temporary folder and imported there (the project at the system's root). */
function importSystem(systemDir: string, topLevelStack = "top"): { dir: string; result: ImportResult; configs: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ws-import-${path.basename(systemDir)}-`));
  fs.cpSync(systemDir, dir, { recursive: true });
  const configs = findConfigs(dir);
  const result = importWrangler({ files: configs, out: dir, topLevelStack, cwd: dir });
  writeProject(dir, result, true);
  return { dir, result, configs };
}

/**
 * The imported project's stack under mocks, with what a user sets per stack: the account and zone
 * ids (and, where the schema has them, a zone id for every further zone) and each secret.
 */
function evaluateImported(dir: string, result: ImportResult, stack: string): Promise<Evaluation> {
  const secrets = Object.fromEntries(result.todo[stack]!.secrets.map((n) => [n, `test-${n.toLowerCase()}`]));
  const plain: Record<string, string> = { ...TEST_IDS };
  const zones = [result.system.zone, ...((result.system.zones as string[] | undefined) ?? [])].filter((z): z is string => typeof z === "string");
  if (has.stack("zoneIds") && zones.length > 1) {
    // The main zone's id is the zoneId config key; the further zones' ids are the stack setting zoneIds.
    const zoneIds = Object.fromEntries(zones.slice(1).map((z) => [z, crypto.createHash("md5").update(z).digest("hex")]));
    plain[`${result.app}:stack`] = JSON.stringify({ ...result.stackSettings[stack], zoneIds });
  }
  return evaluateStack({ root: dir, stack, secrets, plain });
}

/** `workers-stack import <args>` run as a user runs it, in `cwd` (asynchronously: see README "Tests"). */
function runImport(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(ROOT, "cli", "workers-stack.ts"), "import", ...args], { cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const blocking = (l: Line) => l.level === "error" || l.level === "untranslated" || l.level === "later";

describe("workers-stack import: equivalence with wrangler deploy --dry-run", function () {
  this.timeout(600_000);
  after(() => {
    const n = tally.compared.length + tally.untranslated.length + tally.refused.length;
    console.log(
      `      import equivalence: ${n} config/envs — ${tally.compared.length} compared (all equal), ` +
        `${tally.untranslated.length} with untranslated keys (listed, not compared), ${tally.refused.length} refused by wrangler and the importer`,
    );
    const why = new Map<string, number>();
    for (const u of tally.untranslated) for (const w of new Set(u.why)) why.set(w, (why.get(w) ?? 0) + 1);
    for (const [w, count] of [...why].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`        ${String(count).padStart(3)} × ${w}`);
    if (process.env.IMPORT_TALLY) fs.writeFileSync(process.env.IMPORT_TALLY, JSON.stringify(tally, null, 2));
  });

  for (const corpus of CORPORA) {
    const systems = fs.readdirSync(corpus, { withFileTypes: true }).filter((d) => d.isDirectory() && fs.existsSync(path.join(corpus, d.name, "reference.json")));
    for (const { name: system } of systems) {
      it(`${path.basename(corpus)}/${system}: every environment of every config`, async () => {
        const systemDir = path.join(corpus, system);
        const reference = JSON.parse(fs.readFileSync(path.join(systemDir, "reference.json"), "utf8")) as SystemReference;
        const { dir, result, configs } = importSystem(systemDir);
        const problems: string[] = [];
        try {
          const evaluations = new Map<string, Evaluation>();
          for (const stack of result.stacks) {
            const ev = await evaluateImported(dir, result, stack);
            // A stack the importer said workers-stack refuses does not evaluate: its envs are listed as untranslated.
            const refusedByImport = result.lines.some((l) => l.stacks?.includes(stack) && l.file === "" && blocking(l));
            if (ev.error && !refusedByImport) problems.push(`stack ${stack}: the imported project does not evaluate: ${ev.error.message}`);
            evaluations.set(stack, ev);
          }
          const globalFor = (stack: string) => result.lines.filter((l) => l.file === "" && blocking(l) && (l.stacks === undefined || l.stacks.includes(stack)));
          for (const [i, rel] of configs.entries()) {
            const worker = result.workers[i]!;
            const read = readWranglerConfig(path.join(dir, rel));
            for (const e of read.envs) {
              const stack = e.env === "" ? "top" : e.env;
              const global = globalFor(stack);
              const what = `${system}/${rel} ${e.env === "" ? "top level" : `env ${e.env}`}`;
              const ref = reference.configs[rel]?.envs[e.env];
              if (!ref) {
                problems.push(`${what}: no reference`);
                continue;
              }
              const lines = result.lines.filter((l) => l.file === rel && l.env === e.env && blocking(l));
              if (!ref.ok) {
                // wrangler refuses to deploy it: the importer must say so too (or say what it could not translate).
                if (lines.length === 0) problems.push(`${what}: wrangler refuses it (${ref.errors.join(" ").slice(0, 200)}) but the import reports nothing`);
                else tally.refused.push(what);
                continue;
              }
              if (lines.length || global.length) {
                tally.untranslated.push({ what, why: [...lines, ...global].map((l) => `${l.key.replace(/\[\d+\]/g, "[]")}: ${l.why.replace(/`[^`]*\.(name|[a-zA-Z]+)`/g, "`…$1`")}`) });
                continue;
              }
              const name = worker.stacks[stack]?.name;
              const ev = evaluations.get(stack);
              const script = ev?.resources.find((r) => r.type === TYPES.script && r.inputs.scriptName === name);
              if (!name || !ev || !script) {
                problems.push(`${what}: no WorkersScript ${name} registered on stack ${stack}`);
                continue;
              }
              const got = registeredBindings(script, ev.resources);
              const want = sortedBindings(ref.bindings, e.config);
              try {
                assert.deepEqual(got, want);
                const expected = expectedDeployment(e.config!);
                assert.deepEqual(registeredDeployment(script, ev.resources, expected), expected);
                tally.compared.push(what);
              } catch (err) {
                problems.push(`${what}: differs from wrangler:\n${(err as Error).message}`);
              }
            }
          }
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.deepEqual(problems, []);
      });
    }
  }
});

describe("workers-stack import: the project it writes", function () {
  this.timeout(300_000);

  it("factors the stacks into a shared part and overrides that give back each stack exactly", () => {
    const stacks = [
      { a: 1, w: { x: { v: [1], e: "e" }, y: { n: "y" } } },
      { a: 1, w: { x: { v: [2], e: "e" } } },
      { a: 2, w: { x: { v: [1], e: "e", f: true }, y: { n: "y-2" }, z: {} } },
    ];
    const shared = common(stacks);
    assert.deepEqual(shared, { a: 1, w: { x: { v: [1], e: "e" }, y: { n: "y" } } });
    for (const s of stacks) assert.deepEqual(deepMerge(shared, overridesFor(shared, s) ?? {}), s);
    assert.deepEqual(overridesFor(shared, stacks[1]), { w: { x: { v: [2] }, y: null } });
  });

  it("writes Pulumi.yaml, a stack file per env, package.json on workers-stack, index.ts and tsconfig.json; names and ids kept", () => {
    const { dir, result } = importSystem(path.join(ROOT, "tests", "fixtures", "import", "d1-kv"), "dev");
    try {
      assert.deepEqual(result.stacks, ["dev", "staging", "production"]);
      for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml", "package.json", "index.ts", "tsconfig.json"])
        assert.ok(fs.existsSync(path.join(dir, f)), f);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      assert.match(pkg.dependencies["workers-stack"], /^\^\d+\.\d+\.\d+$/);
      assert.match(fs.readFileSync(path.join(dir, "index.ts"), "utf8"), /import \{ main \} from "workers-stack";\s+export = main\(\);/);
      // Every D1 and KV id of the configs is adopted on its stack; the migrations folder is the config's, relative to the project.
      assert.deepEqual(result.stackSettings.production!.imports, {
        databases: { notes: "31111111-2222-4333-8444-555555555555" },
        kvNamespaces: { cache: "2123456789abcdef0123456789abcdef", sessions: "3123456789abcdef0123456789abcdef" },
      });
      assert.deepEqual((result.system.databases as Record<string, { migrations: string }>).notes!.migrations, "migrations/notes");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the file, the env and the key of a mistake: an env without a name, a binding to a class no migration creates, a database binding without a database", () => {
    const dir = path.join(ROOT, "tests", "fixtures", "import", "mistakes");
    const result = importWrangler({ files: ["worker/wrangler.toml"], out: path.join(os.tmpdir(), "unused"), topLevelStack: "dev", cwd: dir });
    const errors = result.lines.filter((l) => l.level === "error").map((l) => `${l.file} ${l.env} ${l.key}: ${l.why}`);
    assert.ok(errors.some((e) => /^worker\/wrangler\.toml  name: the worker has no name on this environment/.test(e)), errors.join("\n"));
    assert.ok(errors.some((e) => /^worker\/wrangler\.toml staging durable_objects\.bindings\[0\]\.class_name: binding COUNTER: class Counter is not created by any migration/.test(e)), errors.join("\n"));
    assert.ok(errors.some((e) => /^worker\/wrangler\.toml staging d1_databases\[0\]: binding DB names no database \(database_name or database_id\)/.test(e)), errors.join("\n"));
  });

  it("notes a script name two environments share (refused when their stacks share an account)", () => {
    const dir = path.join(ROOT, "tests", "fixtures", "import", "env-names");
    const result = importWrangler({ files: ["app/wrangler.toml", "stats/wrangler.toml"], out: ".", topLevelStack: "dev", cwd: dir });
    const shared = result.lines.filter((l) => l.level === "note" && /^script /.test(l.key)).map((l) => `${l.key}: ${l.why.split(":")[0]}`);
    assert.deepEqual(shared.sort(), ["script app: used on stacks dev, production", "script reports: used on stacks dev, production"]);
  });

  it("says which --out keeps the workers inside the project when the configs are outside it", () => {
    const dir = path.join(ROOT, "tests", "fixtures", "import", "services");
    const result = importWrangler({ files: ["auth/wrangler.toml", "gateway/wrangler.toml"], out: "infra", topLevelStack: "dev", cwd: dir });
    const out = result.lines.filter((l) => l.key === "--out");
    assert.equal(out.length, 1);
    assert.match(out[0]!.why, /^\.\.\/auth\/src\/index\.ts \(and \d+ more\) is outside infra: .* import with --out \. /);
    assert.equal(out[0]!.level, "error");
  });

  it("prints what README \"Adopt an existing wrangler system\" shows for its example (UPDATE_README=1 rewrites it)", async () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const m = /\$ npx workers-stack import (.*)\n<!-- import-output:start -->\n([\s\S]*?)<!-- import-output:end -->/.exec(readme);
    assert.ok(m, "README has the import example between its markers");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-import-readme-"));
    fs.cpSync(path.join(ROOT, "tests", "fixtures", "import", "shop"), dir, { recursive: true });
    try {
      const r = await runImport(dir, m[1]!.split(" "));
      assert.equal(r.code, 0, r.stderr);
      const stackFile = fs.readFileSync(path.join(dir, "Pulumi.production.yaml"), "utf8");
      const s = /<!-- import-stack:start -->\n([\s\S]*?)<!-- import-stack:end -->/.exec(readme);
      assert.ok(s, "README shows the written stack file between its markers");
      if (process.env.UPDATE_README) {
        const updated = readme.replace(m[0], m[0].replace(`-->\n${m[2]}<!--`, `-->\n${r.stdout}<!--`));
        fs.writeFileSync(path.join(ROOT, "README.md"), updated.replace(s[0], `<!-- import-stack:start -->\n${stackFile}<!-- import-stack:end -->`));
      } else {
        assert.equal(m[2], r.stdout);
        assert.equal(s[1], stackFile);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("as a command: refuses a non-empty --out without --force, writes with it, and prints the secrets to set", async () => {
    const src = path.join(ROOT, "tests", "fixtures", "import", "secrets");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-import-cli-"));
    fs.cpSync(src, dir, { recursive: true });
    const run = (args: string[]) => runImport(dir, args);
    try {
      const refused = await run(["bot/wrangler.jsonc", "--out", ".", "--top-level-stack", "dev"]);
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /--out .* is not empty: choose an empty folder, or pass --force/);
      assert.ok(!fs.existsSync(path.join(dir, "Pulumi.yaml")));
      const ok = await run(["bot/wrangler.jsonc", "--out", ".", "--top-level-stack", "dev", "--force"]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /pulumi config set --secret BOT_TOKEN <value> --stack dev/);
      assert.match(ok.stdout, /pulumi config set --secret WEBHOOK_SECRET <value> --stack production/);
      assert.match(ok.stdout, /pulumi config set --secret OPENAI_API_KEY <value> --stack production/);
      // LOG_LEVEL is a var of the config: .dev.vars.example only overrides it locally.
      assert.doesNotMatch(ok.stdout, /--secret LOG_LEVEL/);
      const system = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
      assert.match(system, /BOT_TOKEN:\n\s+from: config/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

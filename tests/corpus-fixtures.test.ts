/**
 * The corpus of real multi-worker wrangler systems (examples/corpus/<system>/) must stay
 * consistent: every config parses the way wrangler parses it, every entry module, assets folder
 * and D1 migrations folder it names exists, every Durable Object / Workflow class it hosts is
 * exported by its stub, SOURCE.md names every config, and reference.json (wrangler's own dry-run
 * output, see scripts/corpus-reference.ts) covers exactly the configs and environments there are.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { coverageOf, coverageRow } from "../scripts/corpus-coverage";
import { FIXTURES, environmentsOf, findConfigs, parseDryRun, readRawConfig, type SystemReference } from "../scripts/corpus-reference";

type Block = Record<string, unknown> & {
  main?: string;
  assets?: { directory?: string };
  d1_databases?: Array<{ migrations_dir?: string }>;
  durable_objects?: { bindings?: Array<{ class_name: string; script_name?: string }> };
  workflows?: Array<{ class_name: string; script_name?: string }>;
};

function blocksOf(raw: Block & { env?: Record<string, unknown> }): Array<[string, Block]> {
  return [["", raw], ...Object.entries(raw.env ?? {}).map(([k, v]) => [k, v as Block] as [string, Block])];
}

/** Every problem of one system folder, each naming its file; [] when consistent. */
export function checkSystem(systemDir: string): string[] {
  const problems: string[] = [];
  const name = path.basename(systemDir);
  const configs = findConfigs(systemDir);
  if (configs.length === 0) return [`${name}: no wrangler.toml / wrangler.json / wrangler.jsonc`];
  const sourceMd = path.join(systemDir, "SOURCE.md");
  const source = fs.existsSync(sourceMd) ? fs.readFileSync(sourceMd, "utf8") : "";
  if (!source) problems.push(`${name}/SOURCE.md: missing`);
  else if (!/^Repository: \[[\w.-]+\/[\w.-]+\]/m.test(source)) problems.push(`${name}/SOURCE.md: no "Repository: [owner/name]" line`);
  const refFile = path.join(systemDir, "reference.json");
  let ref: SystemReference | undefined;
  if (!fs.existsSync(refFile)) problems.push(`${name}/reference.json: missing (run scripts/corpus-reference.ts ${name})`);
  else ref = JSON.parse(fs.readFileSync(refFile, "utf8")) as SystemReference;

  for (const rel of configs) {
    const where = `${name}/${rel}`;
    const configPath = path.join(systemDir, rel);
    const dir = path.dirname(configPath);
    let raw: Block & { env?: Record<string, unknown> };
    try {
      raw = readRawConfig(configPath) as Block & { env?: Record<string, unknown> };
    } catch (e) {
      problems.push(`${where}: does not parse: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    if (source && !source.includes("`" + rel + "`")) problems.push(`${name}/SOURCE.md: does not name ${rel}`);
    const exported = new Set<string>();
    for (const [env, b] of blocksOf(raw)) {
      const at = env ? `${where} [env.${env}]` : where;
      if (b.main !== undefined) {
        const entry = path.join(dir, b.main);
        if (!fs.existsSync(entry)) problems.push(`${at}: main ${b.main} does not exist`);
        else for (const m of fs.readFileSync(entry, "utf8").matchAll(/^export class (\w+)/gm)) exported.add(m[1]);
      }
      if (b.assets?.directory !== undefined && !fs.existsSync(path.join(dir, b.assets.directory)))
        problems.push(`${at}: assets.directory ${b.assets.directory} does not exist`);
      for (const d of b.d1_databases ?? []) {
        if (d.migrations_dir === undefined) continue;
        const m = path.join(dir, d.migrations_dir);
        if (!fs.existsSync(m) || !fs.readdirSync(m).some((f) => f.endsWith(".sql"))) problems.push(`${at}: migrations_dir ${d.migrations_dir} has no .sql file`);
      }
    }
    // Classes this worker hosts must be exported by its entry, or wrangler's upload would be refused.
    const mainOf = (b: Block): string | undefined => b.main ?? raw.main;
    for (const [env, b] of blocksOf(raw)) {
      if (mainOf(b) === undefined) continue;
      const hosted = [
        ...(b.durable_objects?.bindings ?? []).filter((x) => !x.script_name).map((x) => x.class_name),
        ...(b.workflows ?? []).filter((x) => !x.script_name).map((x) => x.class_name),
      ];
      for (const c of hosted) if (!exported.has(c)) problems.push(`${env ? `${where} [env.${env}]` : where}: class ${c} is not exported by ${mainOf(b)}`);
    }
    if (ref) {
      const conf = ref.configs[rel];
      if (!conf) problems.push(`${name}/reference.json: no entry for ${rel}`);
      else {
        const want = environmentsOf(raw);
        const have = Object.keys(conf.envs).sort();
        for (const e of want) if (!have.includes(e)) problems.push(`${name}/reference.json: ${rel} lacks environment ${JSON.stringify(e)}`);
        for (const e of have) if (!want.includes(e)) problems.push(`${name}/reference.json: ${rel} has environment ${JSON.stringify(e)} the config does not`);
      }
    }
  }
  if (ref) for (const rel of Object.keys(ref.configs)) if (!configs.includes(rel)) problems.push(`${name}/reference.json: ${rel} is not a config of the fixture`);
  return problems;
}

const systems = fs
  .readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe("corpus of real wrangler systems (examples/corpus)", () => {
  it("holds at least ten systems of several workers each", () => {
    assert.ok(systems.length >= 10, `only ${systems.length} systems`);
    for (const s of systems) assert.ok(findConfigs(path.join(FIXTURES, s)).length >= 2, `${s} has fewer than two workers`);
  });

  for (const s of systems) {
    it(`${s}: configs parse, entries/assets/migrations exist, SOURCE.md and reference.json cover every config and environment`, () => {
      assert.deepEqual(checkSystem(path.join(FIXTURES, s)), []);
    });
  }

  it("README's table is what scripts/corpus-coverage.ts computes, one row per system", () => {
    const readme = fs.readFileSync(path.join(FIXTURES, "README.md"), "utf8");
    const rows = readme.split("\n").filter((l) => /^\| \[[\w-]+\]\([\w-]+\/SOURCE\.md\)/.test(l));
    assert.deepEqual(rows, systems.map((s) => coverageRow(coverageOf(s))), "regenerate the rows with: npx ts-node --transpile-only scripts/corpus-coverage.ts");
  });

  it("the coverage table counts a worker as declarable only when nothing stops it", () => {
    const hey = coverageOf("hey");
    assert.equal(hey.workers, 18);
    assert.equal(hey.declarable, 17);
    assert.deepEqual(hey.missing, [["node_compat (refused by wrangler 4)", 1]]);
    assert.deepEqual(hey.environments, ["(top)", "production"]);
    // Routes with paths, wildcard hosts and several zones are declarable: features, not gaps.
    assert.ok(hey.features.includes("routes with paths"));
    const ente = coverageOf("ente");
    assert.ok(ente.features.includes("several zones"));
    assert.ok(!ente.missing.some(([gap]) => gap.startsWith("several zones")));
    assert.ok(coverageOf("workers-sdk-infra").features.includes("wildcard hosts"));
  });

  it("reference.json holds parsed bindings, not just environment names", () => {
    // tldraw's sync worker in production: Durable Objects, KV, R2, its queue, analytics, version
    // metadata and assets, each as wrangler printed it.
    const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, "tldraw", "reference.json"), "utf8")) as SystemReference;
    const prod = ref.configs["apps/dotcom/sync-worker/wrangler.toml"].envs.production;
    assert.equal(prod.ok, true);
    const kinds = new Set(prod.bindings.map((b) => b.kind));
    for (const k of ["Durable Object", "KV Namespace", "R2 Bucket", "Queue", "Analytics Engine Dataset", "Worker Version Metadata", "Assets"])
      assert.ok(kinds.has(k), `no ${k} binding in ${JSON.stringify([...kinds])}`);
    assert.deepEqual(
      prod.bindings.find((b) => b.name === "QUEUE"),
      { name: "QUEUE", kind: "Queue", target: "tldraw-multiplayer-queue" },
    );
  });

  describe("the checker fails on a broken fixture", () => {
    let tmp: string;
    beforeEach(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "corpus-check-"));
      fs.cpSync(path.join(FIXTURES, "unkey"), path.join(tmp, "unkey"), { recursive: true });
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const dir = (): string => path.join(tmp, "unkey");

    it("accepts the untouched copy", () => {
      assert.deepEqual(checkSystem(dir()), []);
    });
    it("reports an environment missing from reference.json", () => {
      const f = path.join(dir(), "reference.json");
      const ref = JSON.parse(fs.readFileSync(f, "utf8")) as SystemReference;
      delete ref.configs["apps/api/wrangler.toml"].envs.canary;
      fs.writeFileSync(f, JSON.stringify(ref));
      assert.deepEqual(checkSystem(dir()), ['unkey/reference.json: apps/api/wrangler.toml lacks environment "canary"']);
    });
    it("reports a missing entry module and the classes it no longer exports", () => {
      fs.rmSync(path.join(dir(), "apps/api/src/worker.ts"));
      const problems = checkSystem(dir());
      assert.ok(problems.includes("unkey/apps/api/wrangler.toml: main src/worker.ts does not exist"), problems.join("\n"));
      assert.ok(problems.includes("unkey/apps/api/wrangler.toml: class DurableObjectRatelimiter is not exported by src/worker.ts"), problems.join("\n"));
    });
    it("reports a config that does not parse", () => {
      fs.appendFileSync(path.join(dir(), "apps/logdrain/wrangler.toml"), "\n[[broken\n");
      const problems = checkSystem(dir());
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0], /^unkey\/apps\/logdrain\/wrangler\.toml: does not parse/);
    });
    it("reports a config SOURCE.md does not name", () => {
      const f = path.join(dir(), "SOURCE.md");
      fs.writeFileSync(f, fs.readFileSync(f, "utf8").split("`apps/workflows/wrangler.toml`").join("`elsewhere`"));
      assert.deepEqual(checkSystem(dir()), ["unkey/SOURCE.md: does not name apps/workflows/wrangler.toml"]);
    });
  });

  describe("parseDryRun", () => {
    it("reads the bindings table, tail consumers, warnings and errors", () => {
      const stdout = [
        "Total Upload: 0.34 KiB / gzip: 0.24 KiB",
        "Your Worker has access to the following bindings:",
        "Binding                                        Resource            ",
        "env.D (D)                                      Durable Object      ",
        "env.KV (0123456789abcdef0123456789abcdef)      KV Namespace        ",
        'env.GREETING ("hello  world")                  Environment Variable',
        "env.AI                                         AI                  ",
        "",
        "Your Worker is sending Tail events to the following Workers:",
        "- tail",
        "--dry-run: exiting now.",
      ].join("\n");
      const stderr = "\u001b[33m▲ [WARNING]\u001b[0m Processing /x/wrangler.toml configuration:\n\n    - \"kv_namespaces\" exists at the top level\n";
      const r = parseDryRun(stdout, stderr, true, [["/x", "<config-dir>"]]);
      assert.deepEqual(r.bindings, [
        { name: "D", kind: "Durable Object", target: "D" },
        { name: "KV", kind: "KV Namespace", target: "0123456789abcdef0123456789abcdef" },
        { name: "GREETING", kind: "Environment Variable", target: '"hello  world"' },
        { name: "AI", kind: "AI", target: null },
      ]);
      assert.deepEqual(r.tailConsumers, ["tail"]);
      assert.deepEqual(r.warnings, ['Processing <config-dir>/wrangler.toml configuration:\n- "kv_namespaces" exists at the top level']);
      assert.deepEqual(r.errors, []);
    });
  });
});

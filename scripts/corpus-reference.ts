/**
 * Reference output of wrangler for the corpus of real multi-worker systems in
 * examples/corpus/<system>/ (see examples/corpus/README.md).
 *
 * For every wrangler config of every system and every environment of that config (the top level
 * as `--env ""`, then each `env.*`), it runs the project's pinned wrangler offline:
 *
 *   wrangler deploy --dry-run --outdir <tmp> --env <env> -c <config>
 *
 * and records what wrangler prints — the bindings table (name, kind, target/value), the tail
 * consumers, its warnings and errors, whether it succeeded — in
 * examples/corpus/<system>/reference.json (keys sorted, bindings in wrangler's order,
 * machine paths replaced by placeholders), so tests never need to run wrangler.
 *
 * Regenerate (Node 22, after `npm ci`; about two minutes, no network needed):
 *
 *   npx ts-node --transpile-only scripts/corpus-reference.ts [system ...]
 *
 * Without arguments every system is regenerated; `--check` compares instead of writing and exits
 * 1 when a reference.json is out of date. `--root <dir>` takes the systems from another folder
 * (tests/fixtures/import: the importer's own small configs).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const FIXTURES = path.join(__dirname, "..", "examples", "corpus");
const WRANGLER = path.join(__dirname, "..", "node_modules", "wrangler", "bin", "wrangler.js");
export const CONFIG_FILE = /^wrangler\.(toml|json|jsonc)$/;

export interface Binding {
  /** The name the worker sees, without `env.`. */
  name: string;
  /** wrangler's kind column, e.g. "D1 Database", "Durable Object", "Environment Variable". */
  kind: string;
  /** What wrangler prints in parentheses: an id, a bucket/queue/service name, a class, a var value. */
  target: string | null;
}

export interface EnvReference {
  /** wrangler exited 0. */
  ok: boolean;
  bindings: Binding[];
  tailConsumers: string[];
  warnings: string[];
  errors: string[];
}

export interface ConfigReference {
  envs: Record<string, EnvReference>;
}

export interface SystemReference {
  wrangler: string;
  command: string;
  configs: Record<string, ConfigReference>;
}

/** Every wrangler config below a system folder (relative paths, sorted). */
export function findConfigs(systemDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === ".wrangler") continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (CONFIG_FILE.test(e.name)) out.push(path.relative(systemDir, p).split(path.sep).join("/"));
    }
  };
  walk(systemDir);
  return out.sort();
}

/** The parsed raw config, read the way wrangler reads it (toml, json or jsonc). */
export function readRawConfig(configPath: string): Record<string, unknown> & { env?: Record<string, unknown> } {
  const wrangler = require("wrangler") as {
    experimental_readRawConfig: (args: { config: string }) => { rawConfig: Record<string, unknown> & { env?: Record<string, unknown> } };
  };
  return wrangler.experimental_readRawConfig({ config: configPath }).rawConfig;
}

/** The environments of a config as `--env` takes them: "" for the top level, then each `env.*`. */
export function environmentsOf(raw: { env?: Record<string, unknown> }): string[] {
  return ["", ...Object.keys(raw.env ?? {}).sort()];
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Turns what `wrangler deploy --dry-run` printed into an EnvReference. Exported for the tests. */
export function parseDryRun(stdout: string, stderr: string, ok: boolean, replace: Array<[string, string]>): EnvReference {
  const clean = (s: string): string => {
    let t = s.replace(ANSI, "").replace(/\r/g, "");
    for (const [from, to] of replace) t = t.split(from).join(to);
    return t;
  };
  const out = clean(stdout).split("\n");
  const bindings: Binding[] = [];
  const tailConsumers: string[] = [];
  for (let i = 0; i < out.length; i++) {
    if (/has access to the following bindings:/.test(out[i])) {
      i += 2; // the header row "Binding  Resource"
      for (; i < out.length && out[i].trim() !== ""; i++) {
        const row = out[i].trimEnd();
        const m = /^(.*\S)\s{2,}(\S(?:.*\S)?)$/.exec(row); // the kind is after the last run of 2+ spaces
        if (!m) continue;
        const left = m[1].trim();
        const nm = /^env\.(\S+)(?: \((.*)\))?$/.exec(left);
        bindings.push(nm ? { name: nm[1], kind: m[2].trim(), target: nm[2] ?? null } : { name: left, kind: m[2].trim(), target: null });
      }
    } else if (/sending Tail events to the following Workers:/.test(out[i])) {
      for (i++; i < out.length && /^- /.test(out[i]); i++) tailConsumers.push(out[i].slice(2).trim());
      i--;
    }
  }
  const blocks = (text: string, tag: string): string[] => {
    const res: string[] = [];
    const lines = clean(text).split("\n");
    for (let i = 0; i < lines.length; i++) {
      const head = new RegExp(`^[▲✘X]\\s*\\[${tag}\\]\\s*(.*)$`).exec(lines[i]);
      if (!head) continue;
      const body = [head[1].trim()];
      for (i++; i < lines.length && !/^[▲✘X]\s*\[(WARNING|ERROR)\]/.test(lines[i]); i++) {
        if (/^(🪵|If you think this is a bug)/u.test(lines[i].trim())) break;
        body.push(lines[i].trim());
      }
      i--;
      res.push(body.join("\n").replace(/\n{2,}/g, "\n").trim());
    }
    return res;
  };
  const all = stdout + "\n" + stderr;
  return { ok, bindings, tailConsumers, warnings: blocks(all, "WARNING"), errors: blocks(all, "ERROR") };
}

function run(args: string[], cwd: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WRANGLER, ...args],
      {
        cwd,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          CI: "true",
          NO_COLOR: "1",
          FORCE_COLOR: "0",
          WRANGLER_SEND_METRICS: "false",
          CLOUDFLARE_API_TOKEN: "",
          CLOUDFLARE_ACCOUNT_ID: "",
          WRANGLER_LOG_PATH: path.join(os.tmpdir(), "corpus-reference-logs"),
        },
      },
      (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

/** Deterministic JSON: object keys sorted at every level, arrays in their order. */
export function stableStringify(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === "object"
        ? Object.fromEntries(Object.keys(x as object).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])]))
        : x;
  return JSON.stringify(sort(v), null, 2) + "\n";
}

async function referenceOf(system: string, root: string): Promise<SystemReference> {
  const systemDir = path.join(root, system);
  const version = (JSON.parse(fs.readFileSync(path.join(path.dirname(WRANGLER), "..", "package.json"), "utf8")) as { version: string }).version;
  const ref: SystemReference = {
    wrangler: version,
    command: "wrangler deploy --dry-run --outdir <outdir> --env <env> -c <config>",
    configs: {},
  };
  const jobs: Array<() => Promise<void>> = [];
  // wrangler leaves a .wrangler/ folder next to each config; remove the ones it creates, once all
  // dry runs are done (two environments of one config run in parallel and share the folder).
  const created = new Set<string>();
  for (const rel of findConfigs(systemDir)) {
    const configPath = path.join(systemDir, rel);
    const configDir = path.dirname(configPath);
    if (!fs.existsSync(path.join(configDir, ".wrangler"))) created.add(path.join(configDir, ".wrangler"));
    const envs = environmentsOf(readRawConfig(configPath));
    const conf: ConfigReference = { envs: {} };
    ref.configs[rel] = conf;
    for (const env of envs) {
      jobs.push(async () => {
        const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "corpus-ref-"));
        const r = await run(["deploy", "--dry-run", "--outdir", outdir, "--env", env, "-c", configPath], configDir);
        fs.rmSync(outdir, { recursive: true, force: true });
        conf.envs[env] = parseDryRun(r.stdout, r.stderr, r.code === 0, [
          [outdir, "<outdir>"],
          [configDir, "<config-dir>"],
          [root, "<fixtures>"],
          [os.homedir(), "<home>"],
        ]);
      });
    }
  }
  const parallel = Math.max(1, Math.min(2, os.cpus().length));
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => { while (next < jobs.length) await jobs[next++](); }));
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
  return ref;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const rootAt = args.indexOf("--root");
  const root = rootAt >= 0 ? path.resolve(args[rootAt + 1] ?? ".") : FIXTURES;
  const wanted = args.filter((a, i) => !a.startsWith("--") && !(rootAt >= 0 && i === rootAt + 1));
  const systems = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const unknown = wanted.filter((w) => !systems.includes(w));
  if (unknown.length) throw new Error(`no such system under ${path.relative(process.cwd(), root)}: ${unknown.join(", ")} (have: ${systems.join(", ")})`);
  let stale = 0;
  for (const system of wanted.length ? wanted : systems) {
    const t0 = Date.now();
    const text = stableStringify(await referenceOf(system, root));
    const file = path.join(root, system, "reference.json");
    const runs = Object.values((JSON.parse(text) as SystemReference).configs).reduce((n, c) => n + Object.keys(c.envs).length, 0);
    if (check) {
      const same = fs.existsSync(file) && fs.readFileSync(file, "utf8") === text;
      if (!same) stale++;
      console.log(`${system}: ${runs} dry runs, ${same ? "up to date" : "OUT OF DATE"} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } else {
      fs.writeFileSync(file, text);
      console.log(`${system}: ${runs} dry runs -> ${path.relative(process.cwd(), file)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  if (stale) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}

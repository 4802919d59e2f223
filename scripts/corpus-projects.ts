/**
 * The corpus projects (examples/corpus/<system>/, see its README): each real system's wrangler
 * configs, stub workers and SOURCE.md, and at the system's root the workers-stack project that
 *
 *   workers-stack import <its configs> --out . --top-level-stack <TOP_LEVEL_STACK[system]> --force
 *
 * writes from them (Pulumi.yaml, Pulumi.<stack>.yaml, package.json, index.ts, tsconfig.json,
 * .gitignore) plus IMPORT.txt, what the importer printed. Every project file is generated: never
 * edit one, change the importer or the configs and regenerate.
 *
 *   npm run corpus [-- system ...]          regenerate (all systems without names)
 *   npm run corpus -- --check [system ...]  exit 1 when a committed project is not what the importer writes
 *   npm run corpus -- --table               print the README table (examples/corpus/README.md)
 *
 * tests/corpus-projects.test.ts regenerates each project in a temporary copy and compares, and
 * checks the README tables against `coverageRows`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { importWrangler, type ImportResult } from "../cli/import/importer";
import { summary } from "../cli/import/main";
import type { Line } from "../cli/import/model";
import { writeProject } from "../cli/import/project";
import { FIXTURES, findConfigs, type SystemReference } from "./corpus-reference";

export const CORPUS = FIXTURES;

/**
 * The stack each system's top level becomes: never the name of one of its envs. `production` when
 * the top level is what the system deploys (no envs, or the repository says so); `dev` when the
 * top level carries the development names and values; `default` where the repository gives the top
 * level no name of its own while an env already has the obvious one.
 */
export const TOP_LEVEL_STACK: Record<string, { stack: string; why: string }> = {
  actiko: { stack: "dev", why: "the top level is the local/dev setup next to envs stg and production" },
  "compliance-assistant": { stack: "dev", why: "SOURCE.md: dev (top level), staging and prod" },
  "cpa-study-note": { stack: "dev", why: "the top level is the development setup next to envs staging and production" },
  ente: { stack: "production", why: "no envs: the top level is what is deployed" },
  "forever-pto": { stack: "default", why: "the top level serves forever-pto.com, but env production exists already" },
  hey: { stack: "default", why: "the top level serves the custom domains, but env production exists already" },
  huly: { stack: "production", why: "envs dev and staging; the top level is the production deployment" },
  logosophe: { stack: "production", why: "no envs: the top level is what is deployed" },
  "mcp-server-cloudflare": { stack: "dev", why: "the top level's names end in -dev and its ENVIRONMENT is development" },
  "simple-agent-manager": { stack: "production", why: "no envs: the top level is what is deployed" },
  "sop-builder": { stack: "production", why: "SOURCE.md: top level (production) and preview" },
  tldraw: { stack: "default", why: "the top level is unnamed (the CI names it); envs dev, preview, staging and production exist" },
  unkey: { stack: "default", why: "envs canary, development, preview and production exist; the top level has no name of its own" },
  "workers-sdk-infra": { stack: "production", why: "envs fed-prod, staging and testing; the top level is the production deployment" },
};

/** The generated files at a system's root (besides the configs and workers it holds). */
export const isProjectFile = (name: string): boolean =>
  ["Pulumi.yaml", "package.json", "index.ts", "tsconfig.json", ".gitignore", "IMPORT.txt"].includes(name) || /^Pulumi\.[^.]+(\..+)?\.yaml$/.test(name);

export function systems(): string[] {
  return fs
    .readdirSync(CORPUS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(CORPUS, d.name, "SOURCE.md")))
    .map((d) => d.name)
    .sort();
}

/** The generated files of a system folder as they are now, by name. */
export function projectFilesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) if (isProjectFile(f) && fs.statSync(path.join(dir, f)).isFile()) out[f] = fs.readFileSync(path.join(dir, f), "utf8");
  return out;
}

function topLevelStack(system: string): string {
  const t = TOP_LEVEL_STACK[system];
  if (!t) throw new Error(`scripts/corpus-projects.ts: no top-level stack chosen for ${system}: add it to TOP_LEVEL_STACK`);
  return t.stack;
}

/**
 * Writes the project into a system folder (`dir`, whose name is the system's: the importer names
 * the app after it) exactly as `workers-stack import ... --out . --force` does on a folder without
 * a project: the old project files are removed first, so nothing of an earlier run survives.
 */
export function generate(dir: string, system: string = path.basename(dir)): ImportResult {
  for (const f of Object.keys(projectFilesOf(dir))) fs.rmSync(path.join(dir, f));
  const configs = findConfigs(dir);
  const top = topLevelStack(system);
  // Run from the project folder, as the command line above: wrangler's messages name the configs relative to it.
  const result = inDir(dir, () => importWrangler({ files: configs, out: ".", topLevelStack: top, cwd: dir }));
  const written = writeProject(dir, result, true);
  fs.writeFileSync(path.join(dir, "IMPORT.txt"), `$ workers-stack import ${configs.join(" ")} --out . --top-level-stack ${top} --force\n${summary(result, ".", written)}\n`);
  return result;
}

/** The system's import run again, without writing: the result the committed files come from. */
export function importOf(system: string): ImportResult {
  const dir = path.join(CORPUS, system);
  return inDir(dir, () => importWrangler({ files: findConfigs(dir), out: ".", topLevelStack: topLevelStack(system), cwd: dir }));
}

function inDir<T>(dir: string, f: () => T): T {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return f();
  } finally {
    process.chdir(before);
  }
}

/** A copy of the system's configs and workers (no project files) in a temporary folder named as the system. */
export function freshCopy(system: string): { dir: string; cleanup: () => void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "ws-corpus-"));
  const dir = path.join(base, system);
  const src = path.join(CORPUS, system);
  fs.cpSync(src, dir, { recursive: true, filter: (p) => !(path.dirname(p) === src && isProjectFile(path.basename(p))) });
  return { dir, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

/** What regenerating the system writes, compared with what is committed: one line per differing file. */
export function staleFiles(system: string): string[] {
  const { dir, cleanup } = freshCopy(system);
  try {
    generate(dir, system);
    const want = projectFilesOf(dir);
    const have = projectFilesOf(path.join(CORPUS, system));
    return [...new Set([...Object.keys(want), ...Object.keys(have)])]
      .sort()
      .filter((f) => want[f] !== have[f])
      .map((f) => `examples/corpus/${system}/${f}: ${have[f] === undefined ? "missing" : want[f] === undefined ? "not written by the importer (remove it)" : "differs from what the importer writes"}`);
  } finally {
    cleanup();
  }
}

// ---- the coverage table ----------------------------------------------------------------------

/** A line that means the import is not exact where it applies. */
export const blocking = (l: Line): boolean => l.level === "error" || l.level === "untranslated" || l.level === "later";

export interface WorkerCoverage {
  key: string;
  file: string;
  /**
   * Declared completely: on at least one stack, no blocking line of the importer for it on an env
   * wrangler deploys, and every stack it is on validates.
   */
  complete: boolean;
  /** What keeps it from being complete (short reasons), if anything. */
  missing: string[];
  /** Set when wrangler itself refuses one of its environments (reference.json): env → wrangler's error. */
  refusedByWrangler: Record<string, string>;
}

export interface SystemCoverage {
  system: string;
  topLevelStack: string;
  /** The stacks written (a stack where no worker can be declared is not). */
  stacks: string[];
  workers: WorkerCoverage[];
}

/** A line as a short reason: the key's first part (`vars`, `unsafe`, `imports`) and the first clause of why. */
const shortWhy = (l: Line): string => {
  const seg = l.key.replace(/^(stack\.)?workers\.[^.]+\./, "").replace(/^stack\./, "").split(/[.[]/)[0];
  const why = (l.why.replace(/^workers-stack refuses it \(stack [^)]*\): /, "").split(/ \(|: |\. /)[0] ?? l.why).replace(/`/g, "").trim().slice(0, 100);
  return seg ? `${seg}: ${why}` : why;
};

/** wrangler's error, without its framing: the sentence that says what is wrong. */
function wranglerWhy(errors: string[]): string {
  const ls = errors
    .join("\n")
    .split("\n")
    .map((l) => l.trim().replace(/^- /, ""))
    .filter((l) => l && !/^Processing .* configuration:$/.test(l) && !/environment configuration$/.test(l));
  const first = ls[0]?.endsWith(":") ? `${ls[0]} ${ls[1] ?? ""}` : (ls[0] ?? "");
  return (first.split(/\. /)[0] ?? first).replace(/\.$/, "").slice(0, 140);
}

/** A stack-wide line (file "") concerns the workers its key names (`workers.<key>.`), else every worker on its stacks. */
function concerns(l: Line, w: { key: string; stacks: Record<string, unknown> }): boolean {
  const m = /^workers\.([^.[]+)/.exec(l.key);
  if (m) return m[1] === w.key;
  return l.stacks === undefined || l.stacks.some((s) => s in w.stacks);
}

export function coverageOf(system: string, result: ImportResult = importOf(system)): SystemCoverage {
  const reference = JSON.parse(fs.readFileSync(path.join(CORPUS, system, "reference.json"), "utf8")) as SystemReference;
  const workers = result.workers.map((w): WorkerCoverage => {
    const refusedByWrangler: Record<string, string> = {};
    for (const [env, ref] of Object.entries(reference.configs[w.file]?.envs ?? {})) if (!ref.ok) refusedByWrangler[env] = wranglerWhy(ref.errors);
    // What the importer says about an env wrangler refuses is that refusal; the rest is what workers-stack lacks.
    const lines = result.lines.filter((l) => blocking(l) && ((l.file === w.file && !(l.env !== undefined && l.env in refusedByWrangler)) || (l.file === "" && concerns(l, w))));
    const missing = [...new Set(lines.map(shortWhy))].sort();
    if (Object.keys(w.stacks).length === 0 && !Object.keys(refusedByWrangler).length) missing.push("declared on no stack");
    return { key: w.key, file: w.file, complete: missing.length === 0 && Object.keys(w.stacks).length > 0, missing, refusedByWrangler };
  });
  return { system, topLevelStack: topLevelStack(system), stacks: result.stacks, workers };
}

const esc = (s: string) => s.replace(/\|/g, "\\|");

/** The rows of examples/corpus/README.md's table. */
export function coverageRows(all: SystemCoverage[]): string[] {
  return all.map((c) => {
    const complete = c.workers.filter((w) => w.complete).length;
    const reasons = new Map<string, number>();
    for (const w of c.workers) for (const m of w.missing) reasons.set(m, (reasons.get(m) ?? 0) + 1);
    const missing = [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([m, n]) => `${esc(m)} (${n})`);
    // Workers refused on the same envs for the same reason are one entry.
    const refusedGroups = new Map<string, string[]>();
    for (const w of c.workers) {
      const envs = Object.keys(w.refusedByWrangler);
      if (!envs.length) continue;
      const k = `${envs.map((e) => (e === "" ? `${c.topLevelStack} (top level)` : e)).join(", ")}: ${esc(Object.values(w.refusedByWrangler)[0]!)}`;
      refusedGroups.set(k, [...(refusedGroups.get(k) ?? []), w.key]);
    }
    const refused = [...refusedGroups].map(([k, ws]) => `${ws.join(", ")} on ${k}`);
    return `| [${c.system}](${c.system}/IMPORT.txt) | ${c.workers.length} | ${c.stacks.map((s) => (s === c.topLevelStack ? `${s} (top level)` : s)).join(", ")} | ${complete} / ${c.workers.length} | ${missing.join("; ") || "—"} | ${refused.join("; ") || "—"} |`;
  });
}

/** The short table of the project README: per system, workers declared completely. */
export function summaryRows(all: SystemCoverage[]): string[] {
  const complete = (cs: SystemCoverage[]) => cs.flatMap((c) => c.workers).filter((w) => w.complete).length;
  const workers = (cs: SystemCoverage[]) => cs.flatMap((c) => c.workers).length;
  return [
    ...all.map((c) => `| [${c.system}](examples/corpus/${c.system}/) | ${c.stacks.length} | ${complete([c])} / ${workers([c])} |`),
    `| **all ${all.length}** | ${all.reduce((n, c) => n + c.stacks.length, 0)} | ${complete(all)} / ${workers(all)} |`,
  ];
}

function main(): void {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const table = args.includes("--table");
  const wanted = args.filter((a) => !a.startsWith("--"));
  const all = systems();
  for (const s of wanted) if (!all.includes(s)) throw new Error(`no such system under examples/corpus: ${s} (one of ${all.join(", ")})`);
  const chosen = wanted.length ? wanted : all;
  if (table) {
    const cov = chosen.map((s) => coverageOf(s));
    console.log(coverageRows(cov).join("\n"));
    console.log("\n" + summaryRows(cov).join("\n"));
    return;
  }
  let stale = 0;
  for (const system of chosen) {
    if (check) {
      const diff = staleFiles(system);
      stale += diff.length;
      for (const d of diff) console.log(d);
      if (!diff.length) console.log(`${system}: up to date`);
      continue;
    }
    const result = generate(path.join(CORPUS, system), system);
    console.log(`${system}: ${result.workers.length} workers, stacks ${result.stacks.join(", ")}; ${result.lines.filter(blocking).length} lines not exact`);
  }
  if (stale) {
    console.log(`\n${stale} stale file(s): regenerate with npm run corpus`);
    process.exitCode = 1;
  }
}

if (require.main === module) main();

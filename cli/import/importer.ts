/**
 * wrangler configs → a workers-stack project: every environment of every config read with
 * wrangler's own reader, each environment a stack (the top level the stack `topLevelStack`
 * names), each config a worker; per stack the whole system is translated (translate.ts), then
 * factored into the shared declaration and each stack's overrides (factor.ts).
 */
import * as path from "node:path";
import { STACK_NAME } from "../../config/names";
import { systemSchema } from "../../config/schema";
import { checkImported } from "./check";
import { common, overridesFor } from "./factor";
import { has, Keys, Line, newStackBuild, Obj, slug, StackBuild, withoutStack } from "./model";
import { Ctx, replayMigrations, translateWorker } from "./translate";
import { ReadConfig, readWranglerConfig, WranglerEnv } from "./wrangler";

export interface ImportOptions {
  /** wrangler config files, as given (messages name them so). */
  files: string[];
  /** The output folder (paths in the declaration are relative to it). */
  out: string;
  /** The stack the top level of each config becomes; without it the top level is not imported. */
  topLevelStack?: string;
  /** Base for relative file names in messages. @default process.cwd() */
  cwd?: string;
}

export interface ImportedWorker {
  key: string;
  file: string;
  /** Per stack, the env it comes from ("" = top level) and its script name. */
  stacks: Record<string, { env: string; name: string }>;
}

export interface ImportResult {
  app: string;
  stacks: string[];
  workers: ImportedWorker[];
  /** The shared declaration (`<app>:system`). */
  system: Obj;
  /** Each stack's settings (`<app>:stack`): imports and overrides. */
  stackSettings: Record<string, Obj>;
  /** Per stack: ids to find before the first `up`, and the config secrets to set. */
  todo: Record<string, { find: StackBuild["find"]; secrets: string[]; zones: string[] }>;
  /** The zones routes and custom domains are on, the system's `zone` first. */
  zones: string[];
  lines: Line[];
}

/** A usage error of the command (exit code 2), or a config it cannot read. */
export class ImportError extends Error {
  exitCode = 2;
}

/**
 * The name of each config's worker, for its key: its top-level name; else its first env's name
 * without that env's name in it (tldraw's `dev-bemo` → `bemo`); else its folder's name.
 */
function workerNames(configs: ReadConfig[]): string[] {
  return configs.map((c) => {
    if (typeof c.raw.name === "string" && c.raw.name) return c.raw.name;
    const e = c.envs.find((x) => x.config?.name);
    return e ? withoutStack(e.config!.name!, e.env) : path.basename(path.dirname(c.file));
  });
}

/** The `-`-separated first part every name shares (`compliance` of compliance-api, compliance-ingest), if any. */
function sharedPrefix(names: string[]): string {
  if (names.length < 2) return "";
  const parts = names.map((n) => slug(n, "w").split("-"));
  const out: string[] = [];
  for (let i = 0; parts.every((p) => p.length > i + 1 && p[i] === parts[0]![i]); i++) out.push(parts[0]![i]!);
  return out.join("-");
}

/** The worker key of each config: its name without the shared prefix, as a logical key, unique. */
function workerKeys(names: string[], prefix: string): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base = slug(prefix ? slug(name, "w").slice(prefix.length + 1) : name, "w");
    let key = base;
    for (let i = 2; used.has(key); i++) key = `${base.slice(0, 28)}-${i}`;
    used.add(key);
    return key;
  });
}

const mostCommon = <T>(values: T[]): T | undefined => {
  const counts = new Map<string, { n: number; v: T }>();
  for (const v of values) {
    const k = JSON.stringify(v);
    counts.set(k, { n: (counts.get(k)?.n ?? 0) + 1, v });
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.v;
};

const isEmpty = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
const compact = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => !isEmpty(v)));

export function importWrangler(o: ImportOptions): ImportResult {
  const cwd = o.cwd ?? process.cwd();
  const out = path.resolve(cwd, o.out);
  const lines: Line[] = [];
  if (o.files.length === 0) throw new ImportError("give at least one wrangler config (wrangler.toml, wrangler.json or wrangler.jsonc)");
  const configs = o.files.map((f) => readWranglerConfig(path.resolve(cwd, f)));
  const display = (c: ReadConfig) => o.files[configs.indexOf(c)]!;

  // The stacks: the top level's (when named), then every env of every config, in order of appearance.
  const envNames = [...new Set(configs.flatMap((c) => c.envs.map((e) => e.env).filter((e) => e !== "")))];
  if (o.topLevelStack !== undefined && envNames.includes(o.topLevelStack))
    throw new ImportError(`--top-level-stack ${o.topLevelStack}: an env of the configs has that name already; pick another stack name for the top level`);
  const stacks = [...(o.topLevelStack !== undefined ? [o.topLevelStack] : []), ...envNames];
  for (const s of stacks) if (!STACK_NAME.test(s)) throw new ImportError(`"${s}" cannot be a stack name (letters, digits, '-', '_', '.'): rename the env or use another --top-level-stack`);
  if (stacks.length === 0) throw new ImportError("the configs have no env.* blocks: name the stack the top level becomes with --top-level-stack <stack>");
  const envOf = (stack: string) => (stack === o.topLevelStack ? "" : stack);

  const names = workerNames(configs);
  const prefix = sharedPrefix(names);
  const keys = workerKeys(names, prefix);
  const workers: ImportedWorker[] = configs.map((c, i) => ({ key: keys[i]!, file: display(c), stacks: {} }));

  // Which worker runs on which stack, under which script name. An env wrangler refuses is refused here too.
  const cfgOn = (c: ReadConfig, stack: string): WranglerEnv | undefined => {
    const e = c.envs.find((x) => x.env === envOf(stack));
    return e?.config?.name ? e.config : undefined;
  };
  configs.forEach((c, i) => {
    for (const e of c.envs) {
      if (e.env === "" && o.topLevelStack === undefined) continue;
      if (e.error) lines.push({ level: "error", file: display(c), env: e.env, key: "(config)", why: `wrangler refuses this environment: ${e.error.replace(/\u001b\[[0-9;]*m/g, "")}` });
      else if (!e.config?.name) lines.push({ level: "error", file: display(c), env: e.env, key: "name", why: "the worker has no name on this environment (wrangler: \"You need to provide the name of your worker\"): it is left out of this stack" });
    }
    for (const s of stacks) {
      const cfg = cfgOn(c, s);
      if (cfg) workers[i]!.stacks[s] = { env: envOf(s), name: cfg.name! };
    }
  });

  const builds = stacks.map((stack) => {
    const build = newStackBuild(stack);
    const onStack = configs.map((c, i) => ({ c, i, cfg: cfgOn(c, stack) })).filter((x) => x.cfg !== undefined).sort((a, b) => keys[a.i]!.localeCompare(keys[b.i]!));
    const byScript = new Map(onStack.map((x) => [x.cfg!.name!, keys[x.i]!]));
    const hosted = new Map(onStack.map((x) => [keys[x.i]!, new Set(replayMigrations(x.cfg!.migrations ?? []).keys())]));
    const stackKeys = { databases: new Keys(), kvNamespaces: new Keys(), queues: new Keys(), r2Buckets: new Keys(), hyperdrives: new Keys(), workflows: new Keys() };
    for (const { c, i, cfg } of onStack) {
      const env = envOf(stack);
      const worker: Obj = {};
      const ctx: Ctx = {
        file: display(c),
        env,
        stack,
        key: keys[i]!,
        cfg: cfg!,
        written: c.envs.find((e) => e.env === env)!.written,
        configDir: path.dirname(c.file),
        out,
        worker,
        build,
        keys: stackKeys,
        workerOfScript: (script) => byScript.get(script),
        hostedClasses: (w) => hosted.get(w),
        report: (level, key, why) => lines.push({ level, file: display(c), env, key, why }),
      };
      translateWorker(ctx);
      if (ctx.omit) delete workers[i]!.stacks[stack];
      else build.system.workers[keys[i]!] = worker;
    }
    // Config secrets: those the declared workers of this stack list (a left-out worker's are not declared).
    for (const w of Object.values(build.system.workers))
      for (const n of (w.secrets as string[] | undefined) ?? []) {
        build.system.secrets[n] = { from: "config" };
        build.secretNames.add(n);
      }
    return build;
  });

  // Paths out of --out: the program keeps entries and migrations inside the project (a security rule).
  const outside = builds.flatMap((b) => [
    ...Object.values(b.system.workers).flatMap((w) => [w.entry, (w.assets as Obj | undefined)?.directory]),
    ...Object.values(b.system.databases).map((d) => d.migrations),
  ]).filter((p): p is string => typeof p === "string" && p.startsWith("../"));
  if (outside.length) {
    const dirs = configs.map((c) => path.dirname(c.file));
    let ancestor = dirs[0]!;
    while (!dirs.every((d) => d === ancestor || d.startsWith(ancestor + path.sep))) ancestor = path.dirname(ancestor);
    lines.push({
      level: "error",
      file: "",
      key: "--out",
      why: `${outside[0]} (and ${outside.length - 1} more) is outside ${o.out}: workers-stack keeps entries and migrations inside the project folder; import with --out ${path.relative(cwd, ancestor) || "."} (the folder holding every config; --force when it is not empty)`,
    });
  }

  // A stack where no worker could be declared is not written.
  for (const b of [...builds]) {
    if (Object.keys(b.system.workers).length) continue;
    lines.push({ level: "note", file: "", key: `stack ${b.stack}`, why: "no worker can be declared on this stack: its stack file is not written" });
    builds.splice(builds.indexOf(b), 1);
    stacks.splice(stacks.indexOf(b.stack), 1);
  }

  // System-wide keys, per stack: the compatibility date most workers use, the zone, injection off.
  const app = prefix ? slug(prefix, "app") : slug(path.basename(out), "app");
  const zoneCounts = new Map<string, number>();
  for (const b of builds) for (const [z, n] of b.zones) zoneCounts.set(z, (zoneCounts.get(z) ?? 0) + n);
  const zones = [...zoneCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([z]) => z);
  const zoneRequired = !systemSchema.shape.zone.safeParse(undefined).success;
  if (!zones.length && zoneRequired)
    lines.push({ level: "note", file: "", key: "zone", why: "no route or custom domain names a zone; this version of workers-stack needs a system zone, so example.com is written (nothing is served on it)" });
  const perStack = builds.map((b) => {
    const dates = Object.values(b.system.workers).map((w) => w.compatibilityDate as string | undefined).filter((d): d is string => !!d);
    const date = mostCommon(dates) ?? "2025-01-01";
    for (const w of Object.values(b.system.workers)) if (w.compatibilityDate === date) delete w.compatibilityDate;
    const s: Obj = {
      app,
      ...(zones.length ? { zone: zones[0] } : zoneRequired ? { zone: "example.com" } : {}),
      ...(zones.length > 1 && has.system("zones") ? { zones: zones.slice(1) } : {}),
      compatibilityDate: date,
      // wrangler injects no vars: turn off the program's ENVIRONMENT and VERSION where it can.
      ...(has.system("environmentVar") ? { environmentVar: false } : {}),
      ...(has.system("versionVar") ? { versionVar: false } : {}),
      ...compact(b.system),
    };
    return s;
  });
  if (!has.system("environmentVar") || !has.system("versionVar"))
    lines.push({ level: "later", file: "", key: "(injected vars)", why: "wrangler adds no ENVIRONMENT or VERSION var, workers-stack does: turning them off needs `environmentVar` / `versionVar` (being added)" });

  const system = common(perStack) as Obj;
  const stackSettings: Record<string, Obj> = {};
  const todo: ImportResult["todo"] = {};
  builds.forEach((b, i) => {
    const overrides = overridesFor(system, perStack[i]);
    const imports = compact(b.imports as unknown as Obj);
    stackSettings[b.stack] = { ...(Object.keys(imports).length ? { imports } : {}), ...(overrides !== undefined ? { overrides } : {}) };
    todo[b.stack] = { find: dedupe(b.find), secrets: [...b.secretNames].sort(), zones: [...b.zones.keys()].sort() };
  });
  lines.push(...sharedNames(workers, builds));
  lines.push(...checkImported({ app, out, stacks, system, stackSettings, ...(outside.length ? { skip: /leaves the project root/ } : {}) }));
  return { app, stacks, workers, system, stackSettings, todo, zones, lines };
}

/**
 * Script, workflow and queue names several stacks use (wrangler lets two environments deploy the
 * same script). In one account, workers-stack refuses that (config/crossStackNames.ts): each
 * stack's `up` would overwrite the other's. Adopted resources are exempt, so a queue stops
 * counting once its id is in `imports.queues`.
 */
function sharedNames(workers: ImportedWorker[], builds: StackBuild[]): Line[] {
  const uses = new Map<string, string[]>();
  const add = (what: string, name: string, stack: string) => uses.set(`${what}\0${name}`, [...(uses.get(`${what}\0${name}`) ?? []), stack]);
  for (const w of workers) for (const [stack, x] of Object.entries(w.stacks)) add("script", x.name, stack);
  for (const b of builds) {
    for (const q of Object.values(b.system.queues)) if (typeof q.name === "string") add("queue", q.name.replace(/\{stack\}/g, b.stack), b.stack);
    for (const w of Object.values(b.system.workers))
      for (const wf of Object.values((w.workflows as Record<string, Obj> | undefined) ?? {})) if (typeof wf.name === "string") add("workflow", wf.name.replace(/\{stack\}/g, b.stack), b.stack);
  }
  return [...uses]
    .filter(([, stacks]) => new Set(stacks).size > 1)
    .map(([k, stacks]) => {
      const [what, name] = k.split("\0") as [string, string];
      return {
        level: "note" as const,
        file: "",
        key: `${what} ${name}`,
        why: `used on stacks ${[...new Set(stacks)].join(", ")}: if they share an account, workers-stack refuses it (each stack's up would ${what === "queue" ? "manage the same queue; adopt it by id in imports.queues on each" : "upload over the other's"}) — keep those stacks in separate accounts or give them different names`,
      };
    });
}

function dedupe<T>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((x) => {
    const k = JSON.stringify(x);
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** The per-stack declaration the factoring must reproduce (for tests): `system` with the stack's overrides merged. */
export { overridesFor, common };

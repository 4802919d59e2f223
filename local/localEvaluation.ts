/** The program evaluated for the local runner and the checks: config secrets from .dev.vars or generated, made-up ids, the stack files read once. */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { deepMerge, isPlainObject } from "../config/merge";
import { evaluateStack, Evaluation } from "../harness/evaluate";
import type { LocalOptions } from "./runner";
import { readStackConfig, readStackFiles, stackConfigOf } from "../harness/pulumiConfig";
import { parseMigrateCommand } from "../components/commands";

/** Parses a wrangler-style `.dev.vars` file: KEY=value lines, optional quotes, # comments. */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/** Names of the `{ from: config }` secrets of a stack (shared system with the stack's overrides). */
export function configSecretNames(root: string, stack: string, plain: Record<string, string> = {}): string[] {
  return configSecretNamesOf(readStackConfig(root, stack, { plain }).config);
}

/**
 * The stack settings with a made-up id for every further zone of the system (`zones`) the stack
 * file gives none for (`settings` undefined when none is missing, or the settings do not parse:
 * the validation says so), and whether `zoneIds` gives the main zone's id.
 */
function localZoneIds(config: Record<string, string>, project: string, stack: string): { settings?: string; mainGiven: boolean } {
  const parse = (k: string): unknown => {
    try {
      return config[k] === undefined ? undefined : JSON.parse(config[k]!);
    } catch {
      return undefined;
    }
  };
  const settings = parse(`${project}:stack`) ?? {};
  if (!isPlainObject(settings)) return { mainGiven: false };
  const shared = parse(`${project}:system`);
  const system = isPlainObject(settings.overrides) ? deepMerge(shared, settings.overrides) : shared;
  const main = isPlainObject(system) && typeof system.zone === "string" ? system.zone : undefined;
  const zones = isPlainObject(system) && Array.isArray(system.zones) ? system.zones.filter((z): z is string => typeof z === "string") : [];
  const given = isPlainObject(settings.zoneIds) ? settings.zoneIds : {};
  const mainGiven = main !== undefined && Object.hasOwn(given, main);
  const missing = zones.filter((z) => z !== main && !Object.hasOwn(given, z));
  if (!missing.length) return { mainGiven };
  return { settings: JSON.stringify({ ...settings, zoneIds: { ...given, ...Object.fromEntries(missing.map((z) => [z, localId(`${stack}:zone:${z}`)])) } }), mainGiven };
}

/** Names of the `{ from: config }` secrets in a stack's configuration (shared system with the stack's overrides). */
function configSecretNamesOf(config: Record<string, string>): string[] {
  const parse = (k: string) => {
    try {
      return config[k] === undefined ? undefined : JSON.parse(config[k]!);
    } catch {
      return undefined;
    }
  };
  const project = Object.keys(config).find((k) => k.endsWith(":system"))?.split(":")[0] ?? "workers-stack";
  const settings = parse(`${project}:stack`);
  const shared = parse(`${project}:system`);
  const system = isPlainObject(settings) && isPlainObject(settings.overrides) ? deepMerge(shared, settings.overrides) : shared;
  const secrets = isPlainObject(system) && isPlainObject(system.secrets) ? system.secrets : {};
  return Object.entries(secrets)
    .filter(([, s]) => isPlainObject(s) && s.from === "config")
    .map(([name]) => name)
    .sort();
}

export function readSeed(stateDir: string): string {
  const file = path.join(stateDir, "seed");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  const seed = crypto.randomBytes(16).toString("hex");
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(file, `${seed}\n`, { mode: 0o600 });
  return seed;
}

/** A stand-in id for local runs, in the 32-hex shape Cloudflare uses. */
function localId(what: string): string {
  return crypto.createHash("sha256").update(`workers-stack-local:${what}`).digest("hex").slice(0, 32);
}

/** The migration command of the program with --remote swapped for --local, or undefined if it is not ours. */
export const localMigrationArgs = parseMigrateCommand;

/**
 * Evaluates a stack the way the local runner and `npm run validate` need it: config secrets from
 * the caller, `.dev.vars.<stack>` or `.dev.vars`, else generated and named in a notice; account
 * and zone ids made up when the stack has none (nothing here talks to Cloudflare).
 */
export async function evaluateLocally(
  opts: Pick<LocalOptions, "root" | "stack" | "secrets" | "plain">,
  stateDir: string,
  notice: (line: string) => void,
): Promise<Evaluation> {
  const devVars = [`.dev.vars.${opts.stack}`, ".dev.vars"]
    .map((f) => path.join(opts.root, f))
    .filter((f) => fs.existsSync(f))
    .reduceRight<Record<string, string>>((acc, f) => ({ ...acc, ...parseDevVars(fs.readFileSync(f, "utf8")) }), {});
  const seed = readSeed(stateDir);
  const secrets: Record<string, string> = {};
  // The stack files are read and parsed once per start: for the secret names, the ids and the evaluation.
  const files = readStackFiles(opts.root, opts.stack);
  const plain: Record<string, string> = { ...opts.plain };
  const { config, project } = stackConfigOf(files, { plain });
  for (const name of configSecretNamesOf(config)) {
    const given = opts.secrets?.[name] ?? devVars[name];
    if (given !== undefined) secrets[name] = given;
    else {
      secrets[name] = `local-${crypto.createHash("sha256").update(`${seed}:${name}`).digest("hex").slice(0, 24)}`;
      notice(`secret ${name} is not in .dev.vars.${opts.stack} or .dev.vars: using a generated local value`);
    }
  }
  const zones = localZoneIds(config, project, opts.stack);
  for (const key of ["accountId", "zoneId"]) {
    // The main zone's id may be given in the stack setting zoneIds instead of zoneId.
    if (key === "zoneId" && zones.mainGiven) continue;
    if (!config[`${project}:${key}`]) plain[key] = localId(`${opts.stack}:${key}`);
  }
  if (zones.settings) plain[`${project}:stack`] = zones.settings;
  const evaluation = await evaluateStack({ root: opts.root, stack: opts.stack, secrets, plain, seed, files });
  if (evaluation.error) throw evaluation.error;
  return evaluation;
}


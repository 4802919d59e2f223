/**
 * Validation of a stack's configuration: the zod schemas for shape, then the rules that need
 * the whole declaration (references, secrets, files, names, cycles). Every problem is collected
 * and reported at once; nothing here touches Pulumi or Cloudflare.
 */
import { ConfigError, ConfigIssue } from "./errors";
import { deepMerge, isPlainObject } from "./merge";
import { stackSchema, StackConfig, SystemConfig, WorkerConfig } from "./schema";
import { didYouMean, WorkersPlan } from "./limits";
import { RULES, type RuleContext } from "./rules";
import { parseSystem, zodIssues } from "./lenientSystem";
import { resolveZoneIds } from "./routing";
import type { BundleOptions } from "./scriptSettings";
import { absentWorkers, checkPresence, checkStackNames } from "./stackPresence";

/** What the program read from Pulumi config for one stack. */
export interface ConfigSource {
  project: string;
  stack: string;
  /** Value of `<project>:system` (Pulumi.yaml), already parsed from JSON; undefined when unset. */
  system: unknown;
  /** Value of `<project>:stack` (Pulumi.<stack>.yaml); undefined when unset. */
  stackSettings: unknown;
  accountId?: string;
  zoneId?: string;
  /** A per-stack config key of this project: its value and whether it is stored encrypted. */
  lookup(key: string): { value: string; secret: boolean } | undefined;
  /**
   * Every config key set under this project's namespace (without the `<project>:` prefix): a key
   * the program does not read is reported, so a misspelled `acountId` is never ignored.
   * @default not checked
   */
  keys?: string[];
}

/** Facts about the working tree the rules need, injected so validation stays pure. */
export interface Facts {
  /** True when a regular file exists at this project-relative path. */
  isFile(relPath: string): boolean;
  /** Names of the entries of a project-relative folder, or undefined when it is not a folder. */
  listDir(relPath: string): string[] | undefined;
  /** Today's date, YYYY-MM-DD (UTC): compatibility dates after it are rejected by Cloudflare. */
  today: string;
  /** False when an existing path resolves (through a symlink) outside the project root. @default always inside */
  insideProject?(relPath: string): boolean;
  /**
   * Bundles a worker's entry (which exists): its size, or esbuild's errors. Validation reports
   * both, so a worker that does not compile stops the program before anything is registered.
   * @default not bundled (pure validation, e.g. the fuzzing)
   */
  bundle?(entry: string, worker: string, options?: BundleOptions): { errors: string[] } | { bytes: number; gzipBytes: number };
  /**
   * Reads an existing asset folder (project-relative): how many files would be uploaded, and why
   * wrangler would refuse it (a file over 25 MiB, a Pages `_worker.js`).
   * @default not read (pure validation)
   */
  assets?(dir: string): { files: number; problems: string[] };
}

/** A configuration that passed every rule. */
export interface Declaration {
  project: string;
  stack: string;
  system: SystemConfig;
  settings: Required<Pick<StackConfig, "suffix" | "hostnameSuffix" | "protect">> & Omit<StackConfig, "suffix" | "hostnameSuffix" | "protect" | "overrides">;
  accountId: string;
  /** The main zone's id ("" when nothing is served on it). */
  zoneId: string;
  /** The id of every zone the stack serves something on, by zone. */
  zoneIds: Record<string, string>;
  /** Workers declared but absent from this stack (`stacks`), by key: not deployed. @default none */
  absentWorkers?: Record<string, WorkerConfig>;
}

/**
 * The names the program gives every worker by default; a declaration may not use them unless it
 * renames or switches them off (`environmentVar`, `versionVar`: see injectedNames in names.ts).
 */
export const RESERVED_NAMES = ["ENVIRONMENT", "VERSION"];

export const HEX32 = /^[0-9a-f]{32}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const PLACEHOLDER = /placeholder|^x{3,}$|<[^>]*>|\bTODO\b|\bTBD\b|change[-_ ]?me|replace[-_ ]?me|your[-_ ]/i;
const ALL_ZERO = /^[0-]+$/;
/** Var names that say "I am a credential": they belong under `secrets`. */
export const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|MASTER_?KEY|CREDENTIALS?)$/i;
/** Values that look like credentials whatever their name. */
export const SECRET_VALUE = [
  /^sk-[A-Za-z0-9_-]{16,}$/, // OpenAI-style API key
  /^\d{6,12}:[A-Za-z0-9_-]{30,}$/, // Telegram bot token
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^(ghp|gho|github_pat)_[A-Za-z0-9_]{20,}$/,
  /^AKIA[0-9A-Z]{16}$/,
  /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]+@/, // credentials in a URL: postgres://user:password@host/db
];

/** One segment of a project path: no shell or option characters (`..` is refused before). */
const PATH_SEGMENT = /^[A-Za-z0-9_@+.][A-Za-z0-9._@+-]*$/;

/**
 * Why a declared path (an entry, a migrations folder) may not be used, or undefined when it is a
 * plain relative path inside the project: `workers/bot/index.ts`, `migrations/main`.
 */
export function projectPathProblem(value: string): string | undefined {
  if (value.startsWith("/") || /^[A-Za-z]:/.test(value)) return `"${truncate(value)}" is an absolute path; give it relative to the project root`;
  const segments = value.replace(/^\.\//, "").replace(/\/$/, "").split("/");
  if (segments.includes("..")) return `"${truncate(value)}" leaves the project root; entries and migrations must be inside the project`;
  if (!segments.every((s) => PATH_SEGMENT.test(s)))
    return `"${truncate(value)}" is not a plain relative path: use letters, digits and . _ - @ + between '/' (no spaces, no shell characters)`;
  return undefined;
}

/**
 * True when `key` is one of the record's own keys. Names such as `constructor` or `toString` are
 * valid keys and identifiers; `record[key]` would find Object.prototype's instead.
 */
export function own(record: Record<string, unknown> | undefined, key: string): boolean {
  return record !== undefined && Object.hasOwn(record, key);
}

export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value) || ALL_ZERO.test(value);
}

/** Validates a stack's configuration; returns the declaration or throws a ConfigError listing every problem. */
export function validate(source: ConfigSource, facts: Facts): Declaration {
  const issues: ConfigIssue[] = [];
  const { stack, project } = source;

  // 1. The stack file's own settings.
  let settings: StackConfig = {};
  if (source.stackSettings !== undefined) {
    const parsed = stackSchema.safeParse(source.stackSettings);
    if (parsed.success) settings = parsed.data;
    else {
      issues.push(...zodIssues(parsed.error, "stack", `Pulumi.${stack}.yaml`, source.stackSettings));
      if (isPlainObject(source.stackSettings) && isPlainObject(source.stackSettings.overrides))
        settings = { overrides: source.stackSettings.overrides };
    }
  }

  // 2. The shared system with this stack's overrides.
  if (source.system === undefined) {
    issues.push({
      path: "system",
      message: `not set: ${project}:system holds the shared declaration`,
      hint: `add it to Pulumi.yaml under config: ${project}:system: value: (see README "Configuration")`,
    });
    throw new ConfigError(stack, locate(issues, source, settings.overrides));
  }
  const merged = settings.overrides ? deepMerge(source.system, settings.overrides) : source.system;
  const overriddenNew = newWorkersWithoutEntry(source.system, settings.overrides, issues);
  const system = parseSystem(merged, issues);
  // A worker an override invents without an entry is reported once, as the override's mistake.
  for (let i = issues.length - 1; i >= 0; i--) {
    const m = /^system\.workers\.(.+)\.entry$/.exec(issues[i]!.path);
    if (m && overriddenNew.has(m[1]!)) issues.splice(i, 1);
  }
  const plan: WorkersPlan = system.plan ?? "paid";

  // Workers absent from this stack (`stacks`): references to them are reported here, then they
  // leave the system; their secrets and transfers are still known (system.absent).
  const absent = new Set(absentWorkers(system.workers, stack));
  checkStackNames(system.workers, facts.listDir("."), stack, issues);
  checkPresence(system.workers, absent, stack, issues);
  if (absent.size) {
    system.absent = Object.fromEntries(Object.entries(system.workers).filter(([k]) => absent.has(k)));
    system.workers = Object.fromEntries(Object.entries(system.workers).filter(([k]) => !absent.has(k)));
    // References to them are reported once, by checkPresence, not again as "not declared".
    for (const k of absent) system.invalid.add(`workers.${k}`);
  }

  // 3. Account and zones: the id of every zone the stack serves something on (config/routing.ts).
  const accountId = checkId(source.accountId, "accountId", HEX32, "a 32-character hex account id", stack, issues, true);
  const zoneIds = resolveZoneIds(source, settings, system, stack, issues);

  const suffix = settings.suffix ?? `-${stack}`;
  const hostnameSuffix = settings.hostnameSuffix ?? suffix;
  const ctx: RuleContext = { source, facts, stack, project, settings, system, plan, suffix, hostnameSuffix, issues };
  for (const rule of RULES) rule(ctx);

  // 10. Config keys of this project that nothing reads.
  checkProjectKeys(source, system, issues);

  if (issues.length) throw new ConfigError(stack, locate(issues, source, settings.overrides));
  const { invalid: _invalid, absent: _absent, ...clean } = system;
  return {
    project,
    stack,
    system: clean,
    settings: {
      suffix,
      hostnameSuffix,
      protect: settings.protect ?? stack === "production",
      ...(settings.version !== undefined ? { version: settings.version } : {}),
      ...(settings.environment !== undefined ? { environment: settings.environment } : {}),
      ...(settings.imports !== undefined ? { imports: settings.imports } : {}),
    },
    accountId: accountId!,
    zoneId: (system.zone !== undefined ? zoneIds[system.zone] : undefined) ?? "",
    zoneIds,
    ...(system.absent ? { absentWorkers: system.absent } : {}),
  };
}

export type { LenientSystem } from "./lenientSystem";

/**
 * Workers an override adds that Pulumi.yaml does not declare, without an entry: almost always a
 * misspelled worker key. Reported as the override's mistake, with the closest declared key.
 */
function newWorkersWithoutEntry(system: unknown, overrides: Record<string, unknown> | undefined, issues: ConfigIssue[]): Set<string> {
  const found = new Set<string>();
  const added = overrides && isPlainObject(overrides.workers) ? overrides.workers : undefined;
  if (!added) return found;
  const declared = isPlainObject(system) && isPlainObject(system.workers) ? system.workers : {};
  for (const [key, worker] of Object.entries(added)) {
    if (Object.hasOwn(declared, key) || !isPlainObject(worker) || Object.hasOwn(worker, "entry") || Object.hasOwn(worker, "assets")) continue;
    found.add(key);
    const near = didYouMean(key, Object.keys(declared));
    issues.push({
      path: `stack.overrides.workers.${key}`,
      message: `worker "${key}" is not declared in Pulumi.yaml${near ? ` (did you mean "${near}"?)` : ""}`,
      hint: `an override changes a worker of the system; to add a worker on this stack only, give it an entry here (declared workers: ${Object.keys(declared).join(", ") || "none"})`,
    });
  }
  return found;
}


/** Keys under the project's namespace the program reads: everything else is a mistake. */
function checkProjectKeys(source: ConfigSource, system: SystemConfig & { invalid: Set<string> }, issues: ConfigIssue[]): void {
  if (!source.keys) return;
  const secrets = system.secrets ?? {};
  const fromConfig = Object.keys(secrets).filter((n) => secrets[n]!.from === "config");
  const known = ["system", "stack", "accountId", "zoneId", ...fromConfig];
  for (const key of source.keys) {
    if (known.includes(key) || system.invalid.has(`secrets.${key}`)) continue;
    const path = `${source.project}:${key}`;
    const remove = `pulumi config rm ${key} --stack ${source.stack}`;
    if (own(secrets, key)) {
      issues.push({ path, message: `${key} is a generated secret ({ generate }): this config value is never used`, hint: `remove it (${remove}), or declare the secret { from: config }` });
      continue;
    }
    const near = didYouMean(key, known);
    issues.push({
      path,
      message: `unknown config key${near ? ` (did you mean ${near}?)` : ""}`,
      hint: near
        ? `rename it: ${remove}, then pulumi config set ${near === key ? key : near} ... --stack ${source.stack}`
        : `remove it (${remove}); the keys of ${source.project}: are ${known.join(", ")}`,
    });
  }
}

/**
 * Says which file holds each problem. A problem under `system.` is in Pulumi.yaml unless the
 * stack's overrides put that value there: then it is reported at its place in the stack file.
 */
function locate(issues: ConfigIssue[], source: ConfigSource, overrides: Record<string, unknown> | undefined): ConfigIssue[] {
  const stackFile = `Pulumi.${source.stack}.yaml`;
  return issues.map((issue) => {
    if (issue.file) return issue;
    const p = issue.path;
    if (p.startsWith("stack.")) return { ...issue, file: stackFile };
    if (p === "system" || p.startsWith("system.")) {
      const rest = p === "system" ? [] : p.slice("system.".length).split(".");
      if (overrides && fromOverride(source.system, overrides, rest)) return { ...issue, path: ["stack.overrides", ...rest].join("."), file: stackFile };
      return { ...issue, file: "Pulumi.yaml" };
    }
    return { ...issue, file: `stack config (pulumi config; ${stackFile})` };
  });
}

/** True when the value at `segments` of the merged system came from the overrides. */
function fromOverride(system: unknown, overrides: unknown, segments: string[]): boolean {
  let base: unknown = system;
  let over: unknown = overrides;
  if (segments.length === 0) return false;
  for (const seg of segments) {
    if (!isPlainObject(over) || !Object.hasOwn(over, seg)) return false;
    const next = over[seg];
    const baseValue = isPlainObject(base) && Object.hasOwn(base, seg) ? base[seg] : undefined;
    // The override's value replaced the system's (or added it): it is the override's.
    if (!isPlainObject(next) || !isPlainObject(baseValue)) return next !== null;
    base = baseValue;
    over = next;
  }
  // Both are objects at the path: merged. A single item (a worker, a binding, a var) the override
  // changes is the override's; a whole section (system.workers) is not.
  return segments.length >= 3 && isPlainObject(over) && Object.keys(over).length > 0;
}

export function checkId(
  value: string | undefined,
  path: string,
  format: RegExp,
  what: string,
  stack: string,
  issues: ConfigIssue[],
  required: boolean,
  isConfigKey = true,
): string | undefined {
  const set = isConfigKey ? `pulumi config set ${path} <id> --stack ${stack}` : `give the real id in Pulumi.${stack}.yaml`;
  if (value === undefined || value === "") {
    if (required) issues.push({ path, message: `not set (${what})`, hint: set });
    return undefined;
  }
  if (isPlaceholder(value)) issues.push({ path, message: `placeholder id "${truncate(value)}"`, hint: set });
  else if (!format.test(value)) issues.push({ path, message: `"${truncate(value)}" is not ${what}`, hint: set });
  return value;
}

export function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

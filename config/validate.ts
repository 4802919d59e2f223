/**
 * Validation of a stack's configuration: the zod schemas for shape, then the rules that need
 * the whole declaration (references, secrets, files, names, cycles). Every problem is collected
 * and reported at once; nothing here touches Pulumi or Cloudflare.
 */
import { z } from "zod";
import { ConfigError, ConfigIssue } from "./errors";
import { deepMerge, isPlainObject } from "./merge";
import {
  databaseSchema,
  kvNamespaceSchema,
  queueSchema,
  r2BucketSchema,
  secretSchema,
  stackSchema,
  StackConfig,
  SystemConfig,
  systemSchema,
  WorkerConfig,
  workerSchema,
} from "./schema";
import { declaredKindOf } from "./bindingKinds";
import { deployEdges, findCycle, workflowHosts } from "./graph";
import { hostFor, physicalName } from "./names";
import { checkHostname, checkNameLength, cronProblems, didYouMean, LIMITS, planLimit, size, truncateMiddle, WorkersPlan } from "./limits";
import { checkMigrationHistory } from "./doMigrations";

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
  bundle?(entry: string, worker: string): { errors: string[] } | { bytes: number; gzipBytes: number };
}

/** A configuration that passed every rule. */
export interface Declaration {
  project: string;
  stack: string;
  system: SystemConfig;
  settings: Required<Pick<StackConfig, "suffix" | "hostnameSuffix" | "protect">> & Omit<StackConfig, "suffix" | "hostnameSuffix" | "protect" | "overrides">;
  accountId: string;
  zoneId: string;
}

/** Names Cloudflare or the program gives every worker; a declaration may not use them. */
export const RESERVED_NAMES = ["ENVIRONMENT", "VERSION"];

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PLACEHOLDER = /placeholder|^x{3,}$|<[^>]*>|\bTODO\b|\bTBD\b|change[-_ ]?me|replace[-_ ]?me|your[-_ ]/i;
const ALL_ZERO = /^[0-]+$/;
/** Var names that say "I am a credential": they belong under `secrets`. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|MASTER_?KEY|CREDENTIALS?)$/i;
/** Values that look like credentials whatever their name. */
const SECRET_VALUE = [
  /^sk-[A-Za-z0-9_-]{16,}$/, // OpenAI-style API key
  /^\d{6,12}:[A-Za-z0-9_-]{30,}$/, // Telegram bot token
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^(ghp|gho|github_pat)_[A-Za-z0-9_]{20,}$/,
  /^AKIA[0-9A-Z]{16}$/,
  /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]+@/, // credentials in a URL: postgres://user:password@host/db
];
const MIGRATION_FILE = /^(\d+)_[^/]+\.sql$/;

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

  // 3. Account and zone.
  const needsZone = Object.values(system.workers).some((w) => (w.hostnames ?? []).length + (w.customDomains ?? []).length > 0);
  const accountId = checkId(source.accountId, "accountId", HEX32, "a 32-character hex account id", stack, issues, true);
  const zoneId = checkId(source.zoneId, "zoneId", HEX32, "a 32-character hex zone id", stack, issues, needsZone);

  // 4. Adopted resources.
  for (const [key, id] of Object.entries(settings.imports?.databases ?? {})) {
    if (!own(system.databases, key) && !system.invalid.has(`databases.${key}`))
      issues.push({ path: `stack.imports.databases.${key}`, message: `database "${key}" is not declared`, hint: known("databases", system.databases) });
    checkId(id, `stack.imports.databases.${key}`, UUID, "a D1 database id (UUID)", stack, issues, true, false);
  }
  for (const [key, id] of Object.entries(settings.imports?.kvNamespaces ?? {})) {
    if (!own(system.kvNamespaces, key) && !system.invalid.has(`kvNamespaces.${key}`))
      issues.push({ path: `stack.imports.kvNamespaces.${key}`, message: `KV namespace "${key}" is not declared`, hint: known("kvNamespaces", system.kvNamespaces) });
    checkId(id, `stack.imports.kvNamespaces.${key}`, HEX32, "a 32-character hex KV namespace id", stack, issues, true, false);
  }
  for (const [key, id] of Object.entries(settings.imports?.queues ?? {})) {
    if (!own(system.queues, key) && !system.invalid.has(`queues.${key}`))
      issues.push({ path: `stack.imports.queues.${key}`, message: `queue "${key}" is not declared`, hint: known("queues", system.queues) });
    checkId(id, `stack.imports.queues.${key}`, HEX32, "a 32-character hex queue id", stack, issues, true, false);
  }
  for (const key of Object.keys(settings.imports?.r2Buckets ?? {})) {
    if (!own(system.r2Buckets, key) && !system.invalid.has(`r2Buckets.${key}`))
      issues.push({ path: `stack.imports.r2Buckets.${key}`, message: `R2 bucket "${key}" is not declared`, hint: known("r2Buckets", system.r2Buckets) });
  }

  // Queues: a dead-letter queue is another declared queue, and DLQs form no cycle.
  for (const [key, q] of Object.entries(system.queues ?? {})) {
    const dlq = q.deadLetterQueue;
    if (dlq === undefined) continue;
    const path = `system.queues.${key}.deadLetterQueue`;
    if (dlq === key) issues.push({ path, message: "a queue cannot be its own dead-letter queue" });
    else if (!own(system.queues, dlq) && !system.invalid.has(`queues.${dlq}`)) issues.push({ path, message: `queue "${dlq}" is not declared`, hint: known("queues", system.queues) });
  }
  const dlqCycle = findCycle(
    new Map(Object.entries(system.queues ?? {}).map(([k, q]) => [k, q.deadLetterQueue && q.deadLetterQueue !== k ? [q.deadLetterQueue] : []])),
  );
  if (dlqCycle)
    issues.push({ path: "system.queues", message: `dead-letter queues form a cycle: ${dlqCycle.join(" → ")}`, hint: "a dead-letter queue must end somewhere: give the last one no deadLetterQueue" });

  // 5. Databases: a declared migrations folder must exist and hold wrangler-style files.
  for (const [key, db] of Object.entries(system.databases ?? {})) {
    if (!db.migrations) continue;
    const path = `system.databases.${key}.migrations`;
    const bad = pathProblem(db.migrations, facts);
    if (bad) {
      issues.push({ path, message: bad, hint: "give a folder inside the project, e.g. migrations/main" });
      continue;
    }
    const entries = facts.listDir(db.migrations);
    if (entries === undefined) {
      issues.push({ path, message: `folder "${db.migrations}" does not exist`, hint: "create it (relative to the project root) or remove `migrations`" });
      continue;
    }
    const sql = entries.filter((f) => f.endsWith(".sql"));
    const misnamed = sql.filter((f) => !MIGRATION_FILE.test(f));
    if (misnamed.length)
      issues.push({ path, message: `migration files must be named <number>_<name>.sql: ${misnamed.join(", ")}`, hint: "wrangler orders migrations by the number before the first '_'" });
    if (sql.length === 0) issues.push({ path, message: `folder "${db.migrations}" holds no .sql migration` });
  }

  // 6. Secrets: every declared secret is used; every config secret is set, and set encrypted.
  const usedSecrets = new Set(Object.values(system.workers).flatMap((w) => w.secrets ?? []));
  const missing: string[] = [];
  for (const [name, secret] of Object.entries(system.secrets ?? {})) {
    // (Only judged when every worker parsed: an invalid worker may be the one that lists it.)
    if (!usedSecrets.has(name) && ![...system.invalid].some((k) => k.startsWith("workers."))) {
      issues.push({ path: `system.secrets.${name}`, message: "declared but no worker lists it", hint: `add "${name}" to a worker's secrets, or remove the declaration` });
      continue;
    }
    if (secret.from !== "config") continue;
    const value = source.lookup(name);
    if (value === undefined || value.value === "") missing.push(name);
    else if (Buffer.byteLength(value.value, "utf8") > LIMITS.envVarBytes)
      issues.push({
        path: `${project}:${name}`,
        message: `the secret is ${size(Buffer.byteLength(value.value, "utf8"))}; Cloudflare allows ${size(LIMITS.envVarBytes)} per secret (Free and Paid)`,
        hint: "store large data in KV, R2 or D1 and keep only a key to it as the secret",
      });
    else if (!value.secret)
      issues.push({
        path: `${project}:${name}`,
        message: "secret given in plaintext in the stack config",
        hint: `store it encrypted: pulumi config set --secret ${name} <value> --stack ${stack}`,
      });
  }
  if (missing.length)
    issues.push({
      path: "secrets",
      message: `${missing.length} secret${missing.length === 1 ? " is" : "s are"} not set for this stack: ${missing.join(", ")}`,
      hint: missing.map((n) => `pulumi config set --secret ${n} <value> --stack ${stack}`).join("\n"),
    });

  // 7. Workers.
  const hostOwners = new Map<string, string>();
  const suffix = settings.suffix ?? `-${stack}`;
  const hostnameSuffix = settings.hostnameSuffix ?? suffix;
  const wfHosts = workflowHosts(system);
  const consumerOf = new Map<string, string>();
  for (const [key, worker] of Object.entries(system.workers)) {
    const at = `system.workers.${key}`;
    if (typeof worker.entry !== "string" || worker.entry === "") {
      // Reported by the schema; the worker's other rules still run below.
    } else if (pathProblem(worker.entry, facts)) {
      issues.push({ path: `${at}.entry`, message: pathProblem(worker.entry, facts)!, hint: "give the entry module inside the project, e.g. workers/bot/index.ts" });
    } else if (!facts.isFile(worker.entry))
      issues.push({ path: `${at}.entry`, message: `entry file "${worker.entry}" does not exist`, hint: "give the path of the worker's entry module relative to the project root" });
    else if (facts.bundle) {
      const built = facts.bundle(worker.entry, key);
      if ("errors" in built)
        issues.push({
          path: `${at}.entry`,
          message: `${worker.entry} does not bundle (${built.errors.length} error${built.errors.length === 1 ? "" : "s"} from esbuild)`,
          hint: built.errors.slice(0, 10).join("\n") + (built.errors.length > 10 ? `\n... and ${built.errors.length - 10} more` : ""),
        });
      else {
        const gz = planLimit(LIMITS.workerGzipBytes, plan, size);
        if (built.gzipBytes > gz.max)
          issues.push({ path: `${at}.entry`, message: `the bundle is ${size(built.gzipBytes)} gzipped; Cloudflare allows ${gz.says}`, hint: "move large data to KV, R2 or D1, or drop unused dependencies" });
        else if (built.bytes > LIMITS.workerRawBytes)
          issues.push({ path: `${at}.entry`, message: `the bundle is ${size(built.bytes)} before compression; Cloudflare allows ${size(LIMITS.workerRawBytes)}`, hint: "move large data to KV, R2 or D1" });
      }
    }
    checkNameLength(physicalName(system.app, key, suffix), LIMITS.scriptName, "script name", at, issues, "shorten the worker's key, the app or the stack's suffix");
    const envCount = Object.keys(worker.vars ?? {}).length + (worker.secrets ?? []).length + RESERVED_NAMES.length;
    const envLimit = planLimit(LIMITS.envVarsPerWorker, plan);
    if (envCount > envLimit.max)
      issues.push({
        path: at,
        message: `${envCount} environment variables (vars, secrets and the injected ${RESERVED_NAMES.join(" and ")}); Cloudflare allows ${envLimit.says}`,
        hint: "group related vars into one JSON var, or move data to KV",
      });
    const bindingCount = envCount + Object.keys(worker.bindings ?? {}).length;
    if (bindingCount > LIMITS.bindingsPerScript)
      issues.push({ path: `${at}.bindings`, message: `${bindingCount} bindings (vars, secrets and bindings); Cloudflare allows about ${LIMITS.bindingsPerScript} per script`, hint: "split the worker" });
    (worker.crons ?? []).forEach((cron, i) => {
      const problems = cronProblems(cron);
      if (problems.length) issues.push({ path: `${at}.crons.${i}`, message: `"${truncateMiddle(cron)}": ${problems.join("; ")}`, hint: "fields: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 1-7 or SUN-SAT" });
    });
    for (const wf of Object.keys(worker.workflows ?? {}))
      checkNameLength(physicalName(system.app, wf, suffix), LIMITS.workflowName, "workflow name", `${at}.workflows.${wf}`, issues, "shorten the workflow's key, the app or the stack's suffix");

    const date = worker.compatibilityDate;
    if (date !== undefined) checkCompatDate(date, `${at}.compatibilityDate`, facts.today, issues);

    const names = new Map<string, string>();
    const claim = (name: string, what: string) => {
      if (RESERVED_NAMES.includes(name))
        issues.push({ path: `${at}.${what}.${name}`, message: `${name} is injected into every worker by workers-stack`, hint: "remove it; set `version` in the stack config to change VERSION" });
      const before = names.get(name);
      if (before) issues.push({ path: `${at}.${what}.${name}`, message: `name ${name} is already used by ${before}`, hint: "every var, secret and binding of a worker needs its own name" });
      else names.set(name, what);
    };

    for (const [name, value] of Object.entries(worker.vars ?? {})) {
      claim(name, "vars");
      const path = `${at}.vars.${name}`;
      if (own(system.secrets, name))
        issues.push({ path, message: `${name} is declared as a secret and cannot also be a plain var`, hint: `remove it from vars and list "${name}" under the worker's secrets` });
      else if (SECRET_NAME.test(name))
        issues.push({ path, message: `${name} looks like a secret given in plaintext`, hint: `declare it under system.secrets (from: config, then pulumi config set --secret ${name} <value> --stack ${stack}) and list it in the worker's secrets` });
      const bytes = Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value) ?? "", "utf8");
      if (bytes > LIMITS.envVarBytes)
        issues.push({ path, message: `the value is ${size(bytes)}; Cloudflare allows ${size(LIMITS.envVarBytes)} per variable (Free and Paid)`, hint: "put large data in KV, R2 or D1, or in the worker's code" });
      for (const s of strings(value)) {
        if (SECRET_VALUE.some((re) => re.test(s))) {
          issues.push({ path, message: "the value looks like a credential given in plaintext", hint: "move it to a secret: see README \"Secrets\"" });
          break;
        }
        if (PLACEHOLDER.test(s)) {
          issues.push({ path, message: `placeholder value "${truncate(s)}"`, hint: "give the real value (or remove the var)" });
          break;
        }
      }
    }
    for (const name of worker.secrets ?? []) {
      claim(name, "secrets");
      if (!own(system.secrets, name) && !system.invalid.has(`secrets.${name}`))
        issues.push({ path: `${at}.secrets`, message: `secret ${name} is not declared`, hint: `declare it under system.secrets: ${name}: { from: config } or { generate: { length: 32 } }` });
    }
    for (const [name, binding] of Object.entries(worker.bindings ?? {})) {
      claim(name, "bindings");
      const path = `${at}.bindings.${name}`;
      // A target that names a key of a system collection: declared there (the kind says which).
      const kind = declaredKindOf(binding);
      const refers = kind?.config.refers;
      const target = kind ? binding[kind.config.target as keyof typeof binding] : undefined;
      if (refers && target !== undefined) {
        if (refers.collection === "workers" && target === key) issues.push({ path, message: "a worker cannot bind itself as a service" });
        else if (!own(system[refers.collection], target) && !system.invalid.has(`${refers.collection}.${target}`))
          issues.push({ path, message: `${refers.what} "${target}" is not declared`, hint: known(refers.collection, system[refers.collection]) });
      }
      if (binding.durableObject !== undefined) {
        const hostKey = binding.worker ?? key;
        const host = own(system.workers, hostKey) ? system.workers[hostKey] : undefined;
        if (!host) {
          if (!system.invalid.has(`workers.${hostKey}`)) issues.push({ path, message: `worker "${hostKey}" is not declared`, hint: known("workers", system.workers) });
        } else if (!own(host.durableObjects, binding.durableObject)) {
          const hosted = Object.entries(system.workers).filter(([, w]) => own(w.durableObjects, binding.durableObject!)).map(([k]) => k);
          issues.push({
            path,
            message: `no worker hosts Durable Object class ${binding.durableObject}${binding.worker ? ` (worker "${hostKey}" does not)` : " in this worker"}`,
            hint: hosted.length
              ? `it is hosted by ${hosted.join(", ")}: add worker: ${hosted[0]}`
              : `declare it under the hosting worker's durableObjects: ${binding.durableObject}: { sqlite: true }`,
          });
        }
      }
      if (binding.workflow !== undefined && !wfHosts.has(binding.workflow))
        issues.push({ path, message: `no worker hosts workflow "${binding.workflow}"`, hint: "declare it under the hosting worker's workflows: <key>: { className: ... }" });
    }
    issues.push(...checkMigrationHistory(at, key, worker, system.workers));
    for (const [wf] of Object.entries(worker.workflows ?? {})) {
      if (wfHosts.get(wf) !== key) issues.push({ path: `${at}.workflows.${wf}`, message: `workflow "${wf}" is already hosted by worker "${wfHosts.get(wf)}"`, hint: "workflow keys are unique across the system" });
    }
    (worker.consumers ?? []).forEach((c, i) => {
      const path = `${at}.consumers.${i}.queue`;
      if (!own(system.queues, c.queue)) {
        if (!system.invalid.has(`queues.${c.queue}`)) issues.push({ path, message: `consumer for undeclared queue "${c.queue}"`, hint: known("queues", system.queues) });
        return;
      }
      const other = consumerOf.get(c.queue);
      if (other) issues.push({ path, message: `queue "${c.queue}" is already consumed by worker "${other}"`, hint: "a Cloudflare queue has one consumer worker" });
      else consumerOf.set(c.queue, key);
    });
    if (worker.telegram) {
      const t = worker.telegram;
      for (const [field, name] of [["botToken", t.botToken], ["webhookSecret", t.webhookSecret]] as const) {
        if (!(worker.secrets ?? []).includes(name))
          issues.push({ path: `${at}.telegram.${field}`, message: `${name} is not one of this worker's secrets`, hint: `add "${name}" to system.workers.${key}.secrets (the webhook and the worker must share it)` });
      }
      if ((worker.hostnames ?? []).length + (worker.customDomains ?? []).length === 0)
        issues.push({ path: `${at}.telegram`, message: "a Telegram webhook needs a public URL: the worker has no hostname", hint: `add hostnames: [${key}]` });
    }
    const seen = new Set<string>();
    for (const what of ["hostnames", "customDomains"] as const) {
      for (const label of worker[what] ?? []) {
        const host = hostFor(label, hostnameSuffix, system.zone);
        if (seen.has(host)) continue;
        seen.add(host);
        checkHostname(host, `${at}.${what}`, issues);
        const owner = hostOwners.get(host);
        if (owner) issues.push({ path: `${at}.${what}`, message: `hostname ${host} is already used by worker "${owner}"`, hint: "each hostname routes to exactly one worker" });
        else hostOwners.set(host, key);
      }
    }
  }

  // 8. Deploy order: service bindings must form no cycle (a cycle could never be created in one `up`).
  const cycle = findCycle(deployEdges(system));
  if (cycle)
    issues.push({
      path: "system.workers",
      message: `service, Durable Object or Workflow bindings form a cycle: ${cycle.join(" → ")}`,
      hint: "a worker must exist before another binds it; break the cycle (e.g. call over HTTP in one direction)",
    });

  checkCompatDate(system.compatibilityDate, "system.compatibilityDate", facts.today, issues);

  // 9. Cloudflare's limits on the derived names and on what the account holds (config/limits.ts).
  checkResourceLimits(system, suffix, issues);
  const crons = Object.values(system.workers).reduce((n, w) => n + (w.crons ?? []).length, 0);
  const cronLimit = planLimit(LIMITS.cronTriggersPerAccount, plan);
  if (crons > cronLimit.max)
    issues.push({
      path: "system.workers",
      message: `${crons} cron schedules; Cloudflare allows ${cronLimit.says} per account`,
      hint: plan === "free" ? "remove schedules, or set plan: paid in the system if the account is on Workers Paid" : "remove schedules (other workers of the account count too)",
    });

  // 10. Config keys of this project that nothing reads.
  checkProjectKeys(source, system, issues);

  if (issues.length) throw new ConfigError(stack, locate(issues, source, settings.overrides));
  const { invalid: _invalid, ...clean } = system;
  return {
    project,
    stack,
    system: clean,
    settings: {
      suffix,
      hostnameSuffix,
      protect: settings.protect ?? stack === "production",
      ...(settings.version !== undefined ? { version: settings.version } : {}),
      ...(settings.imports !== undefined ? { imports: settings.imports } : {}),
    },
    accountId: accountId!,
    zoneId: zoneId ?? "",
  };
}

type LenientSystem = SystemConfig & { invalid: Set<string> };

/**
 * Parses the system strictly; when that fails, parses each part on its own so the rules above
 * can still check the valid parts (and report every problem in one run). Parts that failed are
 * remembered so references to them are not reported a second time as "not declared".
 */
function parseSystem(raw: unknown, issues: ConfigIssue[]): LenientSystem {
  const full = systemSchema.safeParse(raw);
  if (full.success) return { ...full.data, invalid: new Set() };
  issues.push(...zodIssues(full.error, "system", "Pulumi.yaml", raw));
  const obj = isPlainObject(raw) ? raw : {};
  const invalid = new Set<string>();
  const section = <T>(name: string, schema: z.ZodType<T>, lenient?: z.ZodType<T>): Record<string, T> => {
    const out: Record<string, T> = {};
    const entries = obj[name];
    if (!isPlainObject(entries)) return out;
    for (const [key, value] of Object.entries(entries)) {
      const r = schema.safeParse(value);
      if (r.success) out[key] = r.data;
      else {
        invalid.add(`${name}.${key}`);
        // A part whose only fault is an unknown key (already reported) is still checked.
        const l = lenient?.safeParse(value);
        if (l?.success) out[key] = l.data;
      }
    }
    return out;
  };
  const str = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);
  return {
    app: str(obj.app, "app"),
    zone: str(obj.zone, "invalid.zone"),
    compatibilityDate: systemSchema.shape.compatibilityDate.safeParse(obj.compatibilityDate).success ? (obj.compatibilityDate as string) : "2000-01-01",
    databases: section("databases", databaseSchema),
    kvNamespaces: section("kvNamespaces", kvNamespaceSchema),
    queues: section("queues", queueSchema),
    r2Buckets: section("r2Buckets", r2BucketSchema),
    secrets: section("secrets", secretSchema),
    workers: lenientWorkers(obj.workers, invalid),
    ...(systemSchema.shape.plan.safeParse(obj.plan).success && obj.plan !== undefined ? { plan: obj.plan as WorkersPlan } : {}),
    invalid,
  };
}

/**
 * Workers parsed field by field: a worker with a schema error keeps its valid fields, so its
 * entry, bundle, bindings and limits are still checked and all its problems come out together.
 */
function lenientWorkers(entries: unknown, invalid: Set<string>): Record<string, WorkerConfig> {
  const out: Record<string, WorkerConfig> = {};
  if (!isPlainObject(entries)) return out;
  for (const [key, value] of Object.entries(entries)) {
    const strict = workerSchema.safeParse(value);
    if (strict.success) {
      out[key] = strict.data;
      continue;
    }
    invalid.add(`workers.${key}`);
    if (!isPlainObject(value)) continue;
    const fields: Record<string, unknown> = {};
    for (const [field, schema] of Object.entries(workerSchema.shape)) {
      if (!Object.hasOwn(value, field)) continue;
      const r = (schema as z.ZodType).safeParse(value[field]);
      if (r.success && r.data !== undefined) fields[field] = r.data;
    }
    Object.defineProperty(out, key, { value: fields as WorkerConfig, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

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
    if (Object.hasOwn(declared, key) || !isPlainObject(worker) || Object.hasOwn(worker, "entry")) continue;
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

/** Cloudflare's name limits for the resources the system declares (their derived names). */
function checkResourceLimits(system: SystemConfig, suffix: string, issues: ConfigIssue[]): void {
  const name = (key: string) => physicalName(system.app, key, suffix);
  const fix = "shorten the key, the app or the stack's suffix";
  for (const key of Object.keys(system.databases ?? {}))
    checkNameLength(name(key), LIMITS.d1Name, "D1 database name", `system.databases.${key}`, issues, fix);
  for (const key of Object.keys(system.kvNamespaces ?? {}))
    checkNameLength(name(key), LIMITS.kvTitle, "KV namespace title", `system.kvNamespaces.${key}`, issues, fix);
  for (const key of Object.keys(system.queues ?? {}))
    checkNameLength(name(key), LIMITS.queueName, "queue name", `system.queues.${key}`, issues, fix);
  for (const key of Object.keys(system.r2Buckets ?? {}))
    checkNameLength(name(key), LIMITS.r2BucketName, "R2 bucket name", `system.r2Buckets.${key}`, issues, fix);
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

function zodIssues(error: z.ZodError, root: string, file: string, raw: unknown): ConfigIssue[] {
  const at = (p: PropertyKey[]) => p.reduce<unknown>((v, k) => (isPlainObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined), raw);
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = [root, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        out.push({ path: `${path}.${key}`, message: "unknown key", hint: `remove it or fix its spelling (in ${file}); see README "Configuration" for the keys` });
    } else if (issue.code === "invalid_key") {
      out.push({ path, message: `the key ${issue.issues[0]?.message ?? "is invalid"}` });
    } else if (issue.code === "invalid_type" && at(issue.path) === undefined) {
      out.push({ path, message: `required (${issue.expected}) but not set`, hint: `add it in ${file}` });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

function checkId(
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

function pathProblem(value: string, facts: Facts): string | undefined {
  const problem = projectPathProblem(value);
  if (problem) return problem;
  if (facts.insideProject && !facts.insideProject(value)) return `"${truncate(value)}" resolves (through a symlink) outside the project root`;
  return undefined;
}

function checkCompatDate(date: string, path: string, today: string, issues: ConfigIssue[]): void {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date)
    issues.push({ path, message: `"${date}" is not a calendar date`, hint: "use YYYY-MM-DD, e.g. 2025-09-01" });
  else if (date > today) issues.push({ path, message: `${date} is in the future; Cloudflare rejects it`, hint: `use ${today} or earlier` });
  else if (date < "2021-11-03") issues.push({ path, message: `${date} is before the first Workers compatibility date (2021-11-03)` });
}

function known(section: string, entries: Record<string, unknown> | undefined): string {
  const keys = Object.keys(entries ?? {});
  return keys.length ? `declared ${section}: ${keys.join(", ")}` : `declare it under system.${section}`;
}

function* strings(value: unknown): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (isPlainObject(value)) for (const v of Object.values(value)) yield* strings(v);
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

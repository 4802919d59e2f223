/**
 * The rules of `validate()`, one function per concern over one shared context: each pushes every
 * problem it sees (with its path and a fix) and never stops at the first.
 */
import type { ConfigIssue } from "./errors";
import { isPlainObject } from "./merge";
import type { StackConfig } from "./schema";
import { deployEdges, findCycle } from "./graph";
import { LIMITS, planLimit, size, WorkersPlan } from "./limits";
import { checkNames } from "./nameRules";
import { checkRouting } from "./routing";
import { checkAssets } from "./assetsRules";
import { checkScriptSettings } from "./scriptSettings";
import { checkWorkers as workerRules } from "./workerRules";
import { known } from "./kinds/contract";
import { checkHyperdrives, checkSingleBindings, hyperdriveSecrets, secretsOnlyForAdoptedHyperdrives } from "./hyperdrives";
import { isMigrationFile } from "./migrationFiles";
import {
  checkId, own, projectPathProblem, truncate,
  HEX32, UUID,
  type ConfigSource, type Facts, type LenientSystem,
} from "./validate";

/** What every rule reads: the stack's source and facts, its parsed settings and system, and the issues found so far. */
export interface RuleContext {
  source: ConfigSource;
  facts: Facts;
  stack: string;
  project: string;
  settings: StackConfig;
  system: LenientSystem;
  plan: WorkersPlan;
  suffix: string;
  hostnameSuffix: string;
  issues: ConfigIssue[];
}

/** Adopted resources: each names a declared resource and gives an id of the right shape. */
export function checkAdoptions(ctx: RuleContext): void {
  const { stack, settings, system, issues } = ctx;
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
}

/** Queues: a dead-letter queue is another declared queue, and dead-letter queues form no cycle. */
export function checkQueues(ctx: RuleContext): void {
  const { system, issues } = ctx;
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
}

/** Databases: a declared migrations folder exists inside the project and holds wrangler-style files. */
export function checkDatabases(ctx: RuleContext): void {
  const { facts, system, issues } = ctx;
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
    // Exactly the files wrangler applies (config/migrationFiles.ts): any `*.sql` but dot files.
    const sql = entries.filter(isMigrationFile);
    if (sql.length === 0) issues.push({ path, message: `folder "${db.migrations}" holds no .sql migration` });
  }
}

/** Secrets: every declared secret is used; every config secret is set, small enough, and set encrypted. */
export function checkSecrets(ctx: RuleContext): void {
  const { source, stack, project, system, issues } = ctx;
  // 6. Secrets: every declared secret is used; every config secret is set, and set encrypted.
  // A secret of a worker absent from this stack is used (elsewhere), but needs no value here; a
  // hyperdrive's connection string is used, and needs a value unless this stack adopts the hyperdrive.
  const onStack = new Set(Object.values(system.workers).flatMap((w) => w.secrets ?? []));
  const notNeeded = secretsOnlyForAdoptedHyperdrives(ctx);
  for (const s of hyperdriveSecrets(system)) if (!notNeeded.has(s)) onStack.add(s);
  const usedSecrets = new Set([...onStack, ...hyperdriveSecrets(system), ...Object.values(system.absent ?? {}).flatMap((w) => w.secrets ?? [])]);
  const missing: string[] = [];
  for (const [name, secret] of Object.entries(system.secrets ?? {})) {
    // (Only judged when every worker parsed: an invalid worker may be the one that lists it.)
    if (!usedSecrets.has(name) && ![...system.invalid].some((k) => k.startsWith("workers.") && !own(system.absent, k.slice("workers.".length)))) {
      issues.push({ path: `system.secrets.${name}`, message: "declared but no worker lists it (nor a hyperdrive as its connectionString)", hint: `add "${name}" to a worker's secrets, or remove the declaration` });
      continue;
    }
    if (secret.from !== "config" || !onStack.has(name)) continue;
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
}

/** Workers, one by one through the worker rules (config/workerRules.ts). */
export function checkWorkers(ctx: RuleContext): void {
  workerRules(ctx);
}

/** Deploy order: service, Durable Object and Workflow bindings form no cycle; the compatibility date of the system is possible. */
export function checkDeployOrder(ctx: RuleContext): void {
  const { facts, system, issues } = ctx;
  // 8. Deploy order: service bindings must form no cycle (a cycle could never be created in one `up`).
  const cycle = findCycle(deployEdges(system));
  if (cycle)
    issues.push({
      path: "system.workers",
      message: `service, Durable Object or Workflow bindings${tailCycle(system, cycle) ? " and tail consumers" : ""} form a cycle: ${cycle.join(" → ")}`,
      hint: "a worker must exist before another binds it; break the cycle (e.g. call over HTTP in one direction)",
    });

  checkCompatDate(system.compatibilityDate, "system.compatibilityDate", facts.today, issues);
}

/** Cloudflare's limits on the derived names and on what the account holds (config/limits.ts). */
export function checkAccountLimits(ctx: RuleContext): void {
  const { system, plan, issues } = ctx;
  // 9. Cloudflare's limits on the derived names and on what the account holds (config/limits.ts).
  checkNames(ctx);
  const crons = Object.values(system.workers).reduce((n, w) => n + (w.crons ?? []).length, 0);
  const cronLimit = planLimit(LIMITS.cronTriggersPerAccount, plan);
  if (crons > cronLimit.max)
    issues.push({
      path: "system.workers",
      message: `${crons} cron schedules; Cloudflare allows ${cronLimit.says} per account`,
      hint: plan === "free" ? "remove schedules, or set plan: paid in the system if the account is on Workers Paid" : "remove schedules (other workers of the account count too)",
    });
}

/** Exposure and script settings of each worker: tail consumers, limits per plan (config/scriptSettings.ts). */
export function checkWorkerSettings(ctx: RuleContext): void {
  const { system, plan, facts, issues } = ctx;
  for (const [key, worker] of Object.entries(system.workers)) {
    issues.push(...checkScriptSettings(`system.workers.${key}`, key, worker, { plan, workers: system.workers, invalid: system.invalid }));
    // An alias to a file is a source like the entry: a plain path inside the project.
    for (const [name, target] of Object.entries(worker.build?.alias ?? {})) {
      if (!/^\.{0,2}\//.test(target)) continue; // a package name
      const bad = pathProblem(target, facts);
      if (bad) issues.push({ path: `system.workers.${key}.build.alias.${name}`, message: bad, hint: "point the alias at a file inside the project, e.g. ./src/shims/fetch.ts (relative to the project root)" });
    }
  }
}

/** True when a step of the cycle is a tail consumer rather than a binding. */
function tailCycle(system: LenientSystem, cycle: string[]): boolean {
  return cycle.slice(1).some((to, i) => (system.workers[cycle[i]!]?.tailConsumers ?? []).some((t) => "worker" in t && t.worker === to));
}

/** The rules, in the order their problems are listed. */
export const RULES: ((ctx: RuleContext) => void)[] = [
  checkAdoptions,
  checkQueues,
  checkDatabases,
  checkSecrets,
  checkHyperdrives,
  checkWorkers,
  checkWorkerSettings,
  checkSingleBindings,
  // Called through a function: config/routing.ts loads this file's module graph itself.
  (ctx) => checkRouting(ctx),
  checkDeployOrder,
  checkAccountLimits,
];
// Static assets and assets-only workers (config/assetsRules.ts).
RULES.push((ctx) => checkAssets(ctx));

export function pathProblem(value: string, facts: Facts): string | undefined {
  const problem = projectPathProblem(value);
  if (problem) return problem;
  if (facts.insideProject && !facts.insideProject(value)) return `"${truncate(value)}" resolves (through a symlink) outside the project root`;
  return undefined;
}

export function checkCompatDate(date: string, path: string, today: string, issues: ConfigIssue[]): void {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date)
    issues.push({ path, message: `"${date}" is not a calendar date`, hint: "use YYYY-MM-DD, e.g. 2025-09-01" });
  else if (date > today) issues.push({ path, message: `${date} is in the future; Cloudflare rejects it`, hint: `use ${today} or earlier` });
  else if (date < "2021-11-03") issues.push({ path, message: `${date} is before the first Workers compatibility date (2021-11-03)` });
}

export { known };

export function* strings(value: unknown): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (isPlainObject(value)) for (const v of Object.values(value)) yield* strings(v);
}

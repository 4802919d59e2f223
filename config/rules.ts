/**
 * The rules of `validate()`, one function per concern over one shared context: each pushes every
 * problem it sees (with its path and a fix) and never stops at the first.
 */
import type { ConfigIssue } from "./errors";
import { isPlainObject } from "./merge";
import type { StackConfig } from "./schema";
import { declaredKindOf } from "./bindingKinds";
import { deployEdges, findCycle, workflowHosts } from "./graph";
import { injectedNames } from "./names";
import { cronProblems, LIMITS, planLimit, size, truncateMiddle, WorkersPlan } from "./limits";
import { checkNames } from "./nameRules";
import { checkMigrationHistory } from "./doMigrations";
import { checkRouting } from "./routing";
import { checkAssets } from "./assetsRules";
import { bundleOptions, checkScriptSettings, unbundlable } from "./scriptSettings";
import { checkHyperdrives, checkSingleBindings, hyperdriveSecrets, secretsOnlyForAdoptedHyperdrives } from "./hyperdrives";
import { isMigrationFile } from "./migrationFiles";
import {
  checkId, own, projectPathProblem, truncate,
  HEX32, PLACEHOLDER, SECRET_NAME, SECRET_VALUE, UUID,
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

/** Workers: entry and bundle, limits, vars, secrets, bindings (targets from the kind table), workflows, consumers, Telegram (hostnames and routes: config/routing.ts). */
export function checkWorkers(ctx: RuleContext): void {
  const { facts, stack, system, plan, issues } = ctx;
  const injected = injectedNames(system);
  // 7. Workers.
  const wfHosts = workflowHosts(system);
  const absentWfHosts = workflowHosts({ workers: system.absent ?? {} });
  const consumerOf = new Map<string, string>();
  for (const [key, worker] of Object.entries(system.workers)) {
    const at = `system.workers.${key}`;
    if (typeof worker.entry !== "string" || worker.entry === "") {
      // Reported by the schema; the worker's other rules still run below.
    } else if (pathProblem(worker.entry, facts)) {
      issues.push({ path: `${at}.entry`, message: pathProblem(worker.entry, facts)!, hint: "give the entry module inside the project, e.g. workers/bot/index.ts" });
    } else if (!facts.isFile(worker.entry))
      issues.push({ path: `${at}.entry`, message: `entry file "${worker.entry}" does not exist`, hint: "give the path of the worker's entry module relative to the project root" });
    else if (facts.bundle && !system.invalid.has(`workers.${key}.build`) && !unbundlable(worker)) {
      // (Not bundled when its build options are wrong: those are reported, a bundle without them would only fail again.)
      const built = facts.bundle(worker.entry, key, bundleOptions(worker));
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
    const envCount = Object.keys(worker.vars ?? {}).length + (worker.secrets ?? []).length + injected.length;
    const envLimit = planLimit(LIMITS.envVarsPerWorker, plan);
    if (envCount > envLimit.max)
      issues.push({
        path: at,
        message: `${envCount} environment variables (vars, secrets${injected.length ? ` and the injected ${injected.join(" and ")}` : ""}); Cloudflare allows ${envLimit.says}`,
        hint: "group related vars into one JSON var, or move data to KV",
      });
    const bindingCount = envCount + Object.keys(worker.bindings ?? {}).length;
    if (bindingCount > LIMITS.bindingsPerScript)
      issues.push({ path: `${at}.bindings`, message: `${bindingCount} bindings (vars, secrets and bindings); Cloudflare allows about ${LIMITS.bindingsPerScript} per script`, hint: "split the worker" });
    (worker.crons ?? []).forEach((cron, i) => {
      const problems = cronProblems(cron);
      if (problems.length) issues.push({ path: `${at}.crons.${i}`, message: `"${truncateMiddle(cron)}": ${problems.join("; ")}`, hint: "fields: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 1-7 or SUN-SAT" });
    });

    const date = worker.compatibilityDate;
    if (date !== undefined) checkCompatDate(date, `${at}.compatibilityDate`, facts.today, issues);

    const names = new Map<string, string>();
    const claim = (name: string, what: string) => {
      if (injected.includes(name))
        issues.push({
          path: `${at}.${what}.${name}`,
          message: `${name} is injected into every worker by workers-stack`,
          hint: "remove it (the stack settings `environment` and `version` set the values), or rename or switch off the injected var with the system's environmentVar / versionVar",
        });
      const before = names.get(name);
      if (before) issues.push({ path: `${at}.${what}.${name}`, message: `name ${name} is already used by ${before}`, hint: "every var, secret and binding of a worker needs its own name" });
      else names.set(name, what);
    };

    for (const [name, value] of Object.entries(worker.vars ?? {})) {
      claim(name, "vars");
      const path = `${at}.vars.${name}`;
      // One name may be a plain var on one worker and a secret on another, never both on one.
      if ((worker.secrets ?? []).includes(name))
        issues.push({ path, message: `${name} is one of this worker's secrets and cannot also be a plain var on it`, hint: `remove it from this worker's vars (it stays a plain var on the workers that declare it so)` });
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
      // A var of the same name is reported once, at the var.
      if (!own(worker.vars, name)) claim(name, "secrets");
      if (!own(system.secrets, name) && !system.invalid.has(`secrets.${name}`))
        issues.push({ path: `${at}.secrets`, message: `secret ${name} is not declared`, hint: `declare it under system.secrets: ${name}: { from: config } or { generate: { length: 32 } }` });
    }
    // (Targets that name a key or a class are strings; the kinds with `true` or object targets are checked by the schema.)
    for (const [name, binding] of Object.entries(worker.bindings ?? {}) as [string, Readonly<Record<string, string | undefined>>][]) {
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
      if (binding.workflow !== undefined && !wfHosts.has(binding.workflow) && !absentWfHosts.has(binding.workflow))
        issues.push({ path, message: `no worker hosts workflow "${binding.workflow}"`, hint: "declare it under the hosting worker's workflows: <key>: { className: ... }" });
    }
    // Transfers may name a worker absent from this stack (its script name is still derived).
    issues.push(...checkMigrationHistory(at, key, worker, { ...system.absent, ...system.workers }));
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
  }
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

export function known(section: string, entries: Record<string, unknown> | undefined): string {
  const keys = Object.keys(entries ?? {});
  return keys.length ? `declared ${section}: ${keys.join(", ")}` : `declare it under system.${section}`;
}

export function* strings(value: unknown): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (isPlainObject(value)) for (const v of Object.values(value)) yield* strings(v);
}

/**
 * The rules of each worker (`system.workers.<key>`), run worker by worker in this order over the
 * shared rule context: entry and bundle, counts and dates, vars, secrets, bindings (targets checked
 * by their kind's entry), Durable Object migrations, workflows, queue consumers, Telegram.
 * (Hostnames and routes: config/routing.ts; script settings: config/scriptSettings.ts.)
 */
import type { ConfigIssue } from "./errors";
import type { WorkerConfig } from "./schema";
import { targetProblem } from "./bindingKinds";
import { workflowHosts } from "./graph";
import { injectedNames } from "./names";
import { cronProblems, LIMITS, planLimit, size, truncateMiddle } from "./limits";
import { checkMigrationHistory } from "./doMigrations";
import { bundleOptions, unbundlable } from "./scriptSettings";
import { own, truncate, PLACEHOLDER, SECRET_NAME, SECRET_VALUE } from "./validate";
import { checkCompatDate, known, pathProblem, strings, type RuleContext } from "./rules";

/** What the rules of every worker share: the injected var names, the workflow hosts, the queues consumed so far. */
interface WorkersState {
  injected: string[];
  /** The worker hosting each workflow, among the workers of this stack. */
  wfHosts: Map<string, string>;
  /** The worker hosting each workflow, on this stack or absent from it. */
  anyWfHost(key: string): string | undefined;
  /** The worker consuming each queue, among the workers checked so far. */
  consumerOf: Map<string, string>;
}

/** One worker being checked: its key, its declaration, its path, and the names it has claimed so far. */
interface WorkerAt {
  key: string;
  worker: WorkerConfig;
  at: string;
  /** Claims a var, secret or binding name for this worker (each name once; none injected). */
  claim(name: string, what: string): void;
}

type WorkerRule = (ctx: RuleContext, w: WorkerAt, state: WorkersState) => void;

/** The entry exists inside the project, bundles, and the bundle fits Cloudflare's limits. */
export const checkEntry: WorkerRule = ({ facts, plan, system, issues }, { key, worker, at }) => {
  if (typeof worker.entry !== "string" || worker.entry === "") return; // reported by the schema
  const bad = pathProblem(worker.entry, facts);
  if (bad) issues.push({ path: `${at}.entry`, message: bad, hint: "give the entry module inside the project, e.g. workers/bot/index.ts" });
  else if (!facts.isFile(worker.entry))
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
};

/** Environment variables and bindings per script, cron expressions, the compatibility date. */
export const checkCounts: WorkerRule = ({ facts, plan, issues }, { worker, at }, { injected }) => {
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
  if (worker.compatibilityDate !== undefined) checkCompatDate(worker.compatibilityDate, `${at}.compatibilityDate`, facts.today, issues);
};

/** Vars: not a secret's name, not credential-like, no placeholder, within Cloudflare's size. */
export const checkVars: WorkerRule = ({ stack, issues }, { worker, at, claim }) => {
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
};

/** The worker's secrets are declared under system.secrets. */
export const checkSecretNames: WorkerRule = ({ system, issues }, { worker, at, claim }) => {
  for (const name of worker.secrets ?? []) {
    // A var of the same name is reported once, at the var.
    if (!own(worker.vars, name)) claim(name, "secrets");
    if (!own(system.secrets, name) && !system.invalid.has(`secrets.${name}`))
      issues.push({ path: `${at}.secrets`, message: `secret ${name} is not declared`, hint: `declare it under system.secrets: ${name}: { from: config } or { generate: { length: 32 } }` });
  }
};

/** Bindings: each name once, each target checked by its kind's entry (config/kinds/). */
export const checkBindingTargets: WorkerRule = ({ system, issues }, { key, worker, at, claim }, { anyWfHost }) => {
  for (const [name, binding] of Object.entries(worker.bindings ?? {})) {
    claim(name, "bindings");
    const problem = targetProblem(binding, { self: key, system, workflowHost: anyWfHost });
    if (problem) issues.push({ path: `${at}.bindings.${name}`, ...problem });
  }
};

/** Durable Object migrations; transfers may name a worker absent from this stack (its script name is still derived). */
export const checkDoMigrations: WorkerRule = ({ system, issues }, { key, worker, at }) => {
  issues.push(...checkMigrationHistory(at, key, worker, { ...system.absent, ...system.workers }));
};

/** Workflow keys are unique across the system. */
export const checkWorkflowKeys: WorkerRule = ({ issues }, { key, worker, at }, { wfHosts }) => {
  for (const wf of Object.keys(worker.workflows ?? {}))
    if (wfHosts.get(wf) !== key) issues.push({ path: `${at}.workflows.${wf}`, message: `workflow "${wf}" is already hosted by worker "${wfHosts.get(wf)}"`, hint: "workflow keys are unique across the system" });
};

/** Queue consumers: a declared queue, consumed by one worker. */
export const checkConsumers: WorkerRule = ({ system, issues }, { key, worker, at }, { consumerOf }) => {
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
};

/** A Telegram webhook: its secrets are the worker's, and the worker has a public hostname. */
export const checkTelegram: WorkerRule = ({ issues }, { key, worker, at }) => {
  const t = worker.telegram;
  if (!t) return;
  for (const [field, name] of [["botToken", t.botToken], ["webhookSecret", t.webhookSecret]] as const) {
    if (!(worker.secrets ?? []).includes(name))
      issues.push({ path: `${at}.telegram.${field}`, message: `${name} is not one of this worker's secrets`, hint: `add "${name}" to system.workers.${key}.secrets (the webhook and the worker must share it)` });
  }
  if ((worker.hostnames ?? []).length + (worker.customDomains ?? []).length === 0)
    issues.push({ path: `${at}.telegram`, message: "a Telegram webhook needs a public URL: the worker has no hostname", hint: `add hostnames: [${key}]` });
};

/** The rules of one worker, in the order their problems are listed. */
export const WORKER_RULES: WorkerRule[] = [checkEntry, checkCounts, checkVars, checkSecretNames, checkBindingTargets, checkDoMigrations, checkWorkflowKeys, checkConsumers, checkTelegram];

/** Every worker of the stack, through every rule of WORKER_RULES. */
export function checkWorkers(ctx: RuleContext): void {
  const { system } = ctx;
  const absentWfHosts = workflowHosts({ workers: system.absent ?? {} });
  const wfHosts = workflowHosts(system);
  const state: WorkersState = {
    injected: injectedNames(system),
    wfHosts,
    anyWfHost: (wf) => wfHosts.get(wf) ?? absentWfHosts.get(wf),
    consumerOf: new Map(),
  };
  for (const [key, worker] of Object.entries(system.workers)) {
    const at = `system.workers.${key}`;
    const names = new Map<string, string>();
    const claim = (name: string, what: string) => claimName(ctx.issues, state.injected, names, `${at}.${what}.${name}`, name, what);
    for (const rule of WORKER_RULES) rule(ctx, { key, worker, at, claim }, state);
  }
}

/** A var, secret or binding name: not injected, and not used twice on one worker. */
function claimName(issues: ConfigIssue[], injected: string[], names: Map<string, string>, path: string, name: string, what: string): void {
  if (injected.includes(name))
    issues.push({
      path,
      message: `${name} is injected into every worker by workers-stack`,
      hint: "remove it (the stack settings `environment` and `version` set the values), or rename or switch off the injected var with the system's environmentVar / versionVar",
    });
  const before = names.get(name);
  if (before) issues.push({ path, message: `name ${name} is already used by ${before}`, hint: "every var, secret and binding of a worker needs its own name" });
  else names.set(name, what);
}

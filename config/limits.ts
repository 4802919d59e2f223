/**
 * Cloudflare's documented limits, checked before anything is registered, so a declaration that
 * Cloudflare would refuse halfway through `pulumi up` is refused by `pulumi preview` instead.
 *
 * Where a limit differs by Workers plan, the declaration's `plan` (`paid` by default) picks it and
 * the message names both. Each limit links its source.
 */
import { ConfigIssue } from "./errors";

export type WorkersPlan = "free" | "paid";

/** A limit that may differ by Workers plan. */
interface PlanLimit {
  free: number;
  paid: number;
}

export const LIMITS = {
  // https://developers.cloudflare.com/workers/platform/limits/#environment-variables
  // "Environment variables: 64/Worker (Free), 128/Worker (Paid)": vars and secrets together.
  envVarsPerWorker: { free: 64, paid: 128 } satisfies PlanLimit,
  // https://developers.cloudflare.com/workers/platform/limits/#environment-variables
  // "Environment variable size: 5 KB" on both plans; secrets are environment variables too
  // (https://developers.cloudflare.com/workers/configuration/secrets/).
  envVarBytes: 5 * 1024,
  // https://developers.cloudflare.com/d1/platform/limits/ — "Maximum bindings per Workers script:
  // approximately 5,000" (a script's metadata is at most 1 MB, ~150 bytes per resource binding;
  // vars and secrets count as bindings).
  bindingsPerScript: 5000,
  // https://developers.cloudflare.com/workers/platform/limits/#worker-size
  // "Worker size: 3 MB (Free), 10 MB (Paid)" after gzip compression, 64 MB before.
  workerGzipBytes: { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 } satisfies PlanLimit,
  workerRawBytes: 64 * 1024 * 1024,
  // https://developers.cloudflare.com/workers/platform/limits/#number-of-cron-triggers
  // "Number of Cron Triggers per account: 5 (Free), 250 (Paid)".
  cronTriggersPerAccount: { free: 5, paid: 250 } satisfies PlanLimit,
  // https://developers.cloudflare.com/workers/configuration/routing/workers-dev/
  // A script's name is the first DNS label of its workers.dev URL (<name>.<subdomain>.workers.dev),
  // so it obeys the DNS label limit of 63 characters (RFC 1035 §2.3.4).
  scriptName: 63,
  // https://www.rfc-editor.org/rfc/rfc1035#section-2.3.4 — labels 63 octets, names 253 characters
  // in text form; Cloudflare's DNS API refuses longer record names
  // (https://developers.cloudflare.com/dns/manage-dns-records/reference/dns-record-types/).
  hostnameLabel: 63,
  hostname: 253,
  // https://developers.cloudflare.com/queues/platform/limits/ — "Queue name length: 63 characters".
  queueName: 63,
  // https://developers.cloudflare.com/r2/buckets/create-buckets/#bucket-level-operations —
  // "Bucket names must be 3-63 characters, lowercase letters, numbers and hyphens".
  r2BucketName: 63,
  // https://developers.cloudflare.com/workflows/reference/limits/ — "Maximum Workflow name length: 64 characters".
  workflowName: 64,
  // https://developers.cloudflare.com/d1/platform/limits/ documents no name length. D1 names here
  // are derived like script names (lowercase letters, digits, '-'), and the same 63-character
  // bound is kept so a database and the scripts of one system always fit the same rule.
  d1Name: 63,
  // https://developers.cloudflare.com/kv/platform/limits/ — a namespace title is at most 512 characters
  // (API: "title" maxLength 512).
  kvTitle: 512,
  // https://developers.cloudflare.com/queues/configuration/configure-queues/#consumer
  // max_batch_size ≤ 100, max_batch_timeout ≤ 60 s, max_retries ≤ 100, retry_delay ≤ 43200 s
  // (12 h), max_concurrency ≤ 250. Enforced by the schema (config/schema.ts); listed here so the
  // numbers live in one place with their source.
  consumer: { batchSize: 100, maxWaitTimeMs: 60_000, maxRetries: 100, retryDelay: 43_200, maxConcurrency: 250 },
  // https://developers.cloudflare.com/workers/platform/limits/#cpu-time — "CPU time: 10 ms (Free),
  // 5 min (Paid)"; a worker's `limits.cpu_ms` may set up to 300,000 ms on Paid
  // (https://developers.cloudflare.com/workers/wrangler/configuration/#limits).
  cpuMs: { free: 10, paid: 300_000 } satisfies PlanLimit,
  // https://developers.cloudflare.com/workers/platform/limits/#subrequests — "Subrequests:
  // 50/request (Free), 10,000/request (Paid)".
  subrequests: { free: 50, paid: 10_000 } satisfies PlanLimit,
  // https://developers.cloudflare.com/workers/observability/logs/workers-logs/#head-based-sampling —
  // head_sampling_rate "from 0 to 1 (1 = 100%, 0.1 = 10%)" (also the provider's description).
  headSamplingRate: { min: 0, max: 1 },
  // https://developers.cloudflare.com/workers/configuration/placement/ — Smart Placement
  // (`mode = "smart"`) or targeted placement by `region` ("<provider>:<region>", e.g.
  // aws:us-east-1, gcp:europe-west1, azure:westeurope), `hostname` (an HTTP host) or `host`
  // ("host:port" of a TCP service); one of them (wrangler: "mutually exclusive").
  placement: {
    modes: ["{ mode: smart }", "{ region: <provider>:<region> }", "{ hostname: <host> }", "{ host: <host>:<port> }"],
    region: /^[a-z0-9]+:[a-z0-9-]+$/,
    host: /^[^\s:/]+:\d{1,5}$/,
  },
} as const;

/** The kinds of physical name this program sets, each checked by its own rule (NAME_RULES). */
export type NameKind = "script" | "d1" | "kv" | "queue" | "r2" | "workflow" | "hyperdrive";

export interface NameRule {
  /** What the name is called in messages. */
  what: string;
  min: number;
  max: number;
  /** The characters (and first/last character) Cloudflare accepts. */
  pattern: RegExp;
  /** The same rule in words, for messages. */
  says: string;
}

/**
 * Cloudflare's rules for physical names, per kind: length and characters. A declared `name` (or
 * the derived `<app>-<key><suffix>`) that breaks one is refused before anything is registered.
 */
export const NAME_RULES: Record<NameKind, NameRule> = {
  // wrangler (workers-sdk packages/workers-utils config validation, `isValidName`): a Worker name is
  // /^[a-z0-9_][a-z0-9-_]*$/ ("alphanumeric and lowercase with dashes only"); its length is the DNS
  // label limit of its workers.dev URL (LIMITS.scriptName).
  script: { what: "script name", min: 1, max: LIMITS.scriptName, pattern: /^[a-z0-9_][a-z0-9_-]*$/, says: "lowercase letters, digits, '-' and '_', not starting with '-'" },
  // D1 documents no name rule (https://developers.cloudflare.com/d1/platform/limits/). D1 names here
  // follow the script-name rule (lowercase letters, digits, '-', '_'; 63 characters), which every
  // name of the corpus fits, and components/d1-migrate.js accepts exactly these.
  d1: { what: "D1 database name", min: 1, max: LIMITS.d1Name, pattern: /^[a-z0-9_][a-z0-9_-]*$/, says: "lowercase letters, digits, '-' and '_', not starting with '-'" },
  // https://developers.cloudflare.com/kv/platform/limits/ and the API's "title" (maxLength 512):
  // any text; a title that is blank is refused.
  kv: { what: "KV namespace title", min: 1, max: LIMITS.kvTitle, pattern: /^\S(.*\S)?$/s, says: "any text without leading or trailing spaces" },
  // https://developers.cloudflare.com/queues/platform/limits/ ("Queue name length: 63 characters");
  // characters as create-cloudflare's validateQueueName (workers-sdk): lowercase letters, digits and
  // dashes, not starting or ending with a dash.
  queue: { what: "queue name", min: 1, max: LIMITS.queueName, pattern: /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, says: "lowercase letters, digits and '-', not starting or ending with '-'" },
  // https://developers.cloudflare.com/r2/buckets/create-buckets/#bucket-level-operations and
  // wrangler's isValidR2BucketName: /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.
  r2: { what: "R2 bucket name", min: 3, max: LIMITS.r2BucketName, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, says: "lowercase letters, digits and '-', beginning and ending with a letter or digit, 3 to 63 characters" },
  // wrangler (workflows-shared validators.ts, isValidWorkflowName): /^[a-zA-Z0-9_][a-zA-Z0-9-_]*$/,
  // at most 64 characters (https://developers.cloudflare.com/workflows/reference/limits/).
  workflow: { what: "workflow name", min: 1, max: LIMITS.workflowName, pattern: /^[A-Za-z0-9_][A-Za-z0-9_-]*$/, says: "letters, digits, '-' and '_', not starting with '-'" },
  // Hyperdrive documents no name rule (https://developers.cloudflare.com/hyperdrive/platform/limits/);
  // the rule of the API's own examples is used: letters, digits, '-', '_', at most 64.
  hyperdrive: { what: "Hyperdrive config name", min: 1, max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/, says: "letters, digits, '-' and '_', starting with a letter or digit" },
};

/** Checks a physical name against its kind's rule (length, then characters). */
export function checkPhysicalName(name: string, kind: NameKind, path: string, issues: ConfigIssue[], fix: string): void {
  const rule = NAME_RULES[kind];
  if (name.length > rule.max) issues.push({ path, message: `${rule.what} "${truncateMiddle(name)}" is ${name.length} characters; Cloudflare allows ${rule.max}`, hint: fix });
  else if (name.length < rule.min) issues.push({ path, message: `${rule.what} "${name}" is ${name.length} characters; Cloudflare needs at least ${rule.min}`, hint: fix });
  else if (!rule.pattern.test(name)) issues.push({ path, message: `${rule.what} "${truncateMiddle(name)}" is not a name Cloudflare accepts: ${rule.says}`, hint: fix });
}

/** "5 KB"-style sizes for messages. */
export function size(bytes: number): string {
  const one = (n: number) => n.toFixed(1).replace(/\.0$/, "");
  if (bytes >= 1024 * 1024) return `${one(bytes / 1024 / 1024)} MB`;
  if (bytes >= 1024) return `${one(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** The limit of `plan`, and a phrase naming both plans' values. */
export function planLimit(limit: PlanLimit, plan: WorkersPlan, unit: (n: number) => string = String): { max: number; says: string } {
  const max = limit[plan];
  const other: WorkersPlan = plan === "paid" ? "free" : "paid";
  return { max, says: `${unit(max)} on the Workers ${cap(plan)} plan (${unit(limit[other])} on ${cap(other)})` };
}

function cap(plan: WorkersPlan): string {
  return plan === "paid" ? "Paid" : "Free";
}

/** Checks a physical name's length. */
export function checkNameLength(name: string, max: number, what: string, path: string, issues: ConfigIssue[], fix: string): void {
  if (name.length > max)
    issues.push({ path, message: `${what} "${truncateMiddle(name)}" is ${name.length} characters; Cloudflare allows ${max}`, hint: fix });
}

/** Checks a full hostname against DNS limits (each label ≤ 63, the whole name ≤ 253). */
export function checkHostname(host: string, path: string, issues: ConfigIssue[]): void {
  const long = host.split(".").find((l) => l.length > LIMITS.hostnameLabel);
  if (long)
    issues.push({
      path,
      message: `hostname ${truncateMiddle(host)} has a label of ${long.length} characters ("${truncateMiddle(long)}"); DNS allows ${LIMITS.hostnameLabel}`,
      hint: "shorten the label, the stack's hostnameSuffix or the zone",
    });
  else if (host.length > LIMITS.hostname)
    issues.push({ path, message: `hostname ${truncateMiddle(host)} is ${host.length} characters; DNS allows ${LIMITS.hostname}`, hint: "shorten the label or the stack's hostnameSuffix" });
}

// https://developers.cloudflare.com/workers/configuration/cron-triggers/#supported-cron-expressions
// Minute 0-59, hour 0-23, day of month 1-31 (L, W), month 1-12 or JAN-DEC, day of week 1-7 or
// SUN-SAT (L, #); `*`, lists, ranges and steps. 0 is accepted for Sunday as in Unix cron.
const CRON_FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31, extra: /^(L|LW|\d{1,2}W)$/ },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], namesFrom: 1, extra: /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$/i },
] as const;

/** The problems of one five-field cron expression, or [] when Cloudflare accepts it. */
export function cronProblems(expr: string): string[] {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return [`has ${fields.length} fields; a cron expression has 5 (minute hour day-of-month month day-of-week)`];
  const problems: string[] = [];
  fields.forEach((field, i) => {
    const spec = CRON_FIELDS[i]!;
    const value = (token: string): number | undefined => {
      if (/^\d+$/.test(token)) return Number(token);
      const names = "names" in spec ? (spec.names as readonly string[]) : undefined;
      const at = names?.indexOf(token.toUpperCase()) ?? -1;
      if (at < 0) return undefined;
      return at + ("namesFrom" in spec ? spec.namesFrom : 1);
    };
    for (const part of field.split(",")) {
      if ("extra" in spec && spec.extra.test(part)) continue;
      const [range, step, more] = part.split("/");
      if (more !== undefined || range === undefined || range === "") {
        problems.push(`${spec.name} "${part}" is not a value, range or step`);
        continue;
      }
      if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > spec.max)) {
        problems.push(`${spec.name} step "/${step}" must be 1-${spec.max}`);
        continue;
      }
      if (range === "*") continue;
      const [lo, hi, extra] = range.split("-");
      const bounds = [lo, hi].filter((x): x is string => x !== undefined);
      if (extra !== undefined || bounds.some((b) => b === "")) {
        problems.push(`${spec.name} "${part}" is not a value, range or step`);
        continue;
      }
      const nums = bounds.map(value);
      if (nums.some((n) => n === undefined)) problems.push(`${spec.name} "${part}" is not a number${"names" in spec ? " or name" : ""}`);
      else if (nums.some((n) => n! < spec.min || n! > spec.max)) problems.push(`${spec.name} ${part} is out of range ${spec.min}-${spec.max}`);
      else if (nums.length === 2 && nums[0]! > nums[1]!) problems.push(`${spec.name} range ${part} runs backwards`);
    }
  });
  return problems;
}

/** Middle-truncated text for messages: both ends of a long name stay visible. */
export function truncateMiddle(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max / 2 - 2)}...${s.slice(-(max / 2 - 1))}` : s;
}

/** Edit distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest of `known` to `name`, when it is close enough to be a typo. */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * `npm run smoke -- --stack <s> [--local | --base-url <url>] [--file <smoke.yaml>] [--cwd <dir>]`
 *
 * The smoke tests of seed 004's smoke-test.mjs, declared per stack in `smoke/<stack>.yaml` instead
 * of written as code: HTTP checks per worker key (status, optionally a body fragment), run after
 * every deploy. Worker URLs are resolved exactly as `npm run validate` resolves them:
 * - default: `https://<first hostname>` of each worker (the deployed stack), or for a worker with
 *   only a path route its host and path prefix (`https://shop.example.com/api/`);
 * - --local: the stack started in workerd by the local runner, each worker's direct URL;
 * - --base-url: one address for all workers, each reached by its first hostname in the Host header.
 * Exits 1 when any check fails, 2 when the smoke file or the arguments are wrong.
 *
 * The checks live in their own files rather than under a `workers-stack:smoke` stack config key
 * because the program does not read such a key (an unknown key would be a config error).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { request } from "../checks/http";
import { withTargets } from "../checks/targets";
import { noUrlReason, type Exposure } from "../checks/healthCheck";
import { runMain } from "./cli";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** One HTTP check: `{ worker: bot, path: /health, status: 200 }`. */
export const SmokeCheckSchema = z
  .object({
    /** Logical key of the worker (as under `workers:` in Pulumi.yaml). */
    worker: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a worker key (lowercase letters, digits, -)"),
    /** Path and query, starting with `/`. */
    path: z.string().startsWith("/", "must start with /"),
    /** The expected HTTP status. */
    status: z.number().int().min(100).max(599),
    /** @default GET */
    method: z.enum(METHODS).default("GET"),
    /** Extra request headers. Do not put secrets here: the file is committed. */
    headers: z.record(z.string(), z.string()).default({}),
    /** A fragment the response body must contain. */
    bodyContains: z.string().min(1).optional(),
  })
  .strict();

export const SmokeFileSchema = z.object({ checks: z.array(SmokeCheckSchema).min(1, "declare at least one check") }).strict();

export type SmokeCheck = z.infer<typeof SmokeCheckSchema>;

/** A smoke file that cannot be used; the message lists every problem with its path. */
export class SmokeFileError extends Error {
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`${file}: ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "SmokeFileError";
  }
}

function issuePath(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${String(k)}`)).join("") || "(file)";
}

/** Parses and validates the text of a smoke file; `file` names it in errors. */
export function parseSmokeFile(text: string, file: string): SmokeCheck[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new SmokeFileError(file, [`not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : e}`]);
  }
  const parsed = SmokeFileSchema.safeParse(raw);
  if (!parsed.success) throw new SmokeFileError(file, parsed.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`));
  return parsed.data.checks;
}

/** The smoke file of a stack: `smoke/<stack>.yaml` under the project root, unless `file` is given. */
export function loadSmokeFile(root: string, stack: string, file?: string): { file: string; checks: SmokeCheck[] } {
  const full = path.resolve(root, file ?? path.join("smoke", `${stack}.yaml`));
  const shown = path.relative(root, full) || full;
  if (!fs.existsSync(full)) throw new SmokeFileError(shown, [`does not exist: declare the smoke checks of stack "${stack}" there (see docs/operations.md)`]);
  return { file: shown, checks: parseSmokeFile(fs.readFileSync(full, "utf8"), shown) };
}

/** Where a worker is reached: its URL and the Host header to send, if any. */
export interface SmokeTarget {
  key: string;
  scriptName: string;
  url?: string;
  host?: string;
  /** How it is reached when it has no hostname. */
  exposure?: Exposure;
}

/** Each check must name a declared worker that has a URL; the message lists every problem. */
export function checkTargets(file: string, checks: SmokeCheck[], targets: SmokeTarget[], stack: string): void {
  const byKey = new Map(targets.map((t) => [t.key, t]));
  const declared = [...byKey.keys()].sort().join(", ") || "none";
  const issues: string[] = [];
  checks.forEach((c, i) => {
    const t = byKey.get(c.worker);
    if (!t) issues.push(`checks[${i}].worker: worker "${c.worker}" is not declared in stack "${stack}" (declared: ${declared})`);
    else if (!t.url) issues.push(`checks[${i}].worker: worker "${c.worker}" has no URL to check on stack "${stack}": ${noUrlReason(t)}`);
  });
  if (issues.length) throw new SmokeFileError(file, issues);
}

export interface SmokeResult {
  check: SmokeCheck;
  url?: string;
  status: number | "unreachable";
  ok: boolean;
  problems: string[];
}

export { request };

/** Runs every check against its worker's target, all at once. */
export async function runChecks(checks: SmokeCheck[], targets: SmokeTarget[]): Promise<SmokeResult[]> {
  const byKey = new Map(targets.map((t) => [t.key, t]));
  return Promise.all(
    checks.map(async (check): Promise<SmokeResult> => {
      const t = byKey.get(check.worker);
      if (!t?.url) return { check, status: "unreachable", ok: false, problems: ["no URL for this worker"] };
      const url = `${t.url.replace(/\/$/, "")}${check.path}`;
      try {
        const res = await request(url, { method: check.method, headers: check.headers, ...(t.host ? { host: t.host } : {}) });
        const problems: string[] = [];
        if (res.status !== check.status) problems.push(`expected ${check.status}, got ${res.status}`);
        if (check.bodyContains !== undefined && !res.body.includes(check.bodyContains)) problems.push(`body does not contain ${JSON.stringify(check.bodyContains)}`);
        return { check, url, status: res.status, ok: problems.length === 0, problems };
      } catch (e) {
        return { check, url, status: "unreachable", ok: false, problems: [`${check.method} failed: ${e instanceof Error ? e.message : e}`] };
      }
    }),
  );
}

/** The table `npm run smoke` prints. */
export function formatSmoke(results: SmokeResult[]): string {
  const what = (r: SmokeResult) => `${r.check.method} ${r.check.path}`;
  const wWorker = Math.max(6, ...results.map((r) => r.check.worker.length));
  const wWhat = Math.max(4, ...results.map((r) => what(r).length));
  const lines = results.map(
    (r) =>
      `${r.ok ? "PASS" : "FAIL"}  ${r.check.worker.padEnd(wWorker)}  ${what(r).padEnd(wWhat)}  ${typeof r.status === "number" ? r.status : r.status}${r.ok ? "" : `  ! ${r.problems.join("; ")}`}`,
  );
  const failed = results.filter((r) => !r.ok).length;
  lines.push("", failed ? `${failed} of ${results.length} smoke checks failed.` : `All ${results.length} smoke checks passed.`);
  return lines.join("\n");
}

export interface SmokeOptions {
  root: string;
  stack: string;
  local?: boolean;
  baseUrl?: string;
  /** Another smoke file than smoke/<stack>.yaml (relative to root). */
  file?: string;
  plain?: Record<string, string>;
  log?: (line: string) => void;
}

/** Loads the stack's smoke file, resolves the workers' URLs and runs the checks. Throws SmokeFileError on a bad file. */
export async function runSmoke(opts: SmokeOptions): Promise<{ ok: boolean; report: string; results: SmokeResult[] }> {
  const { file, checks } = loadSmokeFile(opts.root, opts.stack, opts.file);
  return withTargets({ ...opts, log: opts.log ?? (() => undefined) }, async (health) => {
    const targets: SmokeTarget[] = health.map((t) => ({ key: t.key, scriptName: t.scriptName, ...(t.url ? { url: t.url } : {}), ...(t.host ? { host: t.host } : {}), ...(t.exposure ? { exposure: t.exposure } : {}) }));
    checkTargets(file, checks, targets, opts.stack);
    const results = await runChecks(checks, targets);
    return { ok: results.every((r) => r.ok), report: formatSmoke(results), results };
  });
}

/** The command: `args` as after `workers-stack <command>` (default: this process's arguments). */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      stack: { type: "string" },
      local: { type: "boolean", default: false },
      "base-url": { type: "string" },
      file: { type: "string" },
      cwd: { type: "string" },
    },
  });
  if (!values.stack) {
    console.error("usage: npm run smoke -- --stack <name> [--local | --base-url <url>] [--file <smoke.yaml>] [--cwd <project dir>]");
    return 2;
  }
  if (values.local && values["base-url"]) {
    console.error("smoke: give --local or --base-url, not both");
    return 2;
  }
  const root = path.resolve(values.cwd ?? process.cwd());
  const where = values.local ? "the local runner" : values["base-url"] ?? "the deployed hostnames";
  console.log(`workers-stack smoke: stack "${values.stack}" against ${where}`);
  try {
    const { ok, report } = await runSmoke({
      root,
      stack: values.stack,
      local: values.local,
      ...(values["base-url"] ? { baseUrl: values["base-url"] } : {}),
      ...(values.file ? { file: values.file } : {}),
    });
    console.log(report);
    return ok ? 0 : 1;
  } catch (e) {
    if (e instanceof SmokeFileError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) runMain(main);

/**
 * `npm run promote [-- --dry-run] [--stage-only | --prod-only] [--skip-smoke] [--attempts 3] [--cwd <dir>] [--base-url <url>]`
 *
 * Seed 004's promote.mjs on Pulumi: preview + up `staging`, validate it, smoke it, then the same
 * for `production`. Each stage is a gate: the first one that fails stops everything after it, the
 * command exits 1 and names it. The stages are data (`planStages`) and what each kind of stage does
 * is an injected function (`StageRunners`), so the gating is tested with fakes; the real runners
 * drive the Pulumi CLI through the Automation API, `validateStack` (scripts/validate.ts) and
 * `runSmoke` (scripts/smoke.ts).
 *
 * Seed flags without an equivalent here: --skip-build (esbuild bundles inside `pulumi up`),
 * --skip-secrets (secrets are bindings sent by every `up`), --skip-migrations (migrations run
 * inside `up`, only when their files change).
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { requireCloudflareToken, requirePulumiCli, selectStack } from "./pulumiCli";
import { runSmoke, SmokeFileError } from "./smoke";
import { validateStack } from "./validate";
import { runMain } from "./cli";

export type StageKind = "preview" | "up" | "validate" | "smoke";

export interface Stage {
  kind: StageKind;
  stack: string;
  /** What the plan and the report call it, e.g. "Validate staging". */
  title: string;
  /** What must hold for the next stage to run. */
  gate: string;
}

export interface PromoteFlags {
  /** Only staging: never touches production. */
  stageOnly?: boolean;
  /** Only production (staging was verified already). */
  prodOnly?: boolean;
  /** Leave out the smoke stages; validation still runs. */
  skipSmoke?: boolean;
}

/** The stacks promoted from and to. */
export const STACKS = { staging: "staging", production: "production" } as const;

const KINDS: readonly StageKind[] = ["preview", "up", "validate", "smoke"];

const DESCRIBE: Record<StageKind, (stack: string) => Pick<Stage, "title" | "gate">> = {
  preview: (s) => ({ title: `Preview ${s}`, gate: "the program evaluates, the configuration is valid and the engine can plan every change" }),
  up: (s) => ({ title: `Deploy ${s}`, gate: "pulumi up succeeds (migrations, workers, hostnames)" }),
  validate: (s) => ({ title: `Validate ${s}`, gate: "every worker's /health answers with exactly the declared bindings, environment and version" }),
  smoke: (s) => ({ title: `Smoke ${s}`, gate: `every check in smoke/${s}.yaml passes` }),
};

/** A bad combination of flags. */
export class UsageError extends Error {}

/** The stages to run, in order. */
export function planStages(flags: PromoteFlags = {}, stacks: { staging: string; production: string } = STACKS): Stage[] {
  if (flags.stageOnly && flags.prodOnly) throw new UsageError("--stage-only and --prod-only exclude each other");
  const targets = flags.prodOnly ? [stacks.production] : flags.stageOnly ? [stacks.staging] : [stacks.staging, stacks.production];
  return targets.flatMap((stack) => KINDS.filter((k) => !(flags.skipSmoke && k === "smoke")).map((kind) => ({ kind, stack, ...DESCRIBE[kind](stack) })));
}

export interface StageOutcome {
  ok: boolean;
  /** One line for the report (a change summary, the failed check...). */
  detail?: string;
}

/** What each kind of stage does to a stack. */
export type StageRunners = Record<StageKind, (stack: string) => Promise<StageOutcome>>;

export interface StageReport {
  stage: Stage;
  status: "passed" | "failed" | "not run";
  detail?: string;
  seconds?: number;
}

export interface PromoteReport {
  ok: boolean;
  /** The stage that stopped the promotion. */
  failed?: Stage;
  stages: StageReport[];
}

/** Runs the stages in order; the first failure (or exception) stops the rest. */
export async function runStages(stages: Stage[], runners: StageRunners, log: (line: string) => void = console.log): Promise<PromoteReport> {
  const reports: StageReport[] = stages.map((stage) => ({ stage, status: "not run" }));
  for (const [i, report] of reports.entries()) {
    const { stage } = report;
    log(`\n== ${i + 1}/${stages.length} ${stage.title}`);
    const started = Date.now();
    let outcome: StageOutcome;
    try {
      outcome = await runners[stage.kind](stage.stack);
    } catch (e) {
      outcome = { ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
    report.seconds = (Date.now() - started) / 1000;
    report.status = outcome.ok ? "passed" : "failed";
    if (outcome.detail !== undefined) report.detail = outcome.detail;
    if (!outcome.ok) return { ok: false, failed: stage, stages: reports };
  }
  return { ok: true, stages: reports };
}

/** The plan `--dry-run` prints. */
export function formatPlan(stages: Stage[]): string {
  const width = Math.max(5, ...stages.map((s) => s.title.length));
  return [
    `Promotion plan (${stages.length} stages; each is a gate: a failure stops every stage after it):`,
    ...stages.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.title.padEnd(width)}  gate: ${s.gate}`),
  ].join("\n");
}

/** The summary printed at the end. */
export function formatReport(report: PromoteReport): string {
  const lines = report.stages.map((r, i) => {
    const mark = r.status === "passed" ? "ok  " : r.status === "failed" ? "FAIL" : "--  ";
    const time = r.seconds !== undefined ? ` (${r.seconds.toFixed(1)} s)` : "";
    return `  ${mark} ${String(i + 1).padStart(2)}. ${r.stage.title}${time}${r.detail ? `: ${r.detail.split("\n")[0]}` : ""}`;
  });
  const failedAt = report.failed ? report.stages.findIndex((r) => r.stage === report.failed) + 1 : 0;
  lines.push(
    "",
    report.ok
      ? "Promotion complete."
      : `Promotion FAILED at stage ${failedAt}: ${report.failed!.title}. Stages after it were not run.`,
  );
  return lines.join("\n");
}

/** Runs `fn` up to `attempts` times while it fails (DNS and routes of a fresh deploy can take a moment). */
export async function withRetries(
  fn: () => Promise<StageOutcome>,
  o: { attempts: number; delayMs: number; log?: (l: string) => void; sleep?: (ms: number) => Promise<void> },
): Promise<StageOutcome> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: StageOutcome = { ok: false, detail: "not attempted" };
  for (let attempt = 1; attempt <= Math.max(1, o.attempts); attempt++) {
    last = await fn();
    if (last.ok || attempt >= o.attempts) return last;
    o.log?.(`  attempt ${attempt} of ${o.attempts} failed; retrying in ${Math.round(o.delayMs / 1000)} s`);
    await sleep(o.delayMs);
  }
  return last;
}

function changes(map: Record<string, number | undefined> | undefined): string {
  const parts = Object.entries(map ?? {})
    .filter(([, n]) => n)
    .map(([op, n]) => `${op} ${n}`);
  return parts.join(", ") || "no changes reported";
}

/** The real stages: the Pulumi CLI through the Automation API, validateStack and runSmoke. */
export function pulumiRunners(root: string, o: { attempts: number; delayMs: number; log: (l: string) => void; baseUrl?: string }): StageRunners {
  // --base-url: validate and smoke through one address with Host headers (as `npm run validate` does).
  const via = o.baseUrl ? { baseUrl: o.baseUrl } : {};
  const out = (s: string) => process.stdout.write(s);
  const retried = (fn: () => Promise<StageOutcome>) => withRetries(fn, { attempts: o.attempts, delayMs: o.delayMs, log: o.log });
  return {
    async preview(stack) {
      const s = await selectStack(root, stack);
      const r = await s.preview({ onOutput: out });
      return { ok: true, detail: changes(r.changeSummary) };
    },
    async up(stack) {
      const s = await selectStack(root, stack);
      const r = await s.up({ onOutput: out });
      return { ok: r.summary.result === "succeeded", detail: `${r.summary.result}: ${changes(r.summary.resourceChanges)}` };
    },
    validate: (stack) =>
      retried(async () => {
        const r = await validateStack({ root, stack, log: o.log, ...via });
        o.log(r.report);
        return { ok: r.ok, detail: r.report.trim().split("\n").at(-1)! };
      }),
    smoke: (stack) =>
      retried(async () => {
        try {
          const r = await runSmoke({ root, stack, log: o.log, ...via });
          o.log(r.report);
          return { ok: r.ok, detail: r.report.trim().split("\n").at(-1)! };
        } catch (e) {
          // A broken smoke file will not fix itself: no retry would help, but report it as the stage's failure.
          if (e instanceof SmokeFileError) return { ok: false, detail: e.message };
          throw e;
        }
      }),
  };
}

export interface PromoteOptions extends PromoteFlags {
  dryRun?: boolean;
}

/** Plans the stages, prints the plan, and unless it is a dry run, runs them. Runners are never called on a dry run. */
export async function promote(opts: PromoteOptions, runners: () => StageRunners, log: (l: string) => void = console.log): Promise<PromoteReport | undefined> {
  const stages = planStages(opts);
  log(formatPlan(stages));
  if (opts.dryRun) {
    log("\nDry run: nothing was run.");
    return undefined;
  }
  const report = await runStages(stages, runners(), log);
  log(`\n${formatReport(report)}`);
  return report;
}

/** The command: `args` as after `workers-stack <command>` (default: this process's arguments). */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        "dry-run": { type: "boolean", default: false },
        "stage-only": { type: "boolean", default: false },
        "prod-only": { type: "boolean", default: false },
        "skip-smoke": { type: "boolean", default: false },
        attempts: { type: "string", default: "3" },
        cwd: { type: "string" },
        "base-url": { type: "string" },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const { values } = parsed;
  const root = path.resolve(values.cwd ?? process.cwd());
  const flags: PromoteOptions = { dryRun: values["dry-run"], stageOnly: values["stage-only"], prodOnly: values["prod-only"], skipSmoke: values["skip-smoke"] };
  const attempts = Number(values.attempts);
  if (!Number.isInteger(attempts) || attempts < 1) throw new UsageError("--attempts must be a whole number >= 1");
  const stacks = new Set(planStages(flags).map((s) => s.stack)); // a bad flag combination fails first
  if (!flags.dryRun) {
    // Before anything runs: a promotion that stops half-way for a missing tool helps nobody.
    requirePulumiCli();
    for (const stack of stacks) requireCloudflareToken(root, stack);
  }
  const baseUrl = values["base-url"];
  const report = await promote(flags, () => pulumiRunners(root, { attempts, delayMs: 15_000, log: (l) => console.log(l), ...(baseUrl ? { baseUrl } : {}) }));
  return !report || report.ok ? 0 : 1;
}

/** A usage error ends the command with its message, the usage and exit code 2. */
export function onMainError(e: unknown): number | undefined {
  if (!(e instanceof UsageError)) return undefined;
  console.error(`promote: ${e.message}\nusage: npm run promote -- [--dry-run] [--stage-only | --prod-only] [--skip-smoke] [--attempts 3] [--cwd <project dir>] [--base-url <url>]`);
  return 2;
}

if (require.main === module) runMain(main, onMainError);

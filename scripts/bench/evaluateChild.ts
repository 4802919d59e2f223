/**
 * One measured evaluation, in a process of its own so its memory is its own and no module cache
 * is shared with another run: `node -r ./local/launch.js scripts/bench/evaluateChild.ts
 * <root> <ours|baseline> <result.json>` (the TypeScript loader `npm start` uses).
 *
 * The SDKs both programs use (@pulumi/*, esbuild) are loaded before the clock starts; the clock
 * then covers loading the program itself (for ours: config, validation, components, zod) and the
 * whole evaluation under the mocks of harness/evaluate.ts.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";

/** What a child writes to its result file. */
export interface ChildResult {
  program: "ours" | "baseline";
  /** Milliseconds from loading the program to every registration answered. */
  evalMs: number;
  /** Peak resident memory of this process (ru_maxrss), MiB. */
  peakRssMiB: number;
  resources: number;
  customResources: number;
  error?: string;
  /** URN → registered inputs (secrets still wrapped): what the determinism check compares. */
  inputs: Record<string, unknown>;
}

async function run(root: string, program: "ours" | "baseline", out: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const m of ["@pulumi/pulumi", "@pulumi/cloudflare", "@pulumi/command", "@pulumi/random", "esbuild"]) require(m);
  const { evaluateStack } = await import("../../harness/evaluate");
  const { readProject } = await import("./generate");
  const project = readProject(root);

  // `--raw-stacks`: what evaluation costs when the stack trace Pulumi captures for every resource
  // is not source-mapped by ts-node (see the bench's JSDoc).
  if (process.env.WORKERS_STACK_BENCH_RAW_STACKS === "1") (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  const started = performance.now();
  const ev = await evaluateStack({
    root,
    stack: project.stack,
    secrets: project.secrets,
    ...(program === "baseline"
      ? {
          program: () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { baselineProgram } = require("./baseline") as typeof import("./baseline");
            return baselineProgram(project);
          },
        }
      : {}),
  });
  const evalMs = performance.now() - started;

  const result: ChildResult = {
    program,
    evalMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    resources: ev.resources.length,
    customResources: ev.resources.filter((r) => r.custom).length,
    ...(ev.error ? { error: ev.error.message } : {}),
    inputs: Object.fromEntries(ev.resources.map((r) => [r.urn, r.inputs])),
  };
  fs.writeFileSync(out, JSON.stringify(result));
}

const [root, program, out] = process.argv.slice(2);
if (!root || (program !== "ours" && program !== "baseline") || !out) {
  console.error("usage: evaluateChild.ts <root> <ours|baseline> <result.json>");
  process.exit(2);
}
run(root, program, out).then(
  // The mock runtime can leave handles open: exit as soon as the result is written.
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);

/**
 * `npm start [-- --stack <name>] [--project <dir>] [--fresh] [--port <n>] [--state <dir>] [--watch|--no-watch]`: run a stack locally in
 * workerd. State (D1 rows, KV entries, generated secrets) is kept in .workers-stack/local/<stack>
 * (or --state) across restarts; --fresh wipes it. Ctrl-C stops.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { LocalStack } from "./runner";

/** The command: `args` as after `workers-stack start` (default: this process's arguments). Runs until stopped. */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  // Node itself and the launcher, up to here.
  const node = process.uptime();
  const loading = process.hrtime.bigint();
  // Loaded here, not at the top, to time it: Miniflare, @pulumi/pulumi and the config code.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { describeLocal, describeTimings, startLocal } = require("./runner") as typeof import("./runner");
  const modules = Number(process.hrtime.bigint() - loading) / 1e9;
  const { values } = parseArgs({
    args,
    allowNegative: true,
    options: {
      stack: { type: "string", default: "staging" },
      fresh: { type: "boolean", default: false },
      port: { type: "string", default: "8787" },
      state: { type: "string" },
      project: { type: "string" },
      // Default: on when a terminal is attached (an interactive session), off otherwise (CI, scripts).
      watch: { type: "boolean", default: Boolean(process.stdout.isTTY) },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm start -- [--stack staging] [--project <dir>] [--fresh] [--port 8787] [--state <dir>] [--watch | --no-watch]");
    return;
  }
  // --project runs another Pulumi project on this program (e.g. examples/tminus).
  const root = path.resolve(values.project ?? process.cwd());
  // Registered before workerd starts, so this runs first on Ctrl-C; Miniflare's own exit hook
  // then stops workerd as well.
  let local: LocalStack | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping workerd...`);
    void (local?.dispose() ?? Promise.resolve()).then(() => {
      console.log("stopped.");
      process.exit(0);
    });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  console.log(`workers-stack: starting stack "${values.stack}" locally${values.fresh ? " (fresh state)" : ""}`);
  local = await startLocal({
    root,
    stack: values.stack,
    fresh: values.fresh,
    port: Number(values.port),
    watch: values.watch,
    evaluateIn: "thread",
    ...(values.state ? { stateDir: path.resolve(values.state) } : {}),
  });
  console.log(`\n${describeLocal(local)}`);
  console.log(`\nState: ${path.relative(process.cwd(), local.stateDir) || "."} (kept across restarts; --fresh wipes it).`);
  console.log(`Ready in ${process.uptime().toFixed(1)} s (${describeTimings({ node, modules, ...local.timings })}). Press Ctrl-C to stop.`);
  console.log(
    values.watch
      ? "Watching: a worker's source reloads that worker, a change to Pulumi*.yaml, .dev.vars or a migration re-evaluates the program (--no-watch to turn off)."
      : "Not watching for changes (--watch to reload on edits).",
  );
}

/** Starts and keeps running; on failure prints the message and exits 1. */
export function run(args: string[] = process.argv.slice(2)): void {
  main(args).catch((e: unknown) => {
    // Let stderr drain (a configuration report can be long) before ending the open handles.
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`, () => process.exit(1));
  });
}

if (require.main === module) run();

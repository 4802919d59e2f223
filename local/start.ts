/**
 * `npm start [-- --stack <name>] [--fresh] [--port <n>]`: run a stack locally in workerd.
 * State (D1 rows, KV entries, generated secrets) is kept in .workers-stack/local/<stack> across
 * restarts; --fresh wipes it. Ctrl-C stops.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { describeLocal, startLocal } from "./runner";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "staging" },
      fresh: { type: "boolean", default: false },
      port: { type: "string", default: "8787" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm start -- [--stack staging] [--fresh] [--port 8787]");
    return;
  }
  const root = path.resolve(__dirname, "..");
  const started = Date.now();
  console.log(`workers-stack: starting stack "${values.stack}" locally${values.fresh ? " (fresh state)" : ""}`);
  const local = await startLocal({ root, stack: values.stack, fresh: values.fresh, port: Number(values.port) });
  console.log(`\n${describeLocal(local)}`);
  console.log(`\nState: ${path.relative(process.cwd(), local.stateDir) || "."} (kept across restarts; --fresh wipes it).`);
  console.log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping workerd...`);
    await local.dispose();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

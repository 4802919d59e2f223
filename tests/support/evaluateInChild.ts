/**
 * Evaluates stacks in a process of its own and writes what was registered as JSON, so a test can
 * compare two fresh processes (nothing fixed per process — a timestamp, a random id, a module
 * cache — can make them agree by accident):
 *
 *   node -r ts-node/register/transpile-only tests/support/evaluateInChild.ts <out.json> <stack>...
 */
import * as fs from "node:fs";
import { evaluate } from "../helpers";

async function main(): Promise<void> {
  const [out, ...stacks] = process.argv.slice(2);
  const result: Record<string, unknown> = {};
  for (const stack of stacks) {
    const ev = await evaluate(stack);
    if (ev.error) throw ev.error;
    result[stack] = {
      resources: Object.fromEntries(ev.resources.map((r) => [r.urn, { inputs: r.inputs, dependencies: r.dependencies, protect: r.protect, importId: r.importId }])),
      outputs: ev.outputs,
    };
  }
  fs.writeFileSync(out!, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);

/**
 * `npm run validate -- --stack <s> [--local | --base-url <url>] [--cwd <dir>]`
 *
 * Calls every worker's /health and compares the bindings it reports with the declaration:
 * - default: the deployed stack, at https://<first hostname> of each worker (a worker with only a
 *   path route at its host and path prefix: https://shop.example.com/api/health);
 * - --local: the stack started in workerd by the local runner (started and stopped here);
 * - --base-url: one address for all workers, each reached by its hostname in the Host header
 *   (a running `npm start`, a proxy, a preview environment).
 * Exits 1 when any worker is unreachable, unhealthy, or has a missing, extra or mistyped binding.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { checkWorker, formatHealth } from "../checks/healthCheck";
import { TargetOptions, withTargets } from "../checks/targets";
import { runMain } from "./cli";

export { targetsOf } from "../checks/targets";

export async function validateStack(opts: TargetOptions): Promise<{ ok: boolean; report: string }> {
  return withTargets(opts, async (targets) => {
    const results = await Promise.all(targets.map(checkWorker));
    return { ok: results.every((r) => r.ok), report: formatHealth(results) };
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
      root: { type: "string" },
      cwd: { type: "string" },
    },
  });
  if (!values.stack) {
    console.error("usage: npm run validate -- --stack <name> [--local | --base-url <url>] [--cwd <project dir>]");
    return 2;
  }
  if (values.local && values["base-url"]) {
    console.error("validate: give --local or --base-url, not both");
    return 2;
  }
  // --cwd (as in drift, smoke, promote, graph) and --root name the project folder.
  const root = path.resolve(values.cwd ?? values.root ?? process.cwd());
  const where = values.local ? "the local runner" : values["base-url"] ?? "the deployed hostnames";
  console.log(`workers-stack validate: stack "${values.stack}" against ${where}`);
  const { ok, report } = await validateStack({ root, stack: values.stack, local: values.local, ...(values["base-url"] ? { baseUrl: values["base-url"] } : {}) });
  console.log(report);
  return ok ? 0 : 1;
}

if (require.main === module) runMain(main);

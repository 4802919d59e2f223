/**
 * `npm run validate -- --stack <s> [--local | --base-url <url>] [--root <dir>]`
 *
 * Calls every worker's /health and compares the bindings it reports with the declaration:
 * - default: the deployed stack, at https://<first hostname> of each worker;
 * - --local: the stack started in workerd by the local runner (started and stopped here);
 * - --base-url: one address for all workers, each reached by its hostname in the Host header
 *   (a running `npm start`, a proxy, a preview environment).
 * Exits 1 when any worker is unreachable, unhealthy, or has a missing, extra or mistyped binding.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Evaluation, reveal } from "../local/evaluate";
import { checkWorker, formatHealth, HealthTarget } from "../local/healthCheck";
import { evaluateLocally, startLocal } from "../local/runner";

const SCRIPT = "cloudflare:index/workersScript:WorkersScript";
const ROUTE = "cloudflare:index/workersRoute:WorkersRoute";
const CUSTOM_DOMAIN = "cloudflare:index/workersCustomDomain:WorkersCustomDomain";

/** One target per worker of the evaluated stack, with its declared bindings. */
export function targetsOf(ev: Evaluation, version: string, url: (scriptName: string, hosts: string[]) => { url?: string; host?: string }): HealthTarget[] {
  const hosts = new Map<string, string[]>();
  for (const r of ev.resources.filter((x) => x.type === ROUTE)) {
    const script = String(r.inputs.script);
    hosts.set(script, [...(hosts.get(script) ?? []), String(r.inputs.pattern).replace(/\/\*$/, "")]);
  }
  for (const r of ev.resources.filter((x) => x.type === CUSTOM_DOMAIN)) {
    const script = String(r.inputs.service);
    hosts.set(script, [...(hosts.get(script) ?? []), String(r.inputs.hostname)]);
  }
  return ev.resources
    .filter((r) => r.type === SCRIPT)
    .map((r) => {
      const inputs = r.inputs as { scriptName: string; bindings: unknown };
      const bindings = (reveal(inputs.bindings) ?? []) as { name: string; type: string }[];
      const where = url(inputs.scriptName, hosts.get(inputs.scriptName) ?? []);
      return {
        key: r.name,
        scriptName: inputs.scriptName,
        declared: Object.fromEntries(bindings.map((b) => [b.name, b.type])),
        ...(where.url ? { url: where.url } : {}),
        ...(where.host ? { host: where.host } : {}),
        expectEnvironment: ev.stack,
        expectVersion: version,
      };
    });
}


function versionOf(ev: Evaluation): string {
  return String((ev.outputs as { version?: string } | undefined)?.version ?? "");
}

export async function validateStack(opts: { root: string; stack: string; local?: boolean; baseUrl?: string; plain?: Record<string, string>; log?: (l: string) => void }): Promise<{ ok: boolean; report: string }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if (opts.local) {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-validate-"));
    const local = await startLocal({ root: opts.root, stack: opts.stack, port: 0, stateDir, log, ...(opts.plain ? { plain: opts.plain } : {}) });
    try {
      const targets = targetsOf(local.evaluation, versionOf(local.evaluation), (scriptName) => ({ url: local.workers.find((w) => w.scriptName === scriptName)?.url }));
      const results = await Promise.all(targets.map(checkWorker));
      return { ok: results.every((r) => r.ok), report: formatHealth(results) };
    } finally {
      await local.dispose();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  }
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-validate-"));
  try {
    // Only the declaration is needed here: secret values are made up, nothing is started.
    const ev = await evaluateLocally({ root: opts.root, stack: opts.stack, ...(opts.plain ? { plain: opts.plain } : {}) }, stateDir, () => undefined);
    const targets = targetsOf(ev, versionOf(ev), (_s, hosts) =>
      opts.baseUrl ? { url: opts.baseUrl, ...(hosts[0] ? { host: hosts[0] } : {}) } : hosts[0] ? { url: `https://${hosts[0]}` } : {},
    );
    const results = await Promise.all(targets.map(checkWorker));
    return { ok: results.every((r) => r.ok), report: formatHealth(results) };
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
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
    process.exit(2);
  }
  if (values.local && values["base-url"]) {
    console.error("validate: give --local or --base-url, not both");
    process.exit(2);
  }
  // --cwd (as in drift, smoke, promote, graph) and --root name the project folder.
  const root = path.resolve(values.cwd ?? values.root ?? path.join(__dirname, ".."));
  const where = values.local ? "the local runner" : values["base-url"] ?? "the deployed hostnames";
  console.log(`workers-stack validate: stack "${values.stack}" against ${where}`);
  const { ok, report } = await validateStack({ root, stack: values.stack, local: values.local, ...(values["base-url"] ? { baseUrl: values["base-url"] } : {}) });
  console.log(report);
  process.exit(ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}

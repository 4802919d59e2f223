/**
 * Where each worker of a stack answers, for the commands that call them (`npm run validate`,
 * `npm run smoke`): the deployed hostnames, one base URL reached with Host headers, or the local
 * runner started for the occasion.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { registeredOf, registeredScripts } from "../config/resourceTypes";
import { Evaluation, reveal } from "./evaluate";
import { HealthTarget } from "./healthCheck";
import { evaluateLocally, startLocal } from "./runner";

/** One target per worker of the evaluated stack, with its declared bindings and hostnames. */
export function targetsOf(ev: Evaluation, version: string, url: (scriptName: string, hosts: string[]) => { url?: string; host?: string }): HealthTarget[] {
  const outputs = (ev.outputs ?? {}) as { version?: string; environment?: string; injectedVars?: { environment: string | false; version: string | false } };
  // The injected vars as the program set them (renamed or off: `environmentVar`, `versionVar`).
  const injectedVars = outputs.injectedVars ?? { environment: "ENVIRONMENT", version: "VERSION" };
  const hosts = new Map<string, string[]>();
  const add = (script: string, host: string) => hosts.set(script, [...(hosts.get(script) ?? []), host]);
  for (const r of registeredOf(ev.resources, "route", reveal)) add(String(r.inputs.script), String(r.inputs.pattern).replace(/\/\*$/, ""));
  for (const r of registeredOf(ev.resources, "customDomain", reveal)) add(String(r.inputs.service), String(r.inputs.hostname));
  const workersDev = new Set(registeredOf(ev.resources, "subdomain", reveal).filter((r) => r.inputs.enabled === true).map((r) => String(r.inputs.scriptName)));
  return registeredScripts(ev.resources, reveal)
    .map((r) => {
      const inputs = r.inputs;
      const bindings = inputs.bindings ?? [];
      const where = url(inputs.scriptName, hosts.get(inputs.scriptName) ?? []);
      return {
        key: r.name,
        scriptName: inputs.scriptName,
        declared: Object.fromEntries(bindings.map((b) => [b.name, b.type])),
        ...(where.url ? { url: where.url } : {}),
        ...(where.host ? { host: where.host } : {}),
        ...(hosts.has(inputs.scriptName) ? {} : { exposure: workersDev.has(inputs.scriptName) ? ("workers.dev" as const) : ("no public URL" as const) }),
        expectEnvironment: injectedVars.environment === false ? undefined : (outputs.environment ?? ev.stack),
        expectVersion: injectedVars.version === false ? undefined : String(outputs.version ?? version),
        injected: [injectedVars.environment, injectedVars.version].filter((n): n is string => n !== false),
        ...(inputs.contentFile === undefined && inputs.assets !== undefined ? { assetsOnly: true } : {}),
      };
    });
}

export interface TargetOptions {
  root: string;
  stack: string;
  /** Start the stack in the local runner and use each worker's direct URL. */
  local?: boolean;
  /** One address for all workers, each reached by its hostname in the Host header. */
  baseUrl?: string;
  /** Config keys to replace (tests). */
  plain?: Record<string, string>;
  /** Where the local runner's notices go. */
  log?: (line: string) => void;
}

/**
 * Resolves every worker's target and runs `use` with them; a local runner started here is stopped
 * (and its state removed) when `use` is done.
 */
export async function withTargets<T>(opts: TargetOptions, use: (targets: HealthTarget[], ev: Evaluation) => Promise<T>): Promise<T> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-targets-"));
  const plain = opts.plain ? { plain: opts.plain } : {};
  try {
    if (opts.local) {
      const local = await startLocal({ root: opts.root, stack: opts.stack, port: 0, stateDir, log: opts.log ?? ((l) => console.log(l)), ...plain });
      try {
        const targets = targetsOf(local.evaluation, "", (scriptName) => ({ url: local.workers.find((w) => w.scriptName === scriptName)?.url }));
        return await use(targets, local.evaluation);
      } finally {
        await local.dispose();
      }
    }
    // Only the declaration is needed here: secret values are made up, nothing is started.
    const ev = await evaluateLocally({ root: opts.root, stack: opts.stack, ...plain }, stateDir, () => undefined);
    const targets = targetsOf(ev, "", (_s, hosts) =>
      opts.baseUrl ? { url: opts.baseUrl, ...(hosts[0] ? { host: hosts[0] } : {}) } : hosts[0] ? { url: `https://${hosts[0]}` } : {},
    );
    return await use(targets, ev);
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

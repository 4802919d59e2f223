/**
 * Where each worker of a stack answers, for the commands that call them (`npm run validate`,
 * `npm run smoke`): the deployed hostnames, one base URL reached with Host headers, or the local
 * runner started for the occasion.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { registeredOf, registeredScripts } from "../config/resourceTypes";
import { routeTarget } from "../config/routing";
import { Evaluation, reveal } from "../harness/evaluate";
import { HealthTarget } from "./healthCheck";
import { evaluateLocally, startLocal } from "../local/runner";

/**
 * One target per worker of the evaluated stack, with its declared bindings and where it is
 * reached: `hosts` lists `<host>` for a whole hostname (a hostname, a custom domain, a route
 * `<host>/*`) first, then `<host><path prefix>` for a route with a path (`shop.example.com/api/`,
 * so `/health` is asked at `/api/health`); a route on a wildcard host gives none.
 */
export function targetsOf(ev: Evaluation, version: string, url: (scriptName: string, hosts: string[]) => { url?: string; host?: string }): HealthTarget[] {
  const outputs = (ev.outputs ?? {}) as { version?: string; environment?: string; injectedVars?: { environment: string | false; version: string | false } };
  // The injected vars as the program set them (renamed or off: `environmentVar`, `versionVar`).
  const injectedVars = outputs.injectedVars ?? { environment: "ENVIRONMENT", version: "VERSION" };
  // Rank 0: a declared hostname (its DNS record is registered) or custom domain; 1: a route on a
  // whole host; 2: a route with a path. The first one is where the checks call the worker.
  const declared = new Set(registeredOf(ev.resources, "dns", reveal).map((r) => String(r.inputs.name)));
  const found = new Map<string, { at: string; rank: number }[]>();
  const add = (script: string, at: string, rank: number) => found.set(script, [...(found.get(script) ?? []), { at, rank }]);
  for (const r of registeredOf(ev.resources, "route", reveal)) {
    const t = routeTarget(String(r.inputs.pattern));
    if (!t) continue;
    if (t.path === "/") add(String(r.inputs.script), t.host, declared.has(t.host) ? 0 : 1);
    else add(String(r.inputs.script), `${t.host}${t.path}`, 2);
  }
  for (const r of registeredOf(ev.resources, "customDomain", reveal)) add(String(r.inputs.service), String(r.inputs.hostname), 0);
  const hosts = new Map([...found].map(([script, list]) => [script, [...new Set([...list].sort((a, b) => a.rank - b.rank).map((x) => x.at))]]));
  const workersDev = new Set(registeredOf(ev.resources, "subdomain", reveal).filter((r) => r.inputs.enabled === true).map((r) => String(r.inputs.scriptName)));
  const routed = new Set(registeredOf(ev.resources, "route", reveal).map((r) => String(r.inputs.script)));
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
        ...(hosts.has(inputs.scriptName)
          ? {}
          : { exposure: routed.has(inputs.scriptName) ? ("wildcard routes" as const) : workersDev.has(inputs.scriptName) ? ("workers.dev" as const) : ("no public URL" as const) }),
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
    const targets = targetsOf(ev, "", (_s, hosts) => {
      if (!hosts[0]) return opts.baseUrl ? { url: opts.baseUrl } : {};
      // `<host>` or `<host><path prefix>`: the Host header is the host, the path stays in the URL.
      const slash = hosts[0].indexOf("/");
      const host = slash === -1 ? hosts[0] : hosts[0].slice(0, slash);
      const prefix = slash === -1 ? "" : hosts[0].slice(slash);
      return opts.baseUrl ? { url: `${opts.baseUrl.replace(/\/$/, "")}${prefix}`, host } : { url: `https://${hosts[0]}` };
    });
    return await use(targets, ev);
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

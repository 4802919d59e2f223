/**
 * The validation rule of static assets and assets-only workers (wrangler's checks, and
 * Cloudflare's limits on an asset directory): one rule function over the shared context.
 */
import { ASSET_LIMITS, runWorkerFirstProblems } from "./assets";
import { planLimit } from "./limits";
import { pathProblem, type RuleContext } from "./rules";
import { injectedNames } from "./names";
import { own } from "./validate";

/** What an assets-only worker cannot have: each needs code to read or run it. */
const NEEDS_CODE = [
  "vars", "secrets", "bindings", "durableObjects", "durableObjectMigrations", "workflows", "consumers", "crons", "telegram",
  // Script settings: wrangler's upload of an assets-only worker carries none of them.
  "observability", "logpush", "tailConsumers", "placement", "limits", "build", "uploadSourceMaps",
] as const;

/**
 * Every worker has an entry, assets, or both; an asset directory is a plain folder inside the
 * project with what Cloudflare accepts; `runWorkerFirst` rules are well-formed; the assets binding
 * has a name of its own; an assets-only worker declares nothing that needs code.
 */
export function checkAssets(ctx: RuleContext): void {
  const { facts, system, source, settings, plan, issues } = ctx;
  const declared = (source.system as { workers?: Record<string, unknown> } | undefined)?.workers;
  const overrideWorkers = settings.overrides?.workers as Record<string, unknown> | undefined;
  for (const [key, worker] of Object.entries(system.workers)) {
    const at = `system.workers.${key}`;
    const assets = worker.assets;
    const assetsOnly = worker.entry === undefined;
    // A named entrypoint is a class of the target's code: an assets-only worker has none.
    for (const [name, b] of Object.entries(worker.bindings ?? {})) {
      const service = typeof b.service === "string" ? b.service : undefined;
      const target = service !== undefined && own(system.workers, service) ? system.workers[service] : undefined;
      if (target && target.entry === undefined && target.assets !== undefined && b.entrypoint !== undefined)
        issues.push({ path: `${at}.bindings.${name}`, message: `worker "${service}" serves assets only: it has no entrypoint ${String(b.entrypoint)}`, hint: "remove entrypoint (requests then get its files), or give that worker an entry" });
    }
    if (assetsOnly && assets === undefined) {
      // A worker an override invents without an entry is reported as the override's mistake (validate.ts).
      if (own(overrideWorkers, key) && !own(declared, key)) continue;
      // A worker whose `assets` did not parse is reported there.
      if (system.invalid.has(`workers.${key}`) && typeof (declared?.[key] as Record<string, unknown> | undefined)?.assets === "object") continue;
      issues.push({ path: `${at}.entry`, message: "required (string) but not set", hint: "give the entry module (e.g. workers/api/index.ts), or `assets: { directory: ... }` for a worker that only serves files" });
      continue;
    }
    if (assets === undefined) continue;
    const dir = assets.directory;
    const bad = pathProblem(dir, facts);
    if (bad) issues.push({ path: `${at}.assets.directory`, message: bad, hint: "give a folder inside the project, e.g. public or dist/client" });
    else if (facts.listDir(dir) === undefined)
      issues.push({
        path: `${at}.assets.directory`,
        message: facts.isFile(dir) ? `"${dir}" is a file, not a folder` : `folder "${dir}" does not exist`,
        hint: "build the assets first (the folder is read when the program runs), or fix the path (relative to the project root)",
      });
    else if (facts.assets) {
      const scan = facts.assets(dir);
      for (const p of scan.problems) issues.push({ path: `${at}.assets.directory`, message: p });
      const limit = planLimit(ASSET_LIMITS.files, plan);
      if (scan.files > limit.max)
        issues.push({ path: `${at}.assets.directory`, message: `${scan.files} files; Cloudflare serves ${limit.says} per worker version`, hint: "list what need not be served in an .assetsignore file in the folder" });
    }
    if (Array.isArray(assets.runWorkerFirst))
      for (const p of runWorkerFirstProblems(assets.runWorkerFirst))
        issues.push({ path: `${at}.assets.runWorkerFirst`, message: p, hint: "rules are paths such as /api/* (run the worker first) or !/api/docs/* (serve the file); see README \"Static assets\"" });
    if (assets.binding !== undefined) {
      const name = assets.binding;
      const other = injectedNames(system).includes(name)
        ? "injected by workers-stack"
        : own(worker.vars, name)
          ? "a var"
          : (worker.secrets ?? []).includes(name)
            ? "a secret"
            : own(worker.bindings, name)
              ? "a binding"
              : undefined;
      if (other) issues.push({ path: `${at}.assets.binding`, message: `${name} is already ${other} of this worker`, hint: "give the assets binding its own name, e.g. ASSETS" });
    }
    if (!assetsOnly) continue;
    // wrangler refuses both for a worker without `main` ("Cannot use assets with a binding in an
    // assets-only Worker", "Cannot set run_worker_first without a Worker script").
    if (assets.binding !== undefined)
      issues.push({ path: `${at}.assets.binding`, message: "an assets-only worker (no entry) has no code to use a binding", hint: "remove binding, or give the worker an entry" });
    if (assets.runWorkerFirst === true || Array.isArray(assets.runWorkerFirst))
      issues.push({ path: `${at}.assets.runWorkerFirst`, message: "an assets-only worker (no entry) has no code to run first", hint: "remove runWorkerFirst, or give the worker an entry" });
    for (const field of NEEDS_CODE) {
      const value = worker[field];
      const empty = value === undefined || value === false || (Array.isArray(value) ? value.length === 0 : typeof value === "object" && value !== null && Object.keys(value).length === 0);
      if (!empty) issues.push({ path: `${at}.${field}`, message: `an assets-only worker (no entry) has no code to use ${field}`, hint: `give the worker an entry, or remove ${field}` });
    }
  }
}

/**
 * The physical-name rule of `validate()`: every name a stack would give Cloudflare — derived
 * (`{app}-{key}{suffix}`) or declared (`name`) — fits its kind's rule (config/limits.ts
 * NAME_RULES), and no two resources of one kind share a name on one stack.
 */
import type { ConfigIssue } from "./errors";
import { checkPhysicalName, type NameKind } from "./limits";
import { expandName, injectedVars, type NameContext, type Named } from "./names";
import type { RuleContext } from "./rules";

/** One named thing of the declaration: its kind, key, template and where it is declared. */
interface NamedEntry {
  kind: NameKind;
  key: string;
  template: string | undefined;
  /** Path of the resource (`system.databases.main`). */
  at: string;
}

/** Every named resource of a (parsed) system, in declaration order. */
function namedEntries(system: RuleContext["system"]): NamedEntry[] {
  const out: NamedEntry[] = [];
  const section = (kind: NameKind, name: string, record: Record<string, Named> | undefined) => {
    for (const [key, item] of Object.entries(record ?? {})) out.push({ kind, key, template: item?.name, at: `system.${name}.${key}` });
  };
  section("d1", "databases", system.databases);
  section("kv", "kvNamespaces", system.kvNamespaces);
  section("queue", "queues", system.queues);
  section("r2", "r2Buckets", system.r2Buckets);
  section("hyperdrive", "hyperdrives", system.hyperdrives);
  for (const [key, worker] of Object.entries(system.workers)) {
    out.push({ kind: "script", key, template: worker.name, at: `system.workers.${key}` });
    for (const [wf, d] of Object.entries(worker.workflows ?? {})) out.push({ kind: "workflow", key: wf, template: d?.name, at: `system.workers.${key}.workflows.${wf}` });
  }
  return out;
}

/** Names: each fits Cloudflare's rule for its kind, and each is used once per kind on this stack. */
export function checkNames(ctx: RuleContext): void {
  const names: NameContext = { app: ctx.system.app, stack: ctx.stack, suffix: ctx.suffix };
  const seen = new Map<string, NamedEntry>();
  for (const e of namedEntries(ctx.system)) {
    const name = expandName(e.template, e.key, names);
    const path = e.template === undefined ? e.at : `${e.at}.name`;
    const fix =
      e.template === undefined
        ? "shorten the key, the app or the stack's suffix, or give the resource a `name`"
        : `change its name (placeholders: {app}, {key}, {stack}, {suffix}; "${e.template}" gives "${name}" on stack ${ctx.stack})`;
    checkPhysicalName(name, e.kind, path, ctx.issues, fix);
    const id = `${e.kind}\0${name}`;
    const before = seen.get(id);
    if (before) ctx.issues.push(duplicate(e, before, name, path, ctx.stack));
    else seen.set(id, e);
  }
  const injected = injectedVars(ctx.system);
  if (injected.environment !== false && injected.environment === injected.version)
    ctx.issues.push({ path: "system.versionVar", message: `${injected.version} is also the environmentVar: the two injected vars need two names`, hint: "rename one, or switch one off with false" });
}

function duplicate(e: NamedEntry, before: NamedEntry, name: string, path: string, stack: string): ConfigIssue {
  return {
    path,
    message: `${e.kind === "kv" ? "title" : "name"} "${name}" is also the ${e.kind === "kv" ? "title" : "name"} of ${before.at} on stack ${stack}`,
    hint: "two resources of one kind cannot share a physical name: give one of them another `name` (on this stack through the stack's overrides)",
  };
}

/**
 * Physical names across the stacks of one account. Each stack is validated on its own, so a
 * literal `name` (`ens`, `tldraw-multiplayer`) — or any template without `{stack}` / `{suffix}` —
 * gives the same physical name on every stack. Two stacks in one account then manage one
 * resource: Cloudflare refuses the second D1 database, KV title, queue, bucket or Hyperdrive
 * config of that name, and — worse — a second script or workflow of that name is uploaded over the
 * first stack's (each `up` overwrites the other stack's worker; destroying one stack deletes it).
 *
 * This reads the other stacks' files (`Pulumi.<stack>.yaml` beside Pulumi.yaml) and reports each
 * name this stack would create that another stack of the same account creates too. A stack whose
 * account id is not in its files (a secret, an ESC environment), or whose declaration does not
 * parse, is not compared (its own run reports it). Adopted resources (`imports`) are not compared:
 * adopting is explicit.
 */
import * as fs from "node:fs";
import type { ConfigIssue } from "./errors";
import { deepMerge, isPlainObject } from "./merge";
import { expandName, type NameContext } from "./names";
import type { Plan } from "./plan";
import { stackSchema, systemSchema, type StackConfig, type SystemConfig } from "./schema";
import { absentWorkers } from "./stackPresence";
import { readStackConfig } from "../harness/pulumiConfig";

/** One managed physical name: its kind (as messages say it), the name and where it is declared. */
interface Managed {
  what: string;
  name: string;
  at: string;
}

/** The names this stack's plan creates and manages (not those it adopts). */
export function managedNames(plan: Plan): Managed[] {
  return [
    ...plan.workers.flatMap((w) => [
      { what: "script name", name: w.scriptName, at: `system.workers.${w.key}` },
      ...w.workflows.map((wf) => ({ what: "workflow name", name: wf.name, at: `system.workers.${w.key}.workflows.${wf.key}` })),
    ]),
    ...plan.databases.filter((d) => !d.importId).map((d) => ({ what: "D1 database name", name: d.name, at: `system.databases.${d.key}` })),
    ...plan.kvNamespaces.filter((k) => !k.importId).map((k) => ({ what: "KV namespace title", name: k.title, at: `system.kvNamespaces.${k.key}` })),
    ...plan.queues.filter((q) => !q.importId).map((q) => ({ what: "queue name", name: q.name, at: `system.queues.${q.key}` })),
    ...plan.r2Buckets.filter((b) => !b.adopt).map((b) => ({ what: "R2 bucket name", name: b.name, at: `system.r2Buckets.${b.key}` })),
    ...plan.hyperdrives.filter((h) => !h.importId && h.connectionStringSecret).map((h) => ({ what: "Hyperdrive config name", name: h.name, at: `system.hyperdrives.${h.key}` })),
  ];
}

/** The names another stack creates, from its files (the same rules as the plan's). */
export function managedNamesOf(system: SystemConfig, settings: StackConfig, stack: string): Managed[] {
  const ctx: NameContext = { app: system.app, stack, suffix: settings.suffix ?? `-${stack}` };
  const imports = settings.imports ?? {};
  const adopted = (record: Record<string, unknown> | undefined, key: string) => !!record && Object.hasOwn(record, key);
  const absent = new Set(absentWorkers(system.workers, stack));
  const section = (what: string, name: string, record: Record<string, { name?: string | undefined }> | undefined, skip: (key: string) => boolean) =>
    Object.entries(record ?? {})
      .filter(([key]) => !skip(key))
      .map(([key, item]) => ({ what, name: expandName(item.name, key, ctx), at: `system.${name}.${key}` }));
  return [
    ...Object.entries(system.workers)
      .filter(([key]) => !absent.has(key))
      .flatMap(([key, w]) => [
        { what: "script name", name: expandName(w.name, key, ctx), at: `system.workers.${key}` },
        ...Object.entries(w.workflows ?? {}).map(([wf, d]) => ({ what: "workflow name", name: expandName(d.name, wf, ctx), at: `system.workers.${key}.workflows.${wf}` })),
      ]),
    ...section("D1 database name", "databases", system.databases, (k) => adopted(imports.databases, k)),
    ...section("KV namespace title", "kvNamespaces", system.kvNamespaces, (k) => adopted(imports.kvNamespaces, k)),
    ...section("queue name", "queues", system.queues, (k) => adopted(imports.queues, k)),
    ...section("R2 bucket name", "r2Buckets", system.r2Buckets, (k) => adopted(imports.r2Buckets, k)),
    ...section("Hyperdrive config name", "hyperdrives", system.hyperdrives, (k) => adopted(imports.hyperdrives, k) || !system.hyperdrives?.[k]?.connectionString),
  ];
}

/**
 * The names this stack shares with another stack of the same account (see the file comment).
 * `declaredSystem` is the system given in code (`main({ system })`), used for stacks whose
 * config holds none.
 */
export function crossStackNameIssues(root: string, plan: Plan, declaredSystem?: unknown): ConfigIssue[] {
  let files: string[];
  try {
    files = fs.readdirSync(root);
  } catch {
    return [];
  }
  const others = files
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && s !== plan.stack)
    .sort();
  const mine = managedNames(plan);
  const issues: ConfigIssue[] = [];
  for (const other of others) {
    let theirs: Managed[];
    try {
      const { project, config } = readStackConfig(root, other);
      const read = (key: string): unknown => (config[`${project}:${key}`] === undefined ? undefined : JSON.parse(config[`${project}:${key}`]!));
      if (config[`${project}:accountId`] !== plan.accountId) continue; // another account, or not known from the files
      const rawSettings = read("stack") ?? {};
      const shared = read("system") ?? declaredSystem;
      const merged = isPlainObject(rawSettings) && isPlainObject(rawSettings.overrides) ? deepMerge(shared, rawSettings.overrides) : shared;
      const system = systemSchema.safeParse(merged);
      const settings = stackSchema.safeParse(rawSettings);
      if (!system.success || !settings.success) continue;
      theirs = managedNamesOf(system.data, settings.data, other);
    } catch {
      continue; // a file that does not parse: its own run reports it
    }
    for (const m of mine) {
      const same = theirs.find((t) => t.what === m.what && t.name === m.name);
      if (!same) continue;
      const overwrite = m.what === "script name" || m.what === "workflow name";
      issues.push({
        path: m.at,
        message: `${m.what} "${m.name}" is also the ${same.what} of ${same.at} on stack ${other}, in the same account: ${
          overwrite ? `each stack's up would upload over the other's, and destroying one stack deletes the other's` : `Cloudflare refuses a second one of that name, or both stacks would manage one`
        }`,
        hint: `give it a name per stack: a template with {stack} or {suffix}, or a \`name\` in one stack's overrides (Pulumi.${plan.stack}.yaml or Pulumi.${other}.yaml); to share one resource, adopt it on one stack (imports)`,
        file: "Pulumi.yaml",
      });
    }
  }
  return issues;
}

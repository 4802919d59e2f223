/**
 * What the importer builds for one stack (a whole system as that stack sees it, plus the ids it
 * adopts), what it reports, and which keys of the declaration exist in this version of the
 * schema: a translator whose spec key is not in the schema yet reports "not translated yet"
 * instead of writing a key the program would refuse.
 */
import type { z } from "zod";
import { declaredKinds } from "../../config/bindingKinds";
import { stackSchema, systemSchema } from "../../config/schema";
import { LOGICAL_KEY } from "../../config/fields";

/** One printed line. `untranslated` and `later` mean the import is not exact for that env. */
export interface Line {
  level: "error" | "untranslated" | "later" | "todo" | "note";
  /** The config file as given on the command line ("" for the whole system). */
  file: string;
  /** "" is the top level; undefined: every environment of the file. */
  env?: string;
  /** For a line about some stacks of the written project (file ""): which. */
  stacks?: string[];
  /** The wrangler key, e.g. `d1_databases[0].database_id`. */
  key: string;
  why: string;
}

export type Obj = Record<string, unknown>;

/** The system as one stack sees it, with the collections the configs fill. */
export interface StackSystem {
  [key: string]: unknown;
  databases: Record<string, Obj>;
  kvNamespaces: Record<string, Obj>;
  queues: Record<string, Obj>;
  r2Buckets: Record<string, Obj>;
  hyperdrives: Record<string, Obj>;
  secrets: Record<string, Obj>;
  workers: Record<string, Obj>;
}

export interface StackImports {
  databases: Record<string, string>;
  kvNamespaces: Record<string, string>;
  r2Buckets: Record<string, true>;
  hyperdrives: Record<string, string>;
}

/** Everything one stack of the imported system holds. */
export interface StackBuild {
  stack: string;
  system: StackSystem;
  imports: StackImports;
  /** Ids the configs do not hold, to adopt before the first `up`: what it is, and the command that finds it. */
  find: { what: string; command: string }[];
  /** Config secrets per worker on this stack (for the `pulumi config set --secret` lines). */
  secretNames: Set<string>;
  /** Zones routes and custom domains are on (most used first, for the system `zone`). */
  zones: Map<string, number>;
}

export function newStackBuild(stack: string): StackBuild {
  return {
    stack,
    system: { databases: {}, kvNamespaces: {}, queues: {}, r2Buckets: {}, hyperdrives: {}, secrets: {}, workers: {} },
    imports: { databases: {}, kvNamespaces: {}, r2Buckets: {}, hyperdrives: {} },
    find: [],
    secretNames: new Set(),
    zones: new Map(),
  };
}

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; valueType?: z.ZodType; element?: z.ZodType; in?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** True when `path` (keys; `*` for a record value or list element) exists in `schema`. */
export function schemaHas(schema: z.ZodType, path: string[]): boolean {
  let cur: z.ZodType[] = [schema];
  for (const key of path) {
    const next: z.ZodType[] = [];
    const visit = (s: z.ZodType): void => {
      const d = defOf(s);
      if (d.innerType) return visit(d.innerType);
      if (d.type === "pipe" && d.in) return visit(d.in);
      if (d.type === "union" && d.options) return d.options.forEach(visit);
      if (key === "*" && d.type === "record" && d.valueType) next.push(d.valueType);
      else if (key === "*" && d.type === "array" && d.element) next.push(d.element);
      else if (d.type === "object" && d.shape && Object.hasOwn(d.shape, key)) next.push(d.shape[key]!);
    };
    cur.forEach(visit);
    if (next.length === 0) return false;
    cur = next;
  }
  return true;
}

/**
 * The spec keys (wrangler-prompts spec: names, routing, settings, assets, bindings) the
 * translators need, as paths in the system / stack schema. Checked at run time against the schema
 * this package was built with.
 */
export const has = {
  system: (...path: string[]) => schemaHas(systemSchema, path),
  worker: (...path: string[]) => schemaHas(systemSchema, ["workers", "*", ...path]),
  stack: (...path: string[]) => schemaHas(stackSchema, path),
  binding: (target: string) => declaredKinds().some((k) => k.config.target === target),
};

/** A logical key (`LOGICAL_KEY`) made from any name: lowercase, `-` between words, a letter first, at most 31 characters. */
export function slug(name: string, fallbackPrefix = "x"): string {
  let s = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(s)) s = `${fallbackPrefix}-${s}`.replace(/-+$/, "");
  s = s.slice(0, 31).replace(/-+$/, "");
  return LOGICAL_KEY.test(s) ? s : fallbackPrefix;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Words that name an environment in resource names (`compliance-dev`, `uploads-preview`). */
const ENV_WORDS = ["dev", "development", "prod", "production", "staging", "stg", "stage", "preview", "test", "testing", "canary", "local"];

/**
 * A name with the stack's name and environment words removed as whole `-`/`_`-separated parts
 * (`compliance-staging` → `compliance`): the base of a logical key, so that one resource gets the
 * same key on every stack. Only keys are made from it; physical names are kept exactly.
 */
export function withoutStack(name: string, stack: string): string {
  const words = [stack, ...ENV_WORDS].map(escapeRe).join("|");
  const out = name.replace(new RegExp(`(^|[-_])(${words})(?=$|[-_])`, "gi"), "").replace(/^[-_]+/, "");
  return out || name;
}

/** A physical name as a name template: the stack's name as a whole part becomes `{stack}` (`api-staging` → `api-{stack}`). */
export function nameTemplate(name: string, stack: string): string {
  return name.replace(new RegExp(`(^|-)${escapeRe(stack)}(?=$|-)`, "g"), "$1{stack}");
}

/** Allocates one logical key per physical resource of a kind on a stack, from a preferred base. */
export class Keys {
  private byIdentity = new Map<string, string>();
  private used = new Set<string>();
  key(identity: string, bases: string[]): string {
    const known = this.byIdentity.get(identity);
    if (known) return known;
    let key = bases.map((b) => slug(b)).find((k) => !this.used.has(k));
    for (let i = 2; key === undefined; i++) if (!this.used.has(`${slug(bases[0]!)}-${i}`)) key = `${slug(bases[0]!)}-${i}`;
    this.byIdentity.set(identity, key);
    this.used.add(key);
    return key;
  }
}

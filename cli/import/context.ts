/**
 * What every translator of `workers-stack import` shares: the context of one worker on one stack
 * (what it reads and where it writes), and the helpers that write a key only where this version's
 * schema has it.
 */
import * as path from "node:path";
import { Keys, Line, nameTemplate, Obj, StackBuild } from "./model";
import type { WranglerEnv } from "./wrangler";

/** Everything a translator sees and writes for one worker on one stack. */
export interface Ctx {
  /** The config file as given (for messages). */
  file: string;
  /** "" is the top level. */
  env: string;
  stack: string;
  key: string;
  cfg: WranglerEnv;
  /** The keys written for this environment (the top level's and the env block's). */
  written: Set<string>;
  /** Folder of the config file (wrangler resolves its relative paths against it). */
  configDir: string;
  /** The output folder: paths in the declaration are relative to it. */
  out: string;
  worker: Obj;
  build: StackBuild;
  keys: Record<"databases" | "kvNamespaces" | "queues" | "r2Buckets" | "hyperdrives" | "workflows", Keys>;
  /** The worker key of a script name on this stack, when it is one of the imported workers. */
  workerOfScript(script: string): string | undefined;
  /** Classes each imported worker hosts on this stack (after its migrations). */
  hostedClasses(worker: string): Set<string> | undefined;
  report(level: Line["level"], key: string, why: string): void;
  /** Set by a translator when the worker cannot be declared on this stack at all (it is left out, said why). */
  omit?: string;
}

/** The path of `abs` relative to the output folder, with `/` separators. */
export function rel(ctx: Ctx, abs: string): string {
  const r = path.relative(ctx.out, abs).split(path.sep).join("/");
  return r === "" ? "." : r;
}

export function bindings(ctx: Ctx): Obj {
  return ((ctx.worker.bindings as Obj | undefined) ??= {});
}

/** "not translated yet" when the spec key is missing; true when it can be written. */
export function needs(ctx: Ctx, ok: boolean, key: string, specKey: string): boolean {
  if (!ok) ctx.report("later", key, `not translated yet: needs \`${specKey}\` (being added to workers-stack)`);
  return ok;
}

export const nonEmpty = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** A physical name: a `name` template where the schema has the key; otherwise reported. */
export function setName(ctx: Ctx, target: Obj, name: string, key: string, specKey: string, ok: boolean): void {
  if (needs(ctx, ok, key, specKey)) target.name = nameTemplate(name, ctx.stack);
}


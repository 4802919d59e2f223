/** The naming rules: every physical name and hostname is derived, never typed twice. */

/** `<app>-<key><suffix>`: the name of a script, database, namespace, queue, bucket or workflow. */
export function physicalName(app: string, key: string, suffix: string): string {
  return `${app}-${key}${suffix}`;
}

/**
 * The hostname of a label under the zone: `bot` → `bot<suffix>.<zone>`; `@` (the apex) → the
 * zone itself, or `<suffix without its dash>.<zone>` on a suffixed stack (`staging.example.com`).
 */
export function hostFor(label: string, suffix: string, zone: string): string {
  if (label === "@") return suffix ? `${suffix.replace(/^-/, "")}.${zone}` : zone;
  return `${label}${suffix}.${zone}`;
}

/**
 * A stack name as this program accepts it: letters, digits, `-`, `_` and `.`, not starting with
 * `.` (so never `.`, `..` or a path). It names files (`Pulumi.<stack>.yaml`) and folders
 * (`.workers-stack/local/<stack>`), so it is checked wherever one is taken from a user.
 */
export const STACK_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/;

/** Throws when `stack` is not a stack name (see STACK_NAME), saying what is allowed. */
export function checkStackName(stack: string): string {
  if (!STACK_NAME.test(stack))
    throw Object.assign(
      new Error(`"${stack}" is not a stack name: use letters, digits, '-', '_' and '.' (not first), at most 100 characters, e.g. --stack staging`),
      { exitCode: 2 },
    );
  return stack;
}

/**
 * Physical names as templates. Every named resource (worker, D1 database, KV namespace, queue,
 * R2 bucket, workflow, hyperdrive) may give `name`; without it the name is `{app}-{key}{suffix}`.
 * A name without placeholders is literal (`ens`, `tldraw-multiplayer`).
 */
export const DEFAULT_NAME_TEMPLATE = "{app}-{key}{suffix}";

/** The placeholders a name template may use. */
export const NAME_PLACEHOLDERS = ["app", "key", "stack", "suffix"] as const;
export type NamePlaceholder = (typeof NAME_PLACEHOLDERS)[number];

/** What a template is expanded with on one stack. */
export interface NameContext {
  /** The system's `app`. */
  app: string;
  /** The stack's name, e.g. `staging`. */
  stack: string;
  /** The stack's `suffix` (default `-<stack>`, may be ""). */
  suffix: string;
}

/** Why a template cannot be expanded (an unknown or unclosed placeholder), or undefined. */
export function nameTemplateProblem(template: string): string | undefined {
  const unknown = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!).filter((p) => !(NAME_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length) return `unknown placeholder${unknown.length === 1 ? "" : "s"} ${unknown.map((p) => `{${p}}`).join(", ")}: a name may use ${NAME_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`;
  if (/[{}]/.test(template.replace(/\{(app|key|stack|suffix)\}/g, ""))) return "has an unmatched '{' or '}'";
  return undefined;
}

/** The physical name of `key` on one stack: its template (or the default one) expanded. */
export function expandName(template: string | undefined, key: string, ctx: NameContext): string {
  const values: Record<NamePlaceholder, string> = { app: ctx.app, key, stack: ctx.stack, suffix: ctx.suffix };
  return (template ?? DEFAULT_NAME_TEMPLATE).replace(/\{(app|key|stack|suffix)\}/g, (_, p: NamePlaceholder) => values[p]);
}

/** A resource that may carry a `name` template. */
export interface Named {
  name?: string | undefined;
}

/** The namer of one stack: each kind's key → physical name, from the declaration's templates. */
export function namer(ctx: NameContext): <T extends Named>(key: string, item: T | undefined) => string {
  return (key, item) => expandName(item?.name, key, ctx);
}

/** The vars injected into every worker: their names (or false when switched off). */
export interface InjectedVars {
  environment: string | false;
  version: string | false;
}

/** The injected vars of a system: `environmentVar` / `versionVar`, by default ENVIRONMENT and VERSION. */
export function injectedVars(system: { environmentVar?: string | false | undefined; versionVar?: string | false | undefined }): InjectedVars {
  return { environment: system.environmentVar ?? "ENVIRONMENT", version: system.versionVar ?? "VERSION" };
}

/** The names of the injected vars that are on. */
export function injectedNames(system: { environmentVar?: string | false | undefined; versionVar?: string | false | undefined }): string[] {
  const v = injectedVars(system);
  return [v.environment, v.version].filter((n): n is string => n !== false);
}

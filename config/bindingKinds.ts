/**
 * The binding-kind registry: the table of every kind (one module per kind in config/kinds/) and
 * what the schema, the plan, `Stack`, the validation rules, the local runner, the health check,
 * the graph and the bench ask of it. A planned binding type is exactly a kind of the table, so a
 * switch over `PlannedBinding` is exhaustive by construction.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { type BindingKind, type BindingResolver, type DeclaredBinding, notDeclared, type PlanContext, type ScriptBinding, type TargetContext, type TargetProblem } from "./kinds/contract";
import { KIND_MODULES } from "./kinds";

export type * from "./kinds/contract";
export { MINIFLARE_GROUPS, NOT_EMULATED_ENTRYPOINT, NOT_EMULATED_WORKER } from "./kinds/contract";
export { HYPERDRIVE_LOCAL_ENV } from "./kinds/hyperdrive";

type Modules = typeof KIND_MODULES;
/** The planned form a kind's module declares. */
type PlannedOf<K> = K extends BindingKind<infer P> ? P : never;
/** Every binding a worker's plan holds: the planned forms of all kinds of the table. */
export type PlannedBinding = { [T in keyof Modules]: PlannedOf<Modules[T]> }[keyof Modules];
export type BindingType = PlannedBinding["type"];

/** Each kind by its planned type. */
type KindTable = { [T in BindingType]: BindingKind<Extract<PlannedBinding, { type: T }>> };
/** The registry, assembled from config/kinds/index.ts: each entry keyed by its own type (one filed under another key does not compile). */
export const BINDING_KINDS: KindTable = KIND_MODULES satisfies { [T in keyof Modules]: { type: T } };

/** Every kind, in table order. Read at call time, so a kind added to the table is seen everywhere. */
export function bindingKinds(): BindingKind[] {
  return Object.values(BINDING_KINDS) as BindingKind[];
}

/** The kind of a planned or registered binding type; undefined for a type no kind knows. */
export function kindOf(type: string): BindingKind | undefined {
  return Object.hasOwn(BINDING_KINDS, type) ? (BINDING_KINDS as Record<string, BindingKind>)[type] : undefined;
}

/** The kinds a worker declares under `bindings` (each with its target key). */
export function declaredKinds(): (BindingKind & { config: NonNullable<BindingKind["config"]> })[] {
  return bindingKinds().filter((k): k is BindingKind & { config: NonNullable<BindingKind["config"]> } => k.config !== undefined);
}

/** The kind of a declared binding: the one whose target key is set. */
export function declaredKindOf(declared: DeclaredBinding): (BindingKind & { config: NonNullable<BindingKind["config"]> }) | undefined {
  return declaredKinds().find((k) => declared[k.config.target] !== undefined);
}

/** The `/health` type of a planned or registered binding type. */
export function reportedType(type: string): string | undefined {
  return kindOf(type)?.reported;
}

/**
 * What is wrong with the target of a declared binding, from its kind's entry (its `check`, else its
 * `refers`), or undefined.
 */
export function targetProblem(declared: DeclaredBinding, ctx: TargetContext): TargetProblem | undefined {
  const kind = declaredKindOf(declared);
  const target = kind ? declared[kind.config.target] : undefined;
  if (!kind || target === undefined) return undefined;
  if (kind.config.check) return kind.config.check(declared, ctx);
  const refers = kind.config.refers;
  return refers ? notDeclared(refers.collection, refers.what, String(target), ctx.system) : undefined;
}

/** The planned binding of a declared one. */
export function planBinding(name: string, declared: DeclaredBinding, ctx: PlanContext): PlannedBinding {
  const kind = declaredKindOf(declared);
  if (!kind?.plan) throw new Error(`binding ${name}: no binding kind has one of its keys (${Object.keys(declared).join(", ")})`);
  // (Every kind of the table plans its own form, one of PlannedBinding.)
  return kind.plan(name, declared, ctx) as PlannedBinding;
}

/** The provider binding of a planned one. */
export function providerBinding(p: PlannedBinding, r: BindingResolver): pulumi.Input<ScriptBinding> {
  const kind = kindOf(p.type);
  if (!kind) throw new Error(`binding ${p.name}: unknown binding type ${p.type}`);
  return kind.provider(p, r);
}

/**
 * The zod schema of a declared binding, built from the table: every kind's keys, exactly one target,
 * companions only with their target. Built on each call (schema.ts calls it once).
 */
export function bindingTargetsSchema() {
  const kinds = declaredKinds();
  const shape = Object.assign({}, ...kinds.map((k) => k.config.shape)) as z.ZodRawShape;
  const targets = kinds.map((k) => k.config.target);
  const list = targets.length > 1 ? `${targets.slice(0, -1).join(", ")} or ${targets[targets.length - 1]}` : targets.join("");
  let schema = z.strictObject(shape).refine((b: Record<string, unknown>) => targets.filter((t) => b[t] !== undefined).length === 1, {
    error: `a binding names exactly one target: ${list} (e.g. \`{ d1: main }\`, \`{ ai: true }\`, \`{ rateLimit: { namespaceId: "1001", limit: 100, period: 60 } }\`)`,
  });
  for (const k of kinds)
    for (const c of k.config.companions ?? [])
      schema = schema.refine((b: Record<string, unknown>) => b[c] === undefined || b[k.config.target] !== undefined, { error: `\`${c}\` only goes with \`${k.config.target}\``, path: [c] });
  return schema as unknown as z.ZodType<DeclaredBinding>;
}

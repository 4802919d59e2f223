/**
 * The translators of the other binding kinds (AI, Vectorize, Hyperdrive, rate limits, …, and the
 * `unsafe` rate limits): each a list of `{ <target>: value }` bindings, written where the binding
 * kind exists in this version.
 */
import { bindings, Ctx, needs, nonEmpty } from "./context";
import { has } from "./model";
import { HEX32 } from "./translateStorage";
import type { WranglerEnv } from "./wrangler";

/** A list of bindings of one kind, each `{ <target>: value }`. */
export function simpleBindings<T>(wranglerKey: keyof WranglerEnv & string, target: string, nameOf: (b: T) => string, value: (b: T, ctx: Ctx, at: string) => unknown) {
  return (ctx: Ctx): void => {
    const raw = ctx.cfg[wranglerKey] as T | T[] | undefined;
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    if (!list.length || !needs(ctx, has.binding(target), wranglerKey, `bindings: { ${target}: ... }`)) return;
    list.forEach((b, i) => {
      const v = value(b, ctx, Array.isArray(raw) ? `${wranglerKey}[${i}]` : wranglerKey);
      if (v !== undefined) bindings(ctx)[nameOf(b)] = { [target]: v };
    });
  };
}

export function hyperdriveKey(b: { binding: string; id: string }, ctx: Ctx, at: string): string | undefined {
  if (!has.system("hyperdrives")) return void needs(ctx, false, at, "hyperdrives");
  const key = ctx.keys.hyperdrives.key(`hyperdrive:${b.id}`, [b.binding, `${ctx.key}-${b.binding}`]);
  ctx.build.system.hyperdrives[key] ??= {};
  if (HEX32.test(b.id)) ctx.build.imports.hyperdrives[key] = b.id;
  else ctx.report("untranslated", `${at}.id`, `"${b.id}" is not a Hyperdrive id: not adopted`);
  return key;
}

/**
 * `unsafe.bindings` of type `ratelimit` are what `ratelimits` became (the same binding in the
 * upload): translated as rate limits. Any other unsafe binding or field has no equivalent.
 */
export function translateUnsafe(ctx: Ctx): void {
  const u = ctx.cfg.unsafe as { bindings?: Record<string, unknown>[]; [k: string]: unknown } | undefined;
  if (!u || !nonEmpty(u)) return;
  for (const key of Object.keys(u)) if (key !== "bindings" && nonEmpty(u[key])) ctx.report("untranslated", `unsafe.${key}`, "no equivalent in workers-stack");
  (u.bindings ?? []).forEach((b, i) => {
    const at = `unsafe.bindings[${i}]`;
    const simple = b.simple as { limit?: unknown; period?: unknown } | undefined;
    if (b.type !== "ratelimit" || typeof b.namespace_id !== "string" || !simple) return ctx.report("untranslated", at, `an unsafe binding of type "${String(b.type)}": no equivalent in workers-stack`);
    if (needs(ctx, has.binding("rateLimit"), at, "bindings: { rateLimit: ... }"))
      bindings(ctx)[String(b.name)] = { rateLimit: { namespaceId: b.namespace_id, limit: simple.limit, period: simple.period } };
  });
}


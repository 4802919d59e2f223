/**
 * Factoring per-stack declarations into what every stack shares and what each one changes:
 * `common` picks, key by key, the value most stacks hold (the shared `system` of Pulumi.yaml), and
 * `overridesFor` is the deep-merge patch that turns it into one stack's declaration (objects merge,
 * lists and values replace, `null` deletes — config/merge.ts). `deepMerge(common, overridesFor(common,
 * s))` is exactly `s`, for every stack: the tests check it on every imported system.
 */
import { isPlainObject } from "../../config/merge";

const json = (v: unknown): string => JSON.stringify(v);

/**
 * The value most of `values` hold (undefined = absent), key by key where every present value is an
 * object. Ties go to the earliest stack (the order given, the top-level stack first).
 */
export function common(values: unknown[]): unknown {
  const present = values.filter((v) => v !== undefined);
  if (present.length === 0) return undefined;
  if (present.every(isPlainObject)) {
    // Absent on most stacks: absent in the shared part (the stacks that have it add it).
    if (present.length * 2 < values.length) return undefined;
    const keys = [...new Set(present.flatMap((v) => Object.keys(v)))];
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const v = common(values.map((x) => (isPlainObject(x) ? x[key] : undefined)));
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  const counts = new Map<string, { n: number; first: number; value: unknown }>();
  values.forEach((v, i) => {
    const k = v === undefined ? "\0undefined" : json(v);
    const c = counts.get(k);
    if (c) c.n++;
    else counts.set(k, { n: 1, first: i, value: v });
  });
  return [...counts.values()].sort((a, b) => b.n - a.n || a.first - b.first)[0]!.value;
}

/** The overrides that turn `base` into `target` (undefined when they are equal). */
export function overridesFor(base: unknown, target: unknown): unknown {
  if (json(base) === json(target)) return undefined;
  if (isPlainObject(base) && isPlainObject(target)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(base)) if (!Object.hasOwn(target, key)) out[key] = null;
    for (const [key, value] of Object.entries(target)) {
      const d = Object.hasOwn(base, key) ? overridesFor(base[key], value) : value;
      if (d !== undefined) out[key] = d;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return target;
}

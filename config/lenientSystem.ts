/**
 * The lenient parse of a system: strictly when it is valid, else part by part (and a worker field by
 * field), so that the rules still check every valid part and every problem is reported in one run.
 */
import type { z } from "zod";
import type { ConfigIssue } from "./errors";
import { isPlainObject } from "./merge";
import {
  databaseSchema,
  hyperdriveSchema,
  kvNamespaceSchema,
  queueSchema,
  r2BucketSchema,
  secretSchema,
  type SystemConfig,
  systemSchema,
  type WorkerConfig,
  workerSchema,
} from "./schema";
import type { WorkersPlan } from "./limits";

export type LenientSystem = SystemConfig & {
  invalid: Set<string>;
  /** Workers declared but absent from this stack (`stacks`), by key. @default none */
  absent?: Record<string, WorkerConfig>;
};

/**
 * Parses the system strictly; when that fails, parses each part on its own so the rules
 * can still check the valid parts (and report every problem in one run). Parts that failed are
 * remembered so references to them are not reported a second time as "not declared".
 */
export function parseSystem(raw: unknown, issues: ConfigIssue[]): LenientSystem {
  const full = systemSchema.safeParse(raw);
  if (full.success) return { ...full.data, invalid: new Set() };
  issues.push(...zodIssues(full.error, "system", "Pulumi.yaml", raw));
  const obj = isPlainObject(raw) ? raw : {};
  const invalid = new Set<string>();
  const section = <T>(name: string, schema: z.ZodType<T>, lenient?: z.ZodType<T>): Record<string, T> => {
    const out: Record<string, T> = {};
    const entries = obj[name];
    if (!isPlainObject(entries)) return out;
    for (const [key, value] of Object.entries(entries)) {
      const r = schema.safeParse(value);
      if (r.success) out[key] = r.data;
      else {
        invalid.add(`${name}.${key}`);
        // A part whose only fault is an unknown key (already reported) is still checked.
        const l = lenient?.safeParse(value);
        if (l?.success) out[key] = l.data;
      }
    }
    return out;
  };
  const str = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);
  return {
    app: str(obj.app, "app"),
    ...(typeof obj.zone === "string" ? { zone: obj.zone } : {}),
    ...(Array.isArray(obj.zones) ? { zones: obj.zones.filter((z): z is string => typeof z === "string") } : {}),
    compatibilityDate: systemSchema.shape.compatibilityDate.safeParse(obj.compatibilityDate).success ? (obj.compatibilityDate as string) : "2000-01-01",
    databases: section("databases", databaseSchema),
    kvNamespaces: section("kvNamespaces", kvNamespaceSchema),
    queues: section("queues", queueSchema),
    r2Buckets: section("r2Buckets", r2BucketSchema),
    secrets: section("secrets", secretSchema),
    hyperdrives: section("hyperdrives", hyperdriveSchema),
    workers: lenientWorkers(obj.workers, invalid),
    ...(systemSchema.shape.plan.safeParse(obj.plan).success && obj.plan !== undefined ? { plan: obj.plan as WorkersPlan } : {}),
    ...(systemSchema.shape.environmentVar.safeParse(obj.environmentVar).success && obj.environmentVar !== undefined ? { environmentVar: obj.environmentVar as string | false } : {}),
    ...(systemSchema.shape.versionVar.safeParse(obj.versionVar).success && obj.versionVar !== undefined ? { versionVar: obj.versionVar as string | false } : {}),
    invalid,
  };
}

/**
 * Workers parsed field by field: a worker with a schema error keeps its valid fields, so its
 * entry, bundle, bindings and limits are still checked and all its problems come out together.
 */
function lenientWorkers(entries: unknown, invalid: Set<string>): Record<string, WorkerConfig> {
  const out: Record<string, WorkerConfig> = {};
  if (!isPlainObject(entries)) return out;
  for (const [key, value] of Object.entries(entries)) {
    const strict = workerSchema.safeParse(value);
    if (strict.success) {
      out[key] = strict.data;
      continue;
    }
    invalid.add(`workers.${key}`);
    if (!isPlainObject(value)) continue;
    const fields: Record<string, unknown> = {};
    for (const [field, schema] of Object.entries(workerSchema.shape)) {
      if (!Object.hasOwn(value, field)) continue;
      const r = (schema as z.ZodType).safeParse(value[field]);
      if (r.success && r.data !== undefined) fields[field] = r.data;
      // Remembered, so a rule that depends on the field (the bundle on `build`) does not report a second, derived problem.
      else if (!r.success) invalid.add(`workers.${key}.${field}`);
    }
    Object.defineProperty(out, key, { value: fields as WorkerConfig, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** zod's issues as configuration issues: paths under `root`, unknown keys and unset required keys said plainly, with the file to fix. */
export function zodIssues(error: z.ZodError, root: string, file: string, raw: unknown): ConfigIssue[] {
  const at = (p: PropertyKey[]) => p.reduce<unknown>((v, k) => (isPlainObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined), raw);
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = [root, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        out.push({ path: `${path}.${key}`, message: "unknown key", hint: `remove it or fix its spelling (in ${file}); see README "Configuration" for the keys` });
    } else if (issue.code === "invalid_key") {
      out.push({ path, message: `the key ${issue.issues[0]?.message ?? "is invalid"}` });
    } else if (issue.code === "invalid_type" && at(issue.path) === undefined) {
      out.push({ path, message: `required (${issue.expected}) but not set`, hint: `add it in ${file}` });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}


/** The patterns and zod field schemas shared by the declaration schema and the binding-kind registry. */
import { z } from "zod";

/** Logical keys of databases, namespaces and workers: they become part of Cloudflare names. */
export const LOGICAL_KEY = /^[a-z][a-z0-9-]{0,30}$/;
/** Names a worker sees in `env`: vars, secrets and bindings. */
export const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/**
 * A DNS label below the zone: `bot` becomes `bot<suffix>.<zone>`; `@` is the zone apex (with a
 * suffix `-staging` it becomes `staging.<zone>`).
 */
export const HOST_LABEL = /^(@|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$/;
/** Durable Object and Workflow class names: exported JavaScript classes. */
export const CLASS_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** A cron expression of five fields (Cloudflare cron triggers). */
export const CRON = /^(\S+\s+){4}\S+$/;
export const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const COMPAT_DATE = /^\d{4}-\d{2}-\d{2}$/;

export const logicalKey = z.string().regex(LOGICAL_KEY, {
  error: "must be lowercase letters, digits and '-', starting with a letter (at most 31 characters)",
});
export const bindingName = z.string().regex(BINDING_NAME, {
  error: "must be a JavaScript identifier of letters, digits and '_' (e.g. RATE_LIMIT_KV)",
});
export const compatDate = z.string().regex(COMPAT_DATE, { error: "must be a date YYYY-MM-DD" });
export const className = z.string().regex(CLASS_NAME, { error: "must be the name of an exported class, e.g. UserGraphDO" });
export const hostLabel = z.string().regex(HOST_LABEL, { error: "must be a DNS label such as `bot`, or `@` for the zone apex" });


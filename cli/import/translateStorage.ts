/**
 * The translators of wrangler's storage bindings — D1, KV, R2, queues (producers and consumers) —
 * into the system's collections, the worker's bindings and the stack's adopted ids.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { bindings, Ctx, rel, setName } from "./context";
import { has, Obj, withoutStack } from "./model";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const HEX32 = /^[0-9a-f]{32}$/;

export function translateD1(ctx: Ctx): void {
  (ctx.cfg.d1_databases ?? []).forEach((d, i) => {
    const at = `d1_databases[${i}]`;
    const name = d.database_name;
    if (!name && !d.database_id) return ctx.report("error", at, `binding ${d.binding} names no database (database_name or database_id)`);
    const key = ctx.keys.databases.key(`d1:${d.database_id ?? name}`, [withoutStack(name ?? d.binding, ctx.stack), d.binding, name ?? d.binding]);
    const db = (ctx.build.system.databases[key] ??= {});
    if (name) setName(ctx, db, name, `${at}.database_name`, `databases.${key}.name`, has.system("databases", "*", "name"));
    else ctx.report("untranslated", `${at}.database_name`, "no database_name: the name of the adopted database is not known");
    const dir = path.resolve(ctx.configDir, d.migrations_dir ?? "migrations");
    if (fs.existsSync(dir) && fs.statSync(dir).isDirectory() && fs.readdirSync(dir).some((f) => f.endsWith(".sql"))) {
      const migrations = rel(ctx, dir);
      if (db.migrations !== undefined && db.migrations !== migrations)
        ctx.report("untranslated", `${at}.migrations_dir`, `database ${name} already has migrations ${String(db.migrations)} from another worker; ${migrations} is not used`);
      else db.migrations = migrations;
    }
    if (d.database_id && UUID.test(d.database_id)) ctx.build.imports.databases[key] = d.database_id;
    else if (d.database_id) ctx.report("untranslated", `${at}.database_id`, `"${d.database_id}" is not a D1 database id (a UUID): not adopted`);
    else ctx.report("todo", `${at}.database_id`, `no id: adopt the existing database with imports.databases.${key} (wrangler d1 info ${name})`);
    if (d.preview_database_id) ctx.report("note", `${at}.preview_database_id`, "used by `wrangler dev --remote` only: not translated");
    bindings(ctx)[d.binding] = { d1: key };
  });
}

export function translateKv(ctx: Ctx): void {
  (ctx.cfg.kv_namespaces ?? []).forEach((kv, i) => {
    const at = `kv_namespaces[${i}]`;
    if (!kv.id) return ctx.report("untranslated", at, `binding ${kv.binding} has no id (wrangler would create the namespace): not adopted`);
    const key = ctx.keys.kvNamespaces.key(`kv:${kv.id}`, [kv.binding, `${ctx.key}-${kv.binding}`]);
    ctx.build.system.kvNamespaces[key] ??= {};
    if (!HEX32.test(kv.id)) return ctx.report("untranslated", `${at}.id`, `"${kv.id}" is not a KV namespace id (32 hex characters): not adopted`);
    ctx.build.imports.kvNamespaces[key] = kv.id;
    ctx.build.find.push({ what: `the title of KV namespace ${kv.id} (kvNamespaces.${key}${has.system("kvNamespaces", "*", "name") ? ".name" : ""}; an import with another title shows it as an update)`, command: `wrangler kv namespace list` });
    bindings(ctx)[kv.binding] = { kv: key };
  });
}

export function translateR2(ctx: Ctx): void {
  (ctx.cfg.r2_buckets ?? []).forEach((b, i) => {
    const at = `r2_buckets[${i}]`;
    if (!b.bucket_name) return ctx.report("untranslated", at, `binding ${b.binding} has no bucket_name`);
    const key = ctx.keys.r2Buckets.key(`r2:${b.bucket_name}:${b.jurisdiction ?? ""}`, [withoutStack(b.bucket_name, ctx.stack), b.binding, b.bucket_name]);
    const bucket = (ctx.build.system.r2Buckets[key] ??= {});
    setName(ctx, bucket, b.bucket_name, `${at}.bucket_name`, `r2Buckets.${key}.name`, has.system("r2Buckets", "*", "name"));
    if (b.jurisdiction) bucket.jurisdiction = b.jurisdiction;
    ctx.build.imports.r2Buckets[key] = true;
    bindings(ctx)[b.binding] = { r2: key };
  });
}

/** The queue key of a queue name on this stack (declared once, with its name). */
function queueKey(ctx: Ctx, name: string, at: string): string {
  const key = ctx.keys.queues.key(`queue:${name}`, [withoutStack(name, ctx.stack), name]);
  if (!ctx.build.system.queues[key]) {
    const q: Obj = (ctx.build.system.queues[key] = {});
    setName(ctx, q, name, at, `queues.${key}.name`, has.system("queues", "*", "name"));
    ctx.build.find.push({ what: `the id of queue ${name} (imports.queues.${key})`, command: `wrangler queues info ${name}` });
  }
  return key;
}

export function translateQueues(ctx: Ctx): void {
  (ctx.cfg.queues?.producers ?? []).forEach((p, i) => {
    const at = `queues.producers[${i}]`;
    bindings(ctx)[p.binding] = { queue: queueKey(ctx, p.queue, `${at}.queue`) };
    if (p.delivery_delay) ctx.report("untranslated", `${at}.delivery_delay`, "no equivalent in workers-stack");
  });
  const consumers = (ctx.cfg.queues?.consumers ?? []).map((c, i) => {
    const at = `queues.consumers[${i}]`;
    if (c.type && c.type !== "worker") ctx.report("untranslated", `${at}.type`, `"${c.type}" consumers are not declared by workers-stack`);
    if (c.visibility_timeout_ms !== undefined) ctx.report("untranslated", `${at}.visibility_timeout_ms`, "no equivalent in workers-stack");
    const key = queueKey(ctx, c.queue, `${at}.queue`);
    if (c.dead_letter_queue) {
      const dlq = queueKey(ctx, c.dead_letter_queue, `${at}.dead_letter_queue`);
      const q = ctx.build.system.queues[key]!;
      if (q.deadLetterQueue !== undefined && q.deadLetterQueue !== dlq) ctx.report("untranslated", `${at}.dead_letter_queue`, `queue ${c.queue} already sends to another dead-letter queue`);
      else q.deadLetterQueue = dlq;
    }
    const out: Obj = { queue: key };
    if (c.max_batch_size !== undefined) out.batchSize = c.max_batch_size;
    if (c.max_batch_timeout !== undefined) out.maxWaitTimeMs = Math.round(c.max_batch_timeout * 1000);
    if (c.max_retries !== undefined) out.maxRetries = c.max_retries;
    if (c.retry_delay !== undefined) out.retryDelay = c.retry_delay;
    if (c.max_concurrency !== undefined && c.max_concurrency !== null) out.maxConcurrency = c.max_concurrency;
    return out;
  });
  if (consumers.length) ctx.worker.consumers = consumers;
}


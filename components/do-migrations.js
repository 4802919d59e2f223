#!/usr/bin/env node
// @ts-check
/**
 * Durable Object migrations to send with a script upload, computed as wrangler computes them:
 * read the script's current migration tag on Cloudflare, then send only the declared steps after
 * it (with `oldTag`, so Cloudflare checks the precondition), or nothing when it is current.
 *
 * Run by the `<worker>-do-migrations` command (components/doMigrations.ts) right before the
 * script is uploaded, as `node do-migrations.js '<json>'` with no shell: the JSON holds
 * `{ accountId, scriptName, history }`. Prints the migrations object for the WorkersScript
 * `migrations` input as one JSON line (`null` when nothing is pending). Reads
 * CLOUDFLARE_API_TOKEN, and CLOUDFLARE_API_BASE_URL (https, or http on a loopback address for
 * tests) to reach the API.
 *
 * The pure parts are exported for the program, the local runner and the tests.
 */
"use strict";

/**
 * @typedef {{ from: string, to: string }} Rename
 * @typedef {{ from: string, fromScript: string, to: string }} Transfer
 * @typedef {{ newClasses?: string[], newSqliteClasses?: string[], renamedClasses?: Rename[], deletedClasses?: string[], transferredClasses?: Transfer[] }} MigrationStep
 * @typedef {MigrationStep & { tag: string }} TaggedStep
 * @typedef {{ oldTag?: string, newTag: string, steps: MigrationStep[] }} Migrations
 */

/** Cloudflare's codes for "no such script" on the services endpoint (wrangler treats them so). */
const NOT_FOUND_CODES = [10007, 10090, 10092];

/** The error thrown when the live tag is not in the declared history. */
class UnknownTagError extends Error {}

/**
 * The migrations to upload for a script whose current tag is `currentTag` (undefined or "" when
 * the script does not exist or never had one): every declared step after it, or null.
 * @param {TaggedStep[]} history
 * @param {string | undefined} currentTag
 * @param {string} [scriptName]
 * @returns {Migrations | null}
 */
function pendingMigrations(history, currentTag, scriptName = "the script") {
  if (history.length === 0) return null;
  const last = history[history.length - 1].tag;
  const strip = (/** @type {TaggedStep} */ { tag: _tag, ...step }) => step;
  if (!currentTag) return { newTag: last, steps: history.map(strip) };
  const at = history.findIndex((s) => s.tag === currentTag);
  if (at === -1) {
    // wrangler would replay every step here, re-creating classes that exist: refuse instead.
    throw new UnknownTagError(
      `${scriptName} is at Durable Object migration tag "${currentTag}", which its declared history ` +
        `(${history.map((s) => s.tag).join(", ")}) does not contain. Declare the steps that led to ` +
        `"${currentTag}" (from the wrangler [[migrations]] that deployed it) in durableObjectMigrations, in order.`,
    );
  }
  if (at === history.length - 1) return null;
  return { oldTag: currentTag, newTag: last, steps: history.slice(at + 1).map(strip) };
}

/**
 * The Durable Object classes a script has after `steps`, with their storage: "sqlite", "kv", or
 * "unknown" for a class transferred from another script.
 * @param {MigrationStep[]} steps
 * @returns {Map<string, "sqlite" | "kv" | "unknown">}
 */
function classesAfter(steps) {
  /** @type {Map<string, "sqlite" | "kv" | "unknown">} */
  const classes = new Map();
  for (const s of steps) {
    for (const c of s.newSqliteClasses ?? []) classes.set(c, "sqlite");
    for (const c of s.newClasses ?? []) classes.set(c, "kv");
    for (const r of s.renamedClasses ?? []) {
      const kind = classes.get(r.from) ?? "unknown";
      classes.delete(r.from);
      classes.set(r.to, kind);
    }
    for (const c of s.deletedClasses ?? []) classes.delete(c);
    for (const t of s.transferredClasses ?? []) classes.set(t.to, "unknown");
  }
  return classes;
}

/**
 * Throws unless `base` is https, or http on a loopback address (tests).
 * @param {string} base
 */
function checkApiBase(base) {
  let url;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`CLOUDFLARE_API_BASE_URL "${base}" is not a URL`);
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) || url.hostname.startsWith("127.");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    throw new Error(`CLOUDFLARE_API_BASE_URL must be https (plain http only on a loopback address): "${base}"`);
}

/**
 * The script's current migration tag, read where wrangler and the provider read it
 * (`GET /accounts/:account/workers/services/:script`); undefined when the script does not exist.
 * @param {{ apiBase: string, accountId: string, scriptName: string, token: string }} o
 * @returns {Promise<string | undefined>}
 */
async function readMigrationTag(o) {
  checkApiBase(o.apiBase);
  const url = `${o.apiBase.replace(/\/+$/, "")}/accounts/${encodeURIComponent(o.accountId)}/workers/services/${encodeURIComponent(o.scriptName)}`;
  const res = await fetch(url, { headers: { Authorization: `Bearer ${o.token}` } });
  /** @type {any} */
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const codes = (body?.errors ?? []).map((/** @type {{ code: number }} */ e) => e.code);
  if (res.status === 404 || codes.some((/** @type {number} */ c) => NOT_FOUND_CODES.includes(c))) return undefined;
  if (!res.ok || body?.success === false) {
    const why = (body?.errors ?? []).map((/** @type {{ code: number, message: string }} */ e) => `${e.message} [code: ${e.code}]`).join("; ");
    throw new Error(`reading the migration tag of ${o.scriptName} failed: HTTP ${res.status}${why ? `: ${why}` : ""}`);
  }
  const tag = body?.result?.default_environment?.script?.migration_tag;
  return typeof tag === "string" && tag !== "" ? tag : undefined;
}

/**
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<Migrations | null>}
 */
async function run(argv, env) {
  if (argv.length !== 1) throw new Error("usage: do-migrations.js '<json: { accountId, scriptName, history }>'");
  const args = JSON.parse(argv[0]);
  if (typeof args?.accountId !== "string" || typeof args?.scriptName !== "string" || !Array.isArray(args?.history))
    throw new Error("the argument must be JSON { accountId, scriptName, history }");
  const token = env.CLOUDFLARE_API_TOKEN;
  if (!token) throw new Error("CLOUDFLARE_API_TOKEN is not set: it is needed to read the script's Durable Object migration tag");
  const apiBase = env.CLOUDFLARE_API_BASE_URL || "https://api.cloudflare.com/client/v4";
  const current = await readMigrationTag({ apiBase, accountId: args.accountId, scriptName: args.scriptName, token });
  return pendingMigrations(args.history, current, args.scriptName);
}

module.exports = { pendingMigrations, classesAfter, readMigrationTag, checkApiBase, run, UnknownTagError };

if (require.main === module) {
  run(process.argv.slice(2), process.env).then(
    (m) => process.stdout.write(`${JSON.stringify(m)}\n`),
    (err) => {
      process.stderr.write(`workers-stack: Durable Object migrations: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

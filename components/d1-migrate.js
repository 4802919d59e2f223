#!/usr/bin/env node
// @ts-check
/**
 * Applies a folder of D1 migrations with wrangler's own migration runner, so the history lives in
 * wrangler's `d1_migrations` table and stays compatible with teams coming from `wrangler d1`.
 *
 *   node components/d1-migrate.js --database <name> --id <database-id> --migrations <dir> --remote
 *   node components/d1-migrate.js --database <name> --id <database-id> --migrations <dir> --local [--persist-to <dir>]
 *
 * `pulumi up` runs the --remote form (a command.local.Command per database); the local runner and
 * the tests run the --local form: the same script, the same wrangler, the same files.
 *
 * It writes a throw-away wrangler config naming only this database, so no wrangler.toml is kept
 * anywhere. Before a remote apply it records the D1 Time Travel bookmark and prints the one-line
 * restore command. Output of wrangler is passed through with any credential value masked.
 * Exit code: wrangler's (non-zero when a migration failed; wrangler rolls that file back and
 * stops before the files after it), 2 for bad usage or missing credentials.
 */
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const USAGE =
  "usage: d1-migrate --database <name> --id <database-id> --migrations <dir> (--remote | --local [--persist-to <dir>])";

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, string | true>} */
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a || !a.startsWith("--")) throw new Error(`unexpected argument "${a}"`);
    const key = a.slice(2);
    if (key === "remote" || key === "local") args[key] = true;
    else {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new Error(`--${key} needs a value`);
      args[key] = value;
    }
  }
  for (const key of Object.keys(args))
    if (!["database", "id", "migrations", "remote", "local", "persist-to"].includes(key)) throw new Error(`unknown option --${key}`);
  if (typeof args.database !== "string" || typeof args.id !== "string" || typeof args.migrations !== "string")
    throw new Error("--database, --id and --migrations are required");
  if (Boolean(args.remote) === Boolean(args.local)) throw new Error("give exactly one of --remote and --local");
  if (args.remote && args["persist-to"]) throw new Error("--persist-to only goes with --local");
  // The values go to wrangler as separate arguments (never through a shell); still, each must
  // be what it claims to be, so a crafted value cannot pass for an option or another name.
  // The D1 name rule of config/limits.ts (NAME_RULES.d1): lowercase letters, digits, '-', '_'.
  if (!/^[a-z0-9_][a-z0-9_-]{0,62}$/.test(args.database)) throw new Error(`--database "${args.database}" is not a D1 database name (lowercase letters, digits, '-', '_')`);
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(args.id)) throw new Error(`--id "${args.id}" is not a D1 database id`);
  for (const key of ["migrations", "persist-to"]) {
    const value = args[key];
    if (typeof value === "string" && (value === "" || value.startsWith("-") || /[\0\r\n]/.test(value)))
      throw new Error(`--${key} "${value}" is not a folder path`);
  }
  return {
    database: args.database,
    id: args.id,
    migrations: path.resolve(args.migrations),
    remote: Boolean(args.remote),
    persistTo: typeof args["persist-to"] === "string" ? path.resolve(args["persist-to"]) : undefined,
  };
}

/** Values that must never reach the output: whatever credentials wrangler was given. */
function secretsToMask() {
  return ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY"]
    .map((k) => process.env[k])
    .filter((v) => typeof v === "string" && v.length >= 8);
}

/** @param {string} text */
function mask(text) {
  let out = text;
  for (const s of secretsToMask()) out = out.split(/** @type {string} */ (s)).join("***");
  return out;
}

/**
 * Runs wrangler (the copy installed with this project) and passes its output through, masked.
 * @param {string[]} args
 * @param {{ quiet?: boolean }} [opts]
 */
function wrangler(args, opts = {}) {
  // wrangler's package.json exports only "./package.json" and its API, not the bin file.
  const bin = path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = mask(result.stdout ?? "");
  const stderr = mask(result.stderr ?? "");
  if (!opts.quiet) {
    process.stdout.write(stdout);
    process.stderr.write(stderr);
  }
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout, stderr };
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`d1-migrate: ${e instanceof Error ? e.message : e}\n${USAGE}`);
    return 2;
  }
  if (!fs.existsSync(opts.migrations) || !fs.statSync(opts.migrations).isDirectory()) {
    console.error(`d1-migrate: migrations folder ${opts.migrations} does not exist`);
    return 2;
  }
  if (opts.remote) {
    const missing = ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID"].filter((k) => !process.env[k]);
    if (missing.length) {
      console.error(`d1-migrate: ${missing.join(" and ")} must be set for --remote (the token needs D1 edit permission)`);
      return 2;
    }
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-d1-"));
  try {
    const config = path.join(tmp, "wrangler.json");
    fs.writeFileSync(
      config,
      JSON.stringify(
        {
          name: "workers-stack-d1-migrate",
          compatibility_date: "2025-01-01",
          d1_databases: [{ binding: "DB", database_name: opts.database, database_id: opts.id, migrations_dir: opts.migrations }],
        },
        null,
        2,
      ),
    );

    if (opts.remote) {
      const info = wrangler(["d1", "time-travel", "info", opts.database, "--json", "--config", config], { quiet: true });
      const bookmark = info.status === 0 ? parseBookmark(info.stdout) : undefined;
      if (!bookmark) {
        process.stderr.write(info.stdout + info.stderr);
        console.error(`d1-migrate: could not record a Time Travel bookmark for ${opts.database}; not migrating without a way back`);
        return info.status || 1;
      }
      console.log(`D1 ${opts.database}: Time Travel bookmark before migrating: ${bookmark}`);
      console.log(`To undo this migration run: npx wrangler d1 time-travel restore ${opts.database} --bookmark=${bookmark}`);
      return apply(opts, ["d1", "migrations", "apply", opts.database, "--remote", "--config", config]);
    }

    const local = ["d1", "migrations", "apply", opts.database, "--local", "--config", config];
    if (opts.persistTo) local.push("--persist-to", opts.persistTo);
    return apply(opts, local);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Runs `wrangler d1 migrations apply`. On success its output is passed through; on failure it is
 * replaced by one clean block: the database, the failing file, the SQL error, what was applied
 * and where the database stays (wrangler rolls the failing file back and stops).
 * @param {{ database: string, migrations: string, remote: boolean }} opts
 * @param {string[]} args
 */
function apply(opts, args) {
  const run = wrangler(args, { quiet: true });
  if (run.status === 0) {
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    return 0;
  }
  process.stderr.write(`${failureReport(opts, run.stdout, run.stderr)}\n`);
  return run.status;
}

/** @param {string} text */
function stripAnsi(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}

/**
 * The failure of a migration run as one block, from wrangler's output: its status table (the
 * first file not marked ✅ is the failing one) and its [ERROR] line.
 * @param {{ database: string, migrations: string, remote: boolean }} opts
 * @param {string} stdout
 * @param {string} stderr
 */
function failureReport(opts, stdout, stderr) {
  const out = stripAnsi(stdout);
  const err = stripAnsi(stderr);
  // The last table wrangler prints has a status column: "│ 0001_a.sql │ ✅ │".
  /** @type {{ name: string, ok: boolean }[]} */
  const rows = [];
  for (const line of out.split("\n")) {
    // Any name wrangler applies (config/migrationFiles.ts), spaces included.
    const m = /^│\s*(.+?\.sql)\s*│\s*(.*?)\s*│\s*$/.exec(line);
    if (m) rows.push({ name: /** @type {string} */ (m[1]), ok: /** @type {string} */ (m[2]).includes("✅") });
  }
  const failed = rows.find((r) => !r.ok);
  const applied = rows.filter((r) => r.ok).map((r) => r.name);
  const notApplied = failed ? rows.slice(rows.indexOf(failed) + 1).map((r) => r.name) : [];
  const errors = `${err}\n${out}`
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /\[ERROR\]/.test(l))
    .map((l) => l.replace(/^.*?\[ERROR\]\s*/, ""));
  const where = opts.remote ? "remote" : "local";
  const lines = [`d1-migrate: a migration of D1 ${opts.database} (${where}) failed`];
  if (failed) {
    const rel = path.relative(process.cwd(), path.join(opts.migrations, failed.name));
    lines.push(`  file:    ${rel.startsWith("..") ? path.join(opts.migrations, failed.name) : rel}`);
  }
  lines.push(`  error:   ${errors[0] ?? "wrangler failed without an error line (its output follows)"}`);
  if (failed) {
    lines.push(`  applied in this run: ${applied.join(", ") || "none"}`);
    lines.push(`  not applied: ${[`${failed.name} (rolled back)`, ...notApplied].join(", ")}`);
    lines.push(`  the database stays at ${applied.at(-1) ?? "the migration it had before this run"}; fix ${failed.name} and run again`);
  } else {
    // No status table (e.g. an authentication or network error): the cleaned output is all there is.
    const rest = `${out}\n${err}`
      .split("\n")
      .filter((l) => l.trim() && !/update available|Logs were written|^[─┌└├│]/.test(l))
      .map((l) => `  | ${l}`);
    lines.push(...rest);
  }
  return lines.join("\n");
}

/** @param {string} stdout */
function parseBookmark(stdout) {
  try {
    const start = stdout.indexOf("{");
    const parsed = JSON.parse(stdout.slice(start));
    const value = Array.isArray(parsed) ? parsed[0]?.bookmark : parsed?.bookmark;
    return typeof value === "string" && value ? value : undefined;
  } catch {
    return undefined;
  }
}

if (require.main === module) process.exitCode = main();

module.exports = { parseArgs, parseBookmark, mask, failureReport };

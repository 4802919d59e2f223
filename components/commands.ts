/**
 * The deploy-time commands the program registers, as argument vectors: no value of the
 * declaration ever reaches a shell.
 *
 * `@pulumi/command`'s `local.Command` runs `[...interpreter, create]` directly (exec, no shell);
 * only its default interpreter, `["/bin/sh", "-c"]`, would hand `create` to a shell. So every
 * command here sets `interpreter` to `node <script> <options...>` and `create` / `update` /
 * `delete` to one last argument (`--remote`, `set`, `delete`). The same builders give the local
 * runner and the tests the argv they run, and `parseMigrateCommand` reads a registered command
 * back: one argv builder, one parser.
 */
import * as path from "node:path";

/** The scripts, absolute; commands name them relative to the working directory (`relativeToCwd`). */
export const MIGRATE_SCRIPT = path.join(__dirname, "d1-migrate.js");
export const TELEGRAM_SCRIPT = path.join(__dirname, "telegram-webhook.js");

/** What `components/d1-migrate.js` is told, in either mode. */
export interface MigrateOptions {
  /** Physical D1 name (`<app>-<key><suffix>`). */
  database: string;
  /** The D1 database id. */
  id: string;
  /** Migrations folder, relative to the working directory. */
  migrations: string;
}

/** The `interpreter` of the migration command: `node d1-migrate.js --database … --id … --migrations …`. */
export function migrateInterpreter(o: MigrateOptions): string[] {
  return ["node", relativeToCwd(MIGRATE_SCRIPT), ...migrateOptions(o)];
}

/** The options part of d1-migrate's argv (without the mode). */
export function migrateOptions(o: MigrateOptions): string[] {
  return ["--database", o.database, "--id", o.id, "--migrations", o.migrations];
}

/** The last argument of the registered migration command (`create`): the remote apply. */
export const MIGRATE_REMOTE = "--remote";

/**
 * The argv (after `node`) of a registered migration command with `--remote` swapped for
 * `--local --persist-to <dir>`, or undefined when the command is not ours.
 */
export function parseMigrateCommand(inputs: { interpreter?: unknown; create?: unknown }, persistTo: string): string[] | undefined {
  const argv = inputs.interpreter;
  if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === "string")) return undefined;
  if (argv[0] !== "node" || !argv[1]?.endsWith("d1-migrate.js") || inputs.create !== MIGRATE_REMOTE) return undefined;
  return [...argv.slice(1), "--local", "--persist-to", persistTo];
}

/** The `interpreter` of the Telegram webhook command; `create`/`update` are `set`, `delete` is `delete`. */
export function telegramInterpreter(): string[] {
  return ["node", relativeToCwd(TELEGRAM_SCRIPT)];
}

/**
 * A path relative to the working directory `pulumi up` runs the program in, with `/`: no machine's
 * absolute path ever reaches the state, so another checkout sees no diff.
 */
export function relativeToCwd(abs: string): string {
  const rel = path.relative(process.cwd(), abs) || ".";
  return rel.split(path.sep).join("/");
}

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { accountOf } from "./account";
import { isMigrationFile } from "../config/migrationFiles";
import { MIGRATE_REMOTE, migrateInterpreter, relativeToCwd } from "./commands";
import { statefulOptions } from "./stateful";

export interface DatabaseArgs {
  /** Cloudflare account id. @default the account of the Stack (or component) it is created under */
  accountId?: string;
  /** Physical D1 name, e.g. `tg-main-staging`. */
  name: string;
  /**
   * Migrations folder relative to the project root; each change of its .sql files re-runs
   * `wrangler d1 migrations apply` on `pulumi up`.
   * @default no migrations
   */
  migrationsDir?: string;
  /** Absolute project root, to find `migrationsDir`. */
  projectRoot: string;
  /**
   * Id of an existing database to adopt instead of creating one (`pulumi up` imports it).
   * @default create a new database
   */
  importId?: string;
  /**
   * D1 read replication mode. Sent only when given: without it the database keeps the mode it
   * has on Cloudflare (the provider's `readReplication` is optional and computed, so leaving it
   * out shows no diff and never resets a setting made elsewhere).
   * @default not managed
   */
  readReplication?: "auto" | "disabled";
  /** Protect the database against deletion. @default false */
  protect?: boolean;
  /**
   * API token handed to wrangler for the remote migration. When unset, wrangler reads
   * CLOUDFLARE_API_TOKEN from the environment `pulumi up` runs in.
   * @default the environment's CLOUDFLARE_API_TOKEN
   */
  apiToken?: pulumi.Input<string>;
}

/**
 * A D1 database and its migrations.
 *
 * The migrations run as a `command.local.Command` (nothing runs during preview) whose triggers are
 * the database id and a hash of the migration files: it runs once when the database is created,
 * again whenever a migration file is added or changed, and never otherwise. It runs our
 * `components/d1-migrate.js --remote`, which uses wrangler's own `d1_migrations` history and records
 * a Time Travel bookmark first.
 */
export class Database extends pulumi.ComponentResource {
  /** The D1 database. */
  readonly database: cloudflare.D1Database;
  /** The migrations command, when the database has migrations. Workers that bind the database depend on it. */
  readonly migrations?: command.local.Command;
  /** The database id (what a `d1` binding is given). */
  readonly id: pulumi.Output<string>;
  readonly databaseName: string;
  /** sha256 of the migration files (name and bytes), or undefined without migrations. */
  readonly migrationsHash?: string;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Database", name, {}, opts);
    const accountId = accountOf(this, args.accountId, opts, `Database ${name}`);
    this.databaseName = args.name;

    // Read replication only when declared: sending a fixed mode would undo a dashboard setting.
    this.database = new cloudflare.D1Database(
      name,
      { accountId, name: args.name, ...(args.readReplication ? { readReplication: { mode: args.readReplication } } : {}) },
      statefulOptions(this, accountId, args.protect, args.importId),
    );
    this.id = this.database.id;

    if (args.migrationsDir) {
      const dir = path.resolve(args.projectRoot, args.migrationsDir);
      this.migrationsHash = migrationsHash(dir);
      const migrations = relativeToCwd(dir);
      this.migrations = new command.local.Command(
        `${name}-migrations`,
        {
          // An argument vector, run without a shell: `node d1-migrate.js --database … --remote`.
          interpreter: this.database.id.apply((id) => migrateInterpreter({ database: args.name, id, migrations })),
          create: MIGRATE_REMOTE,
          triggers: [this.database.id, this.migrationsHash],
          environment: {
            CLOUDFLARE_ACCOUNT_ID: accountId,
            ...(args.apiToken ? { CLOUDFLARE_API_TOKEN: pulumi.secret(args.apiToken) } : {}),
          },
        },
        { parent: this, dependsOn: [this.database] },
      );
    }

    this.registerOutputs({ id: this.id, name: args.name, migrationsHash: this.migrationsHash });
  }
}

/** sha256 over every .sql file of a folder: its name and its bytes, in name order. */
export function migrationsHash(dir: string): string {
  const hash = createHash("sha256");
  // The files wrangler applies (dot files are not migrations), in name order.
  for (const file of fs.readdirSync(dir).filter(isMigrationFile).sort()) {
    hash.update(file).update("\0").update(fs.readFileSync(path.join(dir, file))).update("\0");
  }
  return hash.digest("hex");
}

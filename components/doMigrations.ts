/**
 * The Durable Object migrations a script upload carries, computed at `up` time from the script's
 * current tag on Cloudflare (components/do-migrations.js) — never a fixed step re-sent on every
 * upload.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { accountOf } from "./account";
import type { PlannedMigrationStep } from "../config/doMigrations";
import { classesAfter, pendingMigrations, readMigrationTag } from "./do-migrations.js";

export { classesAfter, pendingMigrations };

/** The script the command runs, beside this file. */
export const DO_MIGRATIONS_SCRIPT = path.join(__dirname, "do-migrations.js");

/** What the command is given: one JSON argument, never a shell line. */
export interface DoMigrationsArgs {
  accountId: string;
  scriptName: string;
  history: PlannedMigrationStep[];
}

/** The command's `interpreter` and `create`: `node <script> <json>`, run without a shell. */
export function doMigrationsCommand(args: DoMigrationsArgs): { interpreter: string[]; create: string } {
  return { interpreter: ["node", relativeToCwd(DO_MIGRATIONS_SCRIPT)], create: JSON.stringify(args) };
}

/** The arguments of a registered command built by `doMigrationsCommand`, or undefined for any other command. */
export function readDoMigrationsCommand(inputs: Record<string, unknown>): DoMigrationsArgs | undefined {
  const interpreter = inputs.interpreter;
  if (!Array.isArray(interpreter) || interpreter.length !== 2 || path.posix.basename(String(interpreter[1])) !== path.basename(DO_MIGRATIONS_SCRIPT)) return undefined;
  try {
    return JSON.parse(String(inputs.create)) as DoMigrationsArgs;
  } catch {
    return undefined;
  }
}

export interface DurableObjectMigrationsArgs extends Omit<DoMigrationsArgs, "accountId"> {
  /** Cloudflare account id. @default the account of the Stack (or component) it is created under */
  accountId?: string;
  /**
   * Everything the script upload sends except its migrations. The command runs again exactly
   * when this changes — that is, right before every upload — so the migrations it computes are
   * never stale.
   */
  upload: pulumi.Input<Record<string, unknown>>;
  /** @default the environment's CLOUDFLARE_API_TOKEN */
  apiToken?: pulumi.Input<string>;
  /**
   * Also read the script's migration tag while the program runs and make it part of the trigger.
   * After an `up` that applied a step, the next `up` then runs the command again (one upload
   * without migrations) instead of keeping that step as the script's input, which a later
   * re-upload no declared change causes (a drift repair, `--target`) would send again (10079).
   * `preview` shows the exact steps to send. Without a token or when the read fails, the trigger
   * is the upload's hash alone.
   * @default false
   */
  readLiveTag?: boolean;
}

/**
 * A `command.local.Command` that reads the script's migration tag and prints the steps still to
 * apply; `migrations` is what the WorkersScript sends.
 *
 * Why a command and not `ignoreChanges`: Pulumi re-sends an ignored input's old value on every
 * update, and the provider puts `migrations` into every upload, so a fixed `{ newTag: v1 }` is
 * refused on the second upload ("Migration tag precondition failed", code 10079).
 */
export class DurableObjectMigrations extends pulumi.ComponentResource {
  readonly command: command.local.Command;
  /** The migrations for the next upload, or undefined when the script's tag is current. */
  readonly migrations: pulumi.Output<cloudflare.types.input.WorkersScriptMigrations | undefined>;

  constructor(name: string, args: DurableObjectMigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:DurableObjectMigrations", name, {}, opts);
    const accountId = accountOf(this, args.accountId, opts, `DurableObjectMigrations ${name}`);
    const { interpreter, create } = doMigrationsCommand({ accountId, scriptName: args.scriptName, history: args.history });
    const fingerprint = pulumi.output(args.upload).apply((u) => sha256(stableJson(u)));
    const liveTag = args.readLiveTag ? readLiveTag(args, accountId) : undefined;
    this.command = new command.local.Command(
      name,
      {
        interpreter,
        create,
        // Replaced (so run again) whenever the upload changes — or the live tag, when read; the
        // history is in `create`.
        triggers: liveTag ? [fingerprint, liveTag] : [fingerprint],
        ...(args.apiToken ? { environment: { CLOUDFLARE_API_TOKEN: pulumi.secret(args.apiToken) } } : {}),
      },
      { parent: this },
    );
    this.migrations = this.command.stdout.apply((out) => parseMigrations(out));
    if (pulumi.runtime.isDryRun() && liveTag)
      liveTag.apply((tag) => {
        if (tag === UNREAD) return;
        let said: string;
        try {
          const pending = pendingMigrations(args.history, tag || undefined, args.scriptName);
          said = pending ? `sends ${JSON.stringify(pending)}` : `sends none (the script is at ${tag})`;
        } catch (e) {
          said = `will stop: ${(e as Error).message}`;
        }
        void pulumi.log.info(`Durable Object migrations of ${args.scriptName}: ${said}`, this);
      });
    else if (pulumi.runtime.isDryRun())
      void pulumi.log.info(
        `Durable Object migrations of ${args.scriptName}: computed during \`up\` from the script's current tag on Cloudflare ` +
          `(declared: ${args.history.map((s) => s.tag).join(" → ")}); only the steps after that tag are sent, so the value shows as unknown here`,
        this,
      );
    this.registerOutputs({ migrations: this.migrations });
  }
}

/** The trigger value when the tag could not be read. */
const UNREAD = "(not read)";

/** The script's live migration tag ("" for none), or UNREAD without a token or on an error (said as a warning). */
function readLiveTag(args: DurableObjectMigrationsArgs, accountId: string): pulumi.Output<string> {
  return pulumi.output(args.apiToken ?? process.env.CLOUDFLARE_API_TOKEN ?? "").apply(async (token) => {
    if (!token) return UNREAD;
    const apiBase = process.env.CLOUDFLARE_API_BASE_URL || "https://api.cloudflare.com/client/v4";
    try {
      return (await readMigrationTag({ apiBase, accountId, scriptName: args.scriptName, token })) ?? "";
    } catch (e) {
      void pulumi.log.warn(`Durable Object migrations of ${args.scriptName}: the tag could not be read now (${(e as Error).message}); the command reads it during up`);
      return UNREAD;
    }
  });
}

/** The command's stdout as a WorkersScript `migrations` input. */
export function parseMigrations(stdout: string | undefined): cloudflare.types.input.WorkersScriptMigrations | undefined {
  if (!stdout?.trim()) return undefined;
  const parsed = JSON.parse(stdout) as cloudflare.types.input.WorkersScriptMigrations | null;
  return parsed ?? undefined;
}

/** JSON with object keys sorted, so equal values hash equally. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function relativeToCwd(abs: string): string {
  const rel = path.relative(process.cwd(), abs) || ".";
  return rel.split(path.sep).join("/");
}

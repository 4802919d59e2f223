import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { telegramInterpreter } from "./commands";

export interface TelegramWebhookArgs {
  /** Public URL Telegram posts updates to, e.g. `https://bot-staging.example.com/telegram/webhook`. */
  url: string;
  /** The bot token (a Pulumi secret). */
  botToken: pulumi.Input<string>;
  /** The secret_token Telegram sends back; the very value the worker checks (a Pulumi secret). */
  webhookSecret: pulumi.Input<string>;
  /** @default https://api.telegram.org */
  apiBase?: string;
  /** Update types to receive. @default Telegram's default */
  allowedUpdates?: string[];
  /** @default false */
  dropPendingUpdates?: boolean;
  /** What must exist before the webhook is set: the script, its DNS record and route. */
  dependsOn?: pulumi.Resource[];
}

/**
 * A Telegram bot's webhook as a declared resource: `setWebhook` on create and on any change (a new
 * URL, a rotated webhook secret, a new bot token), `deleteWebhook` when it is removed. Token and
 * secret travel in the command's environment as Pulumi secrets, never on a command line.
 */
export class TelegramWebhook extends pulumi.ComponentResource {
  readonly command: command.local.Command;

  constructor(name: string, args: TelegramWebhookArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:TelegramWebhook", name, {}, opts);
    this.command = new command.local.Command(
      name,
      {
        // `node telegram-webhook.js set|delete`, run without a shell.
        interpreter: telegramInterpreter(),
        create: "set",
        update: "set",
        delete: "delete",
        environment: {
          TELEGRAM_API_BASE: args.apiBase ?? "https://api.telegram.org",
          TELEGRAM_WEBHOOK_URL: args.url,
          TELEGRAM_BOT_TOKEN: pulumi.secret(args.botToken),
          TELEGRAM_WEBHOOK_SECRET: pulumi.secret(args.webhookSecret),
          ...(args.allowedUpdates ? { TELEGRAM_ALLOWED_UPDATES: JSON.stringify(args.allowedUpdates) } : {}),
          ...(args.dropPendingUpdates ? { TELEGRAM_DROP_PENDING_UPDATES: "true" } : {}),
        },
      },
      { parent: this, dependsOn: args.dependsOn ?? [], additionalSecretOutputs: ["stdout", "stderr"] },
    );
    this.registerOutputs({ url: args.url });
  }
}

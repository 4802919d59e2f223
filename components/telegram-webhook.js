#!/usr/bin/env node
// @ts-check
/**
 * Registers or removes a Telegram bot's webhook: what `pulumi up` runs for a worker that declares
 * `telegram:` (a command.local.Command per bot), so the webhook URL and its secret_token are always
 * the ones the worker was deployed with.
 *
 *   node components/telegram-webhook.js set      # setWebhook(url, secret_token, allowed_updates)
 *   node components/telegram-webhook.js delete   # deleteWebhook
 *
 * Everything comes from the environment, never from arguments (they would show in `ps` and logs):
 *   TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET (set only), TELEGRAM_WEBHOOK_URL (set only),
 *   TELEGRAM_API_BASE (default https://api.telegram.org), TELEGRAM_ALLOWED_UPDATES (JSON list,
 *   optional), TELEGRAM_DROP_PENDING_UPDATES ("true"/"false", optional).
 * Prints one line, never a token or secret. Exit 1 when Telegram says no, 2 on bad usage.
 */

/** @param {string} name */
function need(name) {
  const v = process.env[name];
  if (!v) throw Object.assign(new Error(`${name} is not set`), { exitCode: 2 });
  return v;
}

/**
 * @param {string} method
 * @param {Record<string, unknown>} body
 */
async function call(method, body) {
  const base = (process.env.TELEGRAM_API_BASE || "https://api.telegram.org").replace(/\/$/, "");
  // The token travels in the URL path: https only (plain http to a loopback fake in tests).
  const u = new URL(base);
  if (!(u.protocol === "https:" || (u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname))))
    throw Object.assign(new Error(`TELEGRAM_API_BASE ${u.protocol}//${u.host} is refused: the bot token may only be sent over https (plain http only to a loopback address)`), { exitCode: 2 });
  const token = need("TELEGRAM_BOT_TOKEN");
  let res;
  try {
    res = await fetch(`${base}/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  } catch (e) {
    throw new Error(`${method}: could not reach ${base}: ${e instanceof Error ? e.message : e}`);
  }
  /** @type {{ ok?: boolean, description?: string }} */
  let answer = {};
  try {
    answer = /** @type {{ ok?: boolean, description?: string }} */ (await res.json());
  } catch {
    /* not JSON */
  }
  if (!res.ok || !answer.ok) throw new Error(`${method}: Telegram answered ${res.status}${answer.description ? `: ${answer.description}` : ""}`);
  return answer;
}

/** @param {string[]} argv */
async function main(argv) {
  const action = argv[0];
  if (action === "set") {
    const url = need("TELEGRAM_WEBHOOK_URL");
    /** @type {Record<string, unknown>} */
    const body = { url, secret_token: need("TELEGRAM_WEBHOOK_SECRET") };
    if (process.env.TELEGRAM_ALLOWED_UPDATES) body.allowed_updates = JSON.parse(process.env.TELEGRAM_ALLOWED_UPDATES);
    if (process.env.TELEGRAM_DROP_PENDING_UPDATES === "true") body.drop_pending_updates = true;
    await call("setWebhook", body);
    console.log(`telegram: webhook set to ${url}`);
  } else if (action === "delete") {
    await call("deleteWebhook", {});
    console.log("telegram: webhook deleted");
  } else {
    throw Object.assign(new Error("usage: telegram-webhook.js set|delete"), { exitCode: 2 });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((/** @type {Error & { exitCode?: number }} */ e) => {
    const token = process.env.TELEGRAM_BOT_TOKEN;
    const message = token ? e.message.split(token).join("***") : e.message;
    console.error(`telegram-webhook: ${message}`);
    process.exitCode = e.exitCode ?? 1;
  });
}

module.exports = { main };

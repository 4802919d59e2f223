/**
 * The Telegram bot of the reference stack (seed 000, tg-responcer), reduced to what exercises
 * every binding it declares:
 * - POST /telegram/webhook: checks X-Telegram-Bot-Api-Secret-Token, rate-limits per chat in KV,
 *   upserts the user and stores the message in D1, answers through the webhook response;
 * - GET /admin/envz (Bearer ADMIN_TOKEN): OK/missing for each OPENAI_* var and secret, DB and
 *   RATE_LIMIT_KV — the post-deploy audit of seed 000;
 * - GET /health: the uniform health contract.
 */
import { BaseEnv, type BindingKind, checkBinding, fail, health, isAdmin, ok, safeEqual } from "../shared/http";
import { BINDINGS, type Env } from "./env.generated";

export type { Env };

/** The bindings /health checks: every one the declaration gives this worker (generated). */
const NEEDS: Record<string, BindingKind> = BINDINGS;

interface TelegramUpdate {
  update_id?: number;
  message?: {
    text?: string;
    chat?: { id?: number };
    from?: { id?: number; username?: string; first_name?: string };
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("bot", env as unknown as BaseEnv & Record<string, unknown>, NEEDS);
    if (url.pathname === "/telegram/webhook" && request.method === "POST") return webhook(request, env);
    if (url.pathname === "/admin/envz" && request.method === "GET") return envz(request, env);
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

async function webhook(request: Request, env: Env): Promise<Response> {
  const given = request.headers.get("x-telegram-bot-api-secret-token") ?? "";
  if (!env.TELEGRAM_WEBHOOK_SECRET || !(await safeEqual(given, env.TELEGRAM_WEBHOOK_SECRET))) return fail(401, "bad webhook secret");

  let update: TelegramUpdate;
  try {
    update = (await request.json()) as TelegramUpdate;
  } catch {
    return fail(400, "body is not JSON");
  }
  const message = update.message;
  const chatId = message?.chat?.id;
  const userId = message?.from?.id;
  if (typeof chatId !== "number" || typeof userId !== "number" || typeof message?.text !== "string") return ok({ ignored: true });

  // Fixed one-minute windows per chat. KV is eventually consistent across locations; for a
  // per-chat flood guard that is enough.
  const limit = Number(env.RATE_LIMIT_PER_MINUTE ?? "20") || 20;
  const windowKey = `rl:${chatId}:${Math.floor(Date.now() / 60_000)}`;
  const count = Number((await env.RATE_LIMIT_KV.get(windowKey)) ?? "0");
  if (count >= limit) return fail(429, "rate limit exceeded");
  await env.RATE_LIMIT_KV.put(windowKey, String(count + 1), { expirationTtl: 120 });

  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO users (id, chat_id, username, first_name) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT(id) DO UPDATE SET chat_id = excluded.chat_id, username = excluded.username,
         first_name = excluded.first_name, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    ).bind(userId, chatId, message.from?.username ?? null, message.from?.first_name ?? null),
    env.DB.prepare("INSERT INTO messages (user_id, chat_id, role, content) VALUES (?1, ?2, 'user', ?3)").bind(userId, chatId, message.text),
  ]);

  // Telegram accepts a method call as the webhook response: no outbound request needed.
  return Response.json({ method: "sendMessage", chat_id: chatId, text: `(${env.OPENAI_MODEL}) received` });
}

async function envz(request: Request, env: Env): Promise<Response> {
  if (!(await isAdmin(request, env.ADMIN_TOKEN))) return fail(401, "admin token required");
  const report: Record<string, "OK" | "missing" | "error"> = {};
  for (const name of ["OPENAI_API_KEY", "OPENAI_MODEL", "OPENAI_PROMPT_ID", "OPENAI_PROMPT_VARIABLES", "DB", "RATE_LIMIT_KV"]) {
    const check = await checkBinding(env as unknown as Record<string, unknown>, name, NEEDS[name]!);
    report[name] = check.ok ? "OK" : check.present ? "error" : "missing";
  }
  return ok({ environment: env.ENVIRONMENT, version: env.VERSION, checks: report });
}

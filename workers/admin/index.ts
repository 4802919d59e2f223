/**
 * Read-only admin over the bot's database, behind the same ADMIN_TOKEN as the bot:
 * - GET /admin/conversations[?chat_id=N&limit=N]: users with their latest messages;
 * - GET /health: the uniform health contract.
 */
import { BaseEnv, type BindingKind, fail, health, isAdmin, ok } from "../shared/http";
import { BINDINGS, type Env } from "./env.generated";

export type { Env };

/** The bindings /health checks: every one the declaration gives this worker (generated). */
const NEEDS: Record<string, BindingKind> = BINDINGS;

interface MessageRow {
  user_id: number;
  chat_id: number;
  username: string | null;
  first_name: string | null;
  role: string;
  content: string;
  created_at: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("admin", env as unknown as BaseEnv & Record<string, unknown>, NEEDS);
    if (url.pathname === "/admin/conversations" && request.method === "GET") {
      if (!(await isAdmin(request, env.ADMIN_TOKEN))) return fail(401, "admin token required");
      const limit = Math.min(Math.max(Number(url.searchParams.get("limit") ?? "50") || 50, 1), 500);
      const chat = url.searchParams.get("chat_id");
      const where = chat === null ? "" : "WHERE m.chat_id = ?2";
      const stmt = env.DB.prepare(
        `SELECT m.user_id, m.chat_id, u.username, u.first_name, m.role, m.content, m.created_at
         FROM messages m JOIN users u ON u.id = m.user_id ${where}
         ORDER BY m.chat_id, m.created_at DESC, m.id DESC LIMIT ?1`,
      );
      const { results } = await (chat === null ? stmt.bind(limit) : stmt.bind(limit, Number(chat))).all<MessageRow>();
      const conversations = new Map<number, { chat_id: number; user: { id: number; username: string | null; first_name: string | null }; messages: { role: string; content: string; created_at: string }[] }>();
      for (const row of results) {
        let c = conversations.get(row.chat_id);
        if (!c) conversations.set(row.chat_id, (c = { chat_id: row.chat_id, user: { id: row.user_id, username: row.username, first_name: row.first_name }, messages: [] }));
        c.messages.push({ role: row.role, content: row.content, created_at: row.created_at });
      }
      return ok({ conversations: [...conversations.values()] });
    }
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

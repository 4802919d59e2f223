/** api: sample worker of the tminus example; /health checks every binding it declares. */
import { DurableObject } from "cloudflare:workers";
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
  DB: "d1",
  SESSIONS: "kv",
  USER_GRAPH: "do",
  ACCOUNT: "do",
  SYNC_QUEUE: "queue",
  WRITE_QUEUE: "queue",
  PUSH_QUEUE: "queue",
  ARTIFACTS: "r2",
  JWT_SECRET: "secret",
  MASTER_KEY: "secret",
  GOOGLE_CLIENT_ID: "secret",
  GOOGLE_CLIENT_SECRET: "secret",
  MS_CLIENT_ID: "secret",
  MS_CLIENT_SECRET: "secret",
};

type Env = BaseEnv & Record<string, unknown>;

/** Durable Object hosted by this worker (a SQLite-backed class). */
export class UserGraphDO extends DurableObject<Env> {
  override async fetch(): Promise<Response> {
    const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return Response.json({ class: "UserGraphDO", n });
  }
}

/** Durable Object hosted by this worker (a SQLite-backed class). */
export class AccountDO extends DurableObject<Env> {
  override async fetch(): Promise<Response> {
    const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return Response.json({ class: "AccountDO", n });
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("api", env, NEEDS);
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

/** api: sample worker of the tminus example; /health checks every binding it declares. */
import { DurableObject } from "cloudflare:workers";
import type { BindingKind } from "../../../../workers/shared/http";
import { type SampleEnv, sampleWorker } from "../../../../workers/shared/sample";

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

/** Durable Object hosted by this worker (SQLite-backed). */
export class UserGraphDO extends DurableObject<SampleEnv> {
  override async fetch(): Promise<Response> {
    const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return Response.json({ class: "UserGraphDO", n });
  }
}

/** Durable Object hosted by this worker (SQLite-backed). */
export class AccountDO extends DurableObject<SampleEnv> {
  override async fetch(): Promise<Response> {
    const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return Response.json({ class: "AccountDO", n });
  }
}

export default sampleWorker("api", NEEDS);

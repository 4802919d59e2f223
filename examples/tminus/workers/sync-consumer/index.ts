/** sync-consumer: sample worker of the tminus example; /health checks every binding it declares. */
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
  DB: "d1",
  USER_GRAPH: "do",
  ACCOUNT: "do",
  WRITE_QUEUE: "queue",
};

type Env = BaseEnv & Record<string, unknown>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("sync-consumer", env, NEEDS);
    return fail(404, "not found");
  },
  async queue(batch: MessageBatch<unknown>): Promise<void> {
    for (const message of batch.messages) message.ack();
  },
} satisfies ExportedHandler<Env>;

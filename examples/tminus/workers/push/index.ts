/** push: sample worker of the tminus example; /health checks every binding it declares. */
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
  USER_GRAPH: "do",
};

type Env = BaseEnv & Record<string, unknown>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("push", env, NEEDS);
    return fail(404, "not found");
  },
  async queue(batch: MessageBatch<unknown>): Promise<void> {
    for (const message of batch.messages) message.ack();
  },
} satisfies ExportedHandler<Env>;

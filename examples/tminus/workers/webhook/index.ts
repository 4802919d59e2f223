/** webhook: sample worker of the tminus example; /health checks every binding it declares. */
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
  SYNC_QUEUE: "queue",
};

type Env = BaseEnv & Record<string, unknown>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("webhook", env, NEEDS);
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

/** token: sample worker of the six-services example; /health checks every binding it declares. */
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
};

type Env = BaseEnv & Record<string, unknown>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if ((url.pathname === "/health" || url.pathname === "/version") && request.method === "GET") return health("token", env, NEEDS, true);
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

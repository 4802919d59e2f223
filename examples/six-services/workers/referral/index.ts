/** referral: sample worker of the six-services example; /health checks every binding it declares. */
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
  SERVICE_JWT_SECRET: "secret",
  DATABASE_URL: "secret",
};

type Env = BaseEnv & Record<string, unknown>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if ((url.pathname === "/health" || url.pathname === "/version") && request.method === "GET") return health("referral", env, NEEDS, true);
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

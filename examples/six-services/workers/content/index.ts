/** content: sample worker of the six-services example; /health checks every binding it declares. */
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
  POINTS_SERVICE: "service",
  SERVICE_JWT_SECRET: "secret",
  DATABASE_URL: "secret",
};

type Env = BaseEnv & Record<string, unknown>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if ((url.pathname === "/health" || url.pathname === "/version") && request.method === "GET") return health("content", env, NEEDS, true);
    // Every service this worker binds, asked for its /health through the binding itself.
    if (url.pathname === "/_services" && request.method === "GET") {
      const names = ["POINTS_SERVICE"];
      const answers = await Promise.all(names.map(async (n) => [n, (await (env[n] as Fetcher).fetch("https://internal/health")).status] as const));
      return Response.json(Object.fromEntries(answers));
    }
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

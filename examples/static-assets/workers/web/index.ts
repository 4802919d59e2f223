/**
 * web: the API half of a single-page app. `runWorkerFirst` sends /api/* and /health here; every
 * other path is served from public/web by Cloudflare (or falls back to index.html) without
 * running this code. /api/home reads a file through the ASSETS binding.
 */
import { BINDINGS } from "./env.generated";
import type { Env } from "./env.generated";
import { fail, health } from "../../../../workers/shared/http";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("web", env as unknown as Record<string, unknown>, BINDINGS, false);
    if (url.pathname === "/api/home") {
      const page = await env.ASSETS.fetch(new URL("/index.html", url));
      return Response.json({ from: "worker", api: env.API_NAME, indexStatus: page.status, indexBytes: (await page.text()).length });
    }
    if (url.pathname.startsWith("/api/")) return Response.json({ from: "worker", api: env.API_NAME, path: url.pathname });
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

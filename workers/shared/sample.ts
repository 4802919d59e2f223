/**
 * The sample workers of the example projects: one handler that answers `/health` for the bindings
 * a worker declares, asks each service it binds for its `/health` at `/_services`, acks queue
 * batches, and starts its workflow on a cron. The examples' workers differ only in what they bind.
 */
import { BaseEnv, BindingKind, fail, health } from "./http";

export type SampleEnv = BaseEnv & Record<string, unknown>;

export interface SampleOptions {
  /** Also answer seed 003's flat `/health` (and `/version`), always 200. @default false */
  uniform?: boolean;
}

export function sampleWorker(service: string, needs: Record<string, BindingKind>, opts: SampleOptions = {}): ExportedHandler<SampleEnv> {
  const services = Object.keys(needs).filter((n) => needs[n] === "service");
  const workflow = Object.keys(needs).find((n) => needs[n] === "workflow");
  return {
    async fetch(request, env) {
      const url = new URL(request.url);
      const isHealth = url.pathname === "/health" || (opts.uniform === true && url.pathname === "/version");
      if (isHealth && request.method === "GET") return health(service, env, needs, opts.uniform ?? false);
      // Every service this worker binds, asked for its /health through the binding itself.
      if (url.pathname === "/_services" && request.method === "GET" && services.length) {
        const answers = await Promise.all(services.map(async (n) => [n, (await (env[n] as Fetcher).fetch("https://internal/health")).status] as const));
        return Response.json(Object.fromEntries(answers));
      }
      return fail(404, "not found");
    },
    async queue(batch) {
      for (const message of batch.messages) message.ack();
    },
    async scheduled(_controller, env) {
      if (workflow) await (env[workflow] as Workflow).create({ params: { id: `cron-${Date.now()}` } });
    },
  };
}

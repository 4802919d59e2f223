/** cron: sample worker of the tminus example; /health checks every binding it declares. */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
  DB: "d1",
  USER_GRAPH: "do",
  RECONCILE: "workflow",
  SYNC_QUEUE: "queue",
};

type Env = BaseEnv & Record<string, unknown>;

/** Workflow `reconcile` hosted by this worker. */
export class ReconcileWorkflow extends WorkflowEntrypoint<Env, { id: string }> {
  override async run(event: WorkflowEvent<{ id: string }>, step: WorkflowStep): Promise<string> {
    return step.do("start", async () => `started ${event.payload.id}`);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("cron", env, NEEDS);
    return fail(404, "not found");
  },
  async scheduled(_controller: ScheduledController, env: Env): Promise<void> {
    await (env.RECONCILE as Workflow).create({ params: { id: `cron-${Date.now()}` } });
  },
} satisfies ExportedHandler<Env>;

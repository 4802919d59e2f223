/** oauth: sample worker of the tminus example; /health checks every binding it declares. */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { BaseEnv, BindingKind, fail, health } from "../../../../workers/shared/http";

const NEEDS: Record<string, BindingKind> = {
  DB: "d1",
  SESSIONS: "kv",
  ACCOUNT: "do",
  ONBOARDING: "workflow",
  JWT_SECRET: "secret",
  MASTER_KEY: "secret",
  GOOGLE_CLIENT_ID: "secret",
  GOOGLE_CLIENT_SECRET: "secret",
  MS_CLIENT_ID: "secret",
  MS_CLIENT_SECRET: "secret",
};

type Env = BaseEnv & Record<string, unknown>;

/** Workflow `onboarding` hosted by this worker. */
export class OnboardingWorkflow extends WorkflowEntrypoint<Env, { id: string }> {
  override async run(event: WorkflowEvent<{ id: string }>, step: WorkflowStep): Promise<string> {
    return step.do("start", async () => `started ${event.payload.id}`);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health" && request.method === "GET") return health("oauth", env, NEEDS);
    return fail(404, "not found");
  },
} satisfies ExportedHandler<Env>;

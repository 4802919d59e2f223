/** oauth: sample worker of the tminus example; /health checks every binding it declares. */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { BindingKind } from "../../../../workers/shared/http";
import { type SampleEnv, sampleWorker } from "../../../../workers/shared/sample";

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

/** Workflow `onboarding` hosted by this worker. */
export class OnboardingWorkflow extends WorkflowEntrypoint<SampleEnv, { id: string }> {
  override async run(event: WorkflowEvent<{ id: string }>, step: WorkflowStep): Promise<string> {
    return step.do("start", async () => `started ${event.payload.id}`);
  }
}

export default sampleWorker("oauth", NEEDS);

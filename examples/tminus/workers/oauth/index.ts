/** oauth: sample worker of the tminus example; /health checks every binding it declares. */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { BINDINGS, type Env } from "./env.generated";
import { sampleWorker } from "../../../../workers/shared/sample";

/** The bindings /health checks: every one the declaration gives this worker (generated). */
const NEEDS = BINDINGS;

/** Workflow `onboarding` hosted by this worker. */
export class OnboardingWorkflow extends WorkflowEntrypoint<Env, { id: string }> {
  override async run(event: WorkflowEvent<{ id: string }>, step: WorkflowStep): Promise<string> {
    return step.do("start", async () => `started ${event.payload.id}`);
  }
}

export default sampleWorker("oauth", NEEDS);

/** cron: sample worker of the tminus example; /health checks every binding it declares. */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { BindingKind } from "../../../../workers/shared/http";
import { type SampleEnv, sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  DB: "d1",
  USER_GRAPH: "do",
  RECONCILE: "workflow",
  SYNC_QUEUE: "queue",
};

/** Workflow `reconcile` hosted by this worker. */
export class ReconcileWorkflow extends WorkflowEntrypoint<SampleEnv, { id: string }> {
  override async run(event: WorkflowEvent<{ id: string }>, step: WorkflowStep): Promise<string> {
    return step.do("start", async () => `started ${event.payload.id}`);
  }
}

export default sampleWorker("cron", NEEDS);

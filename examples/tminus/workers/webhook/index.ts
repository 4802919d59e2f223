/** webhook: sample worker of the tminus example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  SYNC_QUEUE: "queue",
};

export default sampleWorker("webhook", NEEDS);

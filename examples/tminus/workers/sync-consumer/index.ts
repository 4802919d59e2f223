/** sync-consumer: sample worker of the tminus example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  DB: "d1",
  USER_GRAPH: "do",
  ACCOUNT: "do",
  WRITE_QUEUE: "queue",
};

export default sampleWorker("sync-consumer", NEEDS);

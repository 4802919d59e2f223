/** push: sample worker of the tminus example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  USER_GRAPH: "do",
};

export default sampleWorker("push", NEEDS);

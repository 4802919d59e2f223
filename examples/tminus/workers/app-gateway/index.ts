/** app-gateway: sample worker of the tminus example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  API: "service",
};

export default sampleWorker("app-gateway", NEEDS);

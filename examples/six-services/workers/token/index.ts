/** token: sample worker of the six-services example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
};

export default sampleWorker("token", NEEDS, { uniform: true });

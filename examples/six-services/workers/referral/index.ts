/** referral: sample worker of the six-services example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  SERVICE_JWT_SECRET: "secret",
  DATABASE_URL: "secret",
};

export default sampleWorker("referral", NEEDS, { uniform: true });

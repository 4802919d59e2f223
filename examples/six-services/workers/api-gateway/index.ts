/** api-gateway: sample worker of the six-services example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  AUTH_SERVICE: "service",
  CONTENT_SERVICE: "service",
  REFERRAL_SERVICE: "service",
  POINTS_SERVICE: "service",
  SERVICE_JWT_SECRET: "secret",
  CLERK_JWT_SECRET: "secret",
};

export default sampleWorker("api-gateway", NEEDS, { uniform: true });

/** auth: sample worker of the six-services example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  POINTS_SERVICE: "service",
  REFERRAL_SERVICE: "service",
  SERVICE_JWT_SECRET: "secret",
  CLERK_WEBHOOK_SECRET: "secret",
  DATABASE_URL: "secret",
};

export default sampleWorker("auth", NEEDS, { uniform: true });

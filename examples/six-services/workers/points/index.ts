/** points: sample worker of the six-services example; /health checks every binding it declares. */
import type { BindingKind } from "../../../../workers/shared/http";
import { sampleWorker } from "../../../../workers/shared/sample";

const NEEDS: Record<string, BindingKind> = {
  SERVICE_JWT_SECRET: "secret",
  DATABASE_URL: "secret",
  POINTS_VELOCITY_CAP: "var",
  POINTS_VELOCITY_WINDOW_SECONDS: "var",
};

export default sampleWorker("points", NEEDS, { uniform: true });

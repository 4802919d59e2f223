/**
 * The binding types a worker's `/health` reports: shared by the kind registry
 * (config/kinds/) and the workers (workers/shared/http.ts), with no imports so both
 * TypeScript projects can read it.
 */
export const REPORTED_TYPES = ["var", "json", "secret", "d1", "kv", "service", "queue", "r2", "do", "workflow",
  "ai", "browser", "version", "analytics", "vectorize", "hyperdrive", "email", "ratelimit", "mtls", "dispatch", "aiSearch", "artifacts",
  "assets"] as const;
export type ReportedType = (typeof REPORTED_TYPES)[number];

/**
 * The `workers-stack` package: what `require("workers-stack")` gives.
 *
 * - `main()`: the whole program. A project's `index.ts` is `export = main();` — the system is read
 *   from `<project>:system` in Pulumi.yaml and `<project>:stack` in Pulumi.<stack>.yaml — or
 *   `export = main({ system: { ... } })` to declare it from a typed object instead.
 * - The components, for your own Pulumi TypeScript: `Stack` (a whole system from a plan), and the
 *   parts it is made of (`Worker`, `Database`, `KvNamespace`, `Queue`, `R2Bucket`, `Hostname`,
 *   `CustomDomain`, `Route`, `StackSecrets`, `TelegramWebhook`, `DurableObjectMigrations`).
 * - The checks and the plan (`validate`, `buildPlan`, the zod schemas), the mock evaluation that
 *   tests use (`evaluateStack`), and the local runner (`startLocal`).
 *
 * Importing it declares nothing: only `main()` (or a component you construct) does. It does check
 * the Node version (package.json `engines`), as the program's first step under `pulumi`.
 */
import "./node-version";

export { main } from "./program";
export type { Declared, SystemDeclaration, StackDeclaration } from "./program";

export { Stack } from "./components/stack";
export type { StackArgs, StackOutputs } from "./components/stack";
export { Worker } from "./components/worker";
export type { WorkerArgs, WorkerSettings, ScriptBinding } from "./components/worker";
export { Database, migrationsHash } from "./components/database";
export type { DatabaseArgs } from "./components/database";
export { KvNamespace } from "./components/kvNamespace";
export type { KvNamespaceArgs } from "./components/kvNamespace";
export { Queue } from "./components/queue";
export type { QueueArgs } from "./components/queue";
export { R2Bucket } from "./components/r2Bucket";
export type { R2BucketArgs } from "./components/r2Bucket";
export { Hostname, CustomDomain, Route } from "./components/hostname";
export type { HostnameArgs, CustomDomainArgs, RouteArgs } from "./components/hostname";
export { StackSecrets } from "./components/stackSecrets";
export type { StackSecretsArgs } from "./components/stackSecrets";
export { TelegramWebhook } from "./components/telegramWebhook";
export type { TelegramWebhookArgs } from "./components/telegramWebhook";
export { DurableObjectMigrations } from "./components/doMigrations";
export type { DurableObjectMigrationsArgs } from "./components/doMigrations";
export { bundleWorker } from "./components/bundle";
export type { Bundle } from "./components/bundle";

export { ConfigError, formatIssues } from "./config/errors";
export type { ConfigIssue } from "./config/errors";
export { validate } from "./config/validate";
export type { ConfigSource, Facts, Declaration } from "./config/validate";
export { buildPlan } from "./config/plan";
export { planScriptSettings, bundleOptions } from "./config/scriptSettings";
export type { PlannedScriptSettings, BundleOptions } from "./config/scriptSettings";
export type { Plan, PlannedWorker, PlannedBinding, PlannedDatabase, PlannedKvNamespace, PlannedQueue, PlannedR2Bucket, PlannedSecret, PlannedHostname, PlannedCustomDomain, PlannedRoute } from "./config/plan";
export { loadPlan, projectRoot, fileFacts, gitVersion } from "./config/load";
export { systemSchema, stackSchema, workerSchema, bindingSchema, secretSchema } from "./config/schema";
export type { SystemConfig, StackConfig, WorkerConfig, BindingConfig, SecretConfig } from "./config/schema";

export { evaluateStack, reveal, isSecretValue } from "./harness/evaluate";
export type { Evaluation, EvaluateOptions, RegisteredResource } from "./harness/evaluate";
export { readStackConfig } from "./harness/pulumiConfig";
export { startLocal, describeLocal } from "./local/runner";
export type { LocalOptions, LocalStack, LocalWorker } from "./local/runner";

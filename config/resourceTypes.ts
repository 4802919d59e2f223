/**
 * The provider type tokens of the resources the program registers, written once, and typed
 * readers of a registered script's inputs (its bindings as sent) for the runner, graph, checks,
 * bench and tests.
 */

/** Pulumi type tokens, by short name. */
export const RESOURCE_TYPE = {
  script: "cloudflare:index/workersScript:WorkersScript",
  d1: "cloudflare:index/d1Database:D1Database",
  kv: "cloudflare:index/workersKvNamespace:WorkersKvNamespace",
  r2: "cloudflare:index/r2Bucket:R2Bucket",
  queue: "cloudflare:index/queue:Queue",
  hyperdrive: "cloudflare:index/hyperdriveConfig:HyperdriveConfig",
  consumer: "cloudflare:index/queueConsumer:QueueConsumer",
  workflow: "cloudflare:index/workflow:Workflow",
  cron: "cloudflare:index/workersCronTrigger:WorkersCronTrigger",
  route: "cloudflare:index/workersRoute:WorkersRoute",
  customDomain: "cloudflare:index/workersCustomDomain:WorkersCustomDomain",
  subdomain: "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain",
  dns: "cloudflare:index/dnsRecord:DnsRecord",
  command: "command:local:Command",
  password: "random:index/randomPassword:RandomPassword",
} as const;
export type ResourceTypeName = keyof typeof RESOURCE_TYPE;

/**
 * One binding of a registered `WorkersScript`, as the program sent it (secrets revealed). The
 * fields are those of the provider's `WorkersScriptBinding`; which ones are set depends on `type`.
 */
export interface RegisteredBinding {
  name: string;
  type: string;
  text?: string;
  json?: string;
  id?: string;
  namespaceId?: string;
  service?: string;
  entrypoint?: string;
  queueName?: string;
  bucketName?: string;
  className?: string;
  scriptName?: string;
  workflowName?: string;
  [field: string]: unknown;
}

/** The inputs of a registered `WorkersScript` that the readers use (secrets revealed). */
export interface RegisteredScriptInputs {
  scriptName: string;
  contentFile: string;
  compatibilityDate: string;
  compatibilityFlags?: string[];
  bindings?: RegisteredBinding[];
  migrations?: { newTag?: string; oldTag?: string; steps?: Record<string, unknown>[] };
  [field: string]: unknown;
}

/** A registered resource, as the mock runtime records it (see harness/evaluate.ts). */
export interface RegisteredLike {
  type: string;
  name: string;
  id?: string;
  inputs: Record<string, unknown>;
}

/** The registered resources of one kind, with their inputs passed through `reveal`. */
export function registeredOf(resources: readonly RegisteredLike[], kind: ResourceTypeName, reveal: (v: unknown) => unknown): (RegisteredLike & { inputs: Record<string, any> })[] {
  return resources.filter((r) => r.type === RESOURCE_TYPE[kind]).map((r) => ({ ...r, inputs: reveal(r.inputs) as Record<string, any> }));
}

/** The registered scripts with typed inputs. */
export function registeredScripts(resources: readonly RegisteredLike[], reveal: (v: unknown) => unknown): (RegisteredLike & { inputs: RegisteredScriptInputs })[] {
  return registeredOf(resources, "script", reveal) as (RegisteredLike & { inputs: RegisteredScriptInputs })[];
}

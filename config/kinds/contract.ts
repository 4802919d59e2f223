/**
 * The contract every binding kind fulfils (config/kinds/<kind>.ts), and the helpers kinds share:
 * per kind its declared keys, planned form, target check, provider binding, Miniflare option,
 * wrangler config entry, `/health` type, `Env` type, graph edge and deploy-order edge.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as cloudflare from "@pulumi/cloudflare";
import type { z } from "zod";
import type { ReportedType } from "../reportedTypes";
import type { RegisteredBinding } from "../resourceTypes";
import type { LenientSystem } from "../validate";

/** What the provider receives for one binding (`WorkersScript.bindings[]`). */
export type ScriptBinding = cloudflare.types.input.WorkersScriptBinding;

/** What every planned binding has: its name and its kind's type. */
export interface PlannedBase {
  name: string;
  type: string;
}


/**
 * A declared binding (`bindings.<NAME>` of a worker), after the schema: one target key set. A
 * target is a logical key or name (`{ d1: main }`), `true` (`{ ai: true }`) or an object
 * (`{ rateLimit: { ... } }`); each kind reads its own keys.
 */
export type DeclaredBinding = Readonly<Record<string, unknown>>;

/** What `Stack` gives a kind to turn logical keys into ids, names and secret values. */
export interface BindingResolver {
  /** Key of the worker being built. */
  self: string;
  secret(name: string): pulumi.Input<string>;
  databaseId(key: string): pulumi.Input<string>;
  kvNamespaceId(key: string): pulumi.Input<string>;
  queueName(key: string): pulumi.Input<string>;
  bucketName(key: string): pulumi.Input<string>;
  scriptName(worker: string): pulumi.Input<string>;
  /** The name of another worker's workflow, from its Workflow resource (so that exists first). */
  workflowName(worker: string, key: string): pulumi.Input<string>;
  /** The id of a system hyperdrive: its HyperdriveConfig's, or the id the stack adopts. */
  hyperdriveId(key: string): pulumi.Input<string>;
}

/** Miniflare's per-worker binding options, by option name. */
export interface MiniflareGroups {
  bindings: Record<string, unknown>;
  d1Databases: Record<string, unknown>;
  kvNamespaces: Record<string, unknown>;
  serviceBindings: Record<string, unknown>;
  queueProducers: Record<string, unknown>;
  r2Buckets: Record<string, unknown>;
  durableObjects: Record<string, unknown>;
  workflows: Record<string, unknown>;
  analyticsEngineDatasets: Record<string, unknown>;
  ratelimits: Record<string, unknown>;
  hyperdrives: Record<string, unknown>;
  /** Options that are not one record of bindings (`versionMetadata`, `email`): spread as they are. */
  options: Record<string, unknown>;
}
/** The options of MiniflareGroups that are records of bindings by name (`options` is not one). */
export const MINIFLARE_GROUPS = [
  "bindings", "d1Databases", "kvNamespaces", "serviceBindings", "queueProducers", "r2Buckets", "durableObjects", "workflows",
  "analyticsEngineDatasets", "ratelimits", "hyperdrives",
] as const satisfies readonly Exclude<keyof MiniflareGroups, "options">[];

/** What the rest of the registered stack says that a Miniflare option needs. */
export interface MiniflareContext {
  /** The script whose options are being built. */
  self: string;
  /** `<script>\0<class>` of each Durable Object class with SQLite storage after the migrations its script's upload carries. */
  sqliteClasses: Set<string>;
  /** Says what is not emulated locally (a binding only Cloudflare serves). @default silent */
  notice?(line: string): void;
}

/** A wrangler config being written for one script (the bench's `wrangler dev` side). */
export interface WranglerConfig {
  config: Record<string, any>;
  vars: Record<string, unknown>;
  /** `.dev.vars` lines. */
  secrets: string[];
  /** Appends to a list entry of the config (`d1_databases`, `services`, ...). */
  push(key: string, value: unknown): void;
}

/** How the graph draws what a binding reaches (scripts/graph.ts implements it). */
export interface GraphApi {
  /** Node of a D1 database / KV namespace / R2 bucket / queue, by the id or name in the binding. */
  d1(id: string): string;
  kv(namespaceId: string): string;
  r2(bucketName: string): string;
  queue(queueName: string): string;
  /** Node of a worker, by script name. */
  worker(scriptName: string): string;
  durableObject(hostScript: string | undefined, className: string): string;
  workflow(workflowName: string, className: string | undefined): string;
  /** Node of anything else a binding reaches, by kind and key, with a label. */
  other(kind: string, key: string, label: string): string;
  /** Records a secret this worker uses (shared ones are drawn). */
  secret(name: string): void;
  /** Draws an edge from the worker to `node`. */
  edge(node: string, label: string): void;
}

/** What planning a binding may look up: the worker it belongs to, and each declared workflow. */
export interface PlanContext {
  self: string;
  /** The workflow of that key: its hosting worker, physical name and class. */
  workflow(key: string): { worker: string; name: string; className: string } | undefined;
}

/** The deploy-order context: which worker hosts each workflow. */
export interface EdgeContext {
  self: string;
  workflowHost(key: string): string | undefined;
}

/** What a kind's target check reads: the worker that declares the binding and the declared system. */
export interface TargetContext {
  /** Key of the worker that declares the binding. */
  self: string;
  /** The system as validation parsed it (leniently: parts that failed are in `invalid`). */
  system: LenientSystem;
  /** The worker that hosts the workflow of that key, on this stack or absent from it. */
  workflowHost(key: string): string | undefined;
}

/** What is wrong with a binding's target (reported at the binding's path). */
export interface TargetProblem {
  message: string;
  hint?: string;
}

/** The system collections a binding's target may name a key of. */
export type TargetCollection = "databases" | "kvNamespaces" | "queues" | "r2Buckets" | "workers" | "hyperdrives";

/** One binding kind. `P` is its planned form. */

export interface BindingKind<P extends PlannedBase = PlannedBase> {
  type: P["type"];
  /** The type the worker's `/health` reports for it. */
  reported: ReportedType;
  /**
   * Its keys in a declared binding (`{ d1: main }`): the target first, then companions allowed only
   * with it. Vars and secrets are declared elsewhere and have none.
   */
  config?: {
    target: string;
    shape: z.ZodRawShape;
    companions?: string[];
    /**
     * The system collection the target names a key of, and what to call it in "not declared"
     * messages: the target's check unless `check` is given (see `notDeclared`).
     */
    refers?: { collection: TargetCollection; what: string };
    /**
     * What is wrong with the target of a declared binding of this kind (its target key is set), or
     * undefined. @default the `refers` check: the key is declared in its collection
     */
    check?(declared: DeclaredBinding, ctx: TargetContext): TargetProblem | undefined;
    /** At most one binding of this kind per worker (wrangler's config has a single entry for it). */
    single?: true;
  };
  /** The planned form of a declared binding whose target key is set. */
  plan?(name: string, declared: DeclaredBinding, ctx: PlanContext): P;
  /** The worker this binding makes deploy first (service targets, hosts of classes and workflows). */
  deployEdge?(declared: DeclaredBinding, ctx: EdgeContext): string | undefined;
  /** Its type in the worker's generated `Env` (Cloudflare's workers-types names). */
  envType(planned: P): string;
  /** The provider binding, logical keys resolved. */
  provider(planned: P, r: BindingResolver): pulumi.Input<ScriptBinding>;
  /** Sets its Miniflare option from the registered binding. */
  miniflare(b: RegisteredBinding, into: MiniflareGroups, ctx: MiniflareContext): void;
  /** Adds its wrangler config entry. */
  wrangler(b: RegisteredBinding, into: WranglerConfig): void;
  /** Draws what it reaches. */
  graph(b: RegisteredBinding, g: GraphApi): void;
}

/** `String(v)`, for the untyped fields of a registered binding. */
export const str = (v: unknown): string => String(v);
/** The `scriptName` of a registered binding, when it has one (a class or workflow of another script). */
export const scriptNameOf = (b: RegisteredBinding) => (b.scriptName ? { scriptName: b.scriptName } : {});

/** The local runner's stand-in worker for bindings only Cloudflare serves (local/notEmulated.ts), and its entrypoint. */
export const NOT_EMULATED_WORKER = "workers-stack-not-emulated";
export const NOT_EMULATED_ENTRYPOINT = "NotEmulated";

/**
 * A binding only Cloudflare serves (AI, Browser Rendering, Vectorize, mTLS, dispatch namespaces,
 * ...): the worker gets a stand-in (local/notEmulated.ts) whose `fetch` answers 501 and says why,
 * and whose every other method (`run`, `query`, `get`, ...) throws saying why — so `/health` sees
 * it and a call fails clearly — and the runner prints a notice.
 */
export function unavailable(b: RegisteredBinding, m: MiniflareGroups, ctx: MiniflareContext, what: string, why: string): void {
  const message = `${what} is not emulated locally (${why}): ${b.name} of ${ctx.self} is a stand-in that answers 501`;
  ctx.notice?.(message);
  m.serviceBindings[b.name] = { name: NOT_EMULATED_WORKER, entrypoint: NOT_EMULATED_ENTRYPOINT, props: { message } };
}

/** "declared <collection>: a, b" or where to declare one: the hint of a "not declared" problem. */
export function known(section: string, entries: Record<string, unknown> | undefined): string {
  const keys = Object.keys(entries ?? {});
  return keys.length ? `declared ${section}: ${keys.join(", ")}` : `declare it under system.${section}`;
}

/** True when `record` has `key` as its own key. */
export function has(record: Record<string, unknown> | undefined, key: string): boolean {
  return record !== undefined && Object.hasOwn(record, key);
}

/**
 * The `refers` check: `<what> "<key>" is not declared`, with the declared keys, unless the key is
 * declared or its declaration failed to parse (that is reported already).
 */
export function notDeclared(collection: TargetCollection, what: string, key: string, system: LenientSystem): TargetProblem | undefined {
  if (has(system[collection], key) || system.invalid.has(`${collection}.${key}`)) return undefined;
  return { message: `${what} "${key}" is not declared`, hint: known(collection, system[collection]) };
}

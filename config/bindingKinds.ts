/**
 * The binding-kind registry: for every kind of binding a worker can have, in one entry, its
 * declared shape, its planned form, the provider binding, the Miniflare option, the wrangler config
 * entry, the type `/health` reports, its graph edge and its deploy-order edge. The schema, the plan,
 * `Stack`, the local runner, the health check, the graph and the bench all read this table; a kind
 * missing from it is a compile error (the table is keyed by every `PlannedBinding` type).
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as cloudflare from "@pulumi/cloudflare";
import { z } from "zod";
import { className, logicalKey } from "./fields";
import { certificateId, dataset, dispatchNamespace, namespaceName, rateLimit, sendEmail, vectorizeIndex } from "./bindingFields";
import type { ReportedType } from "./reportedTypes";
import type { RegisteredBinding } from "./resourceTypes";

/** What the provider receives for one binding (`WorkersScript.bindings[]`). */
export type ScriptBinding = cloudflare.types.input.WorkersScriptBinding;

/** Every binding a worker's plan holds, by logical key, sorted by name in the plan. */
export type PlannedBinding =
  | { name: string; type: "plain_text"; text: string }
  | { name: string; type: "json"; json: string }
  | { name: string; type: "secret_text"; secret: string }
  | { name: string; type: "d1"; database: string }
  | { name: string; type: "kv_namespace"; namespace: string }
  | { name: string; type: "service"; worker: string; entrypoint?: string }
  | { name: string; type: "queue"; queue: string }
  | { name: string; type: "r2_bucket"; bucket: string }
  /** `worker` is the hosting worker's key (this worker itself, or another one). */
  | { name: string; type: "durable_object_namespace"; className: string; worker: string }
  /** `worker` is the key of the worker that hosts the workflow; its name and class are resolved in the plan. */
  | { name: string; type: "workflow"; workflow: string; worker: string; workflowName: string; className: string }
  | { name: string; type: "ai" }
  | { name: string; type: "browser" }
  | { name: string; type: "version_metadata" }
  | { name: string; type: "analytics_engine"; dataset: string }
  /** The index by name: the provider has no Vectorize index resource. */
  | { name: string; type: "vectorize"; indexName: string }
  /** `hyperdrive` is the key of a system hyperdrive (created here, or adopted by id on the stack). */
  | { name: string; type: "hyperdrive"; hyperdrive: string }
  | { name: string; type: "send_email"; destinationAddress?: string; allowedDestinationAddresses?: string[]; allowedSenderAddresses?: string[] }
  | { name: string; type: "ratelimit"; namespaceId: string; limit: number; period: 10 | 60 }
  | { name: string; type: "mtls_certificate"; certificateId: string }
  | { name: string; type: "dispatch_namespace"; namespace: string }
  | { name: string; type: "ai_search_namespace"; namespace: string }
  | { name: string; type: "artifacts"; namespace: string }
  /** The worker's own static assets (`assets.binding`): declared under `assets`, not `bindings`. */
  | { name: string; type: "assets" };
export type BindingType = PlannedBinding["type"];

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

/** One binding kind. `P` is its planned form. */
export interface BindingKind<P extends PlannedBinding = PlannedBinding> {
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
     * messages (validation reads it). Kinds whose target is checked otherwise have none.
     */
    refers?: { collection: "databases" | "kvNamespaces" | "queues" | "r2Buckets" | "workers" | "hyperdrives"; what: string };
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

type KindTable = { [T in BindingType]: BindingKind<Extract<PlannedBinding, { type: T }>> };

const str = (v: unknown): string => String(v);
const scriptNameOf = (b: RegisteredBinding) => (b.scriptName ? { scriptName: b.scriptName } : {});

/** The registry. Adding a kind: one entry here (its planned form in `PlannedBinding`) and its tests. */
export const BINDING_KINDS: KindTable = {
  plain_text: {
    type: "plain_text",
    envType: () => "string",
    reported: "var",
    provider: (p) => ({ name: p.name, type: p.type, text: p.text }),
    miniflare: (b, m) => void (m.bindings[b.name] = b.text),
    wrangler: (b, w) => void (w.vars[b.name] = b.text),
    graph: () => undefined,
  },
  json: {
    type: "json",
    envType: () => "unknown",
    reported: "json",
    provider: (p) => ({ name: p.name, type: p.type, json: p.json }),
    miniflare: (b, m) => void (m.bindings[b.name] = JSON.parse(str(b.json))),
    wrangler: (b, w) => void (w.vars[b.name] = JSON.parse(str(b.json))),
    graph: () => undefined,
  },
  secret_text: {
    type: "secret_text",
    envType: () => "string",
    reported: "secret",
    provider: (p, r) => ({ name: p.name, type: p.type, text: r.secret(p.secret) }),
    miniflare: (b, m) => void (m.bindings[b.name] = b.text),
    wrangler: (b, w) => void w.secrets.push(`${b.name}=${b.text}`),
    graph: (b, g) => g.secret(b.name),
  },
  d1: {
    type: "d1",
    envType: () => "D1Database",
    reported: "d1",
    /** A D1 database of this system, by logical key. */
    config: { target: "d1", refers: { collection: "databases", what: "D1 database" }, shape: { d1: logicalKey.optional() } },
    plan: (name, d) => ({ name, type: "d1", database: d.d1 as string }),
    provider: (p, r) => ({ name: p.name, type: p.type, id: r.databaseId(p.database) }),
    miniflare: (b, m) => void (m.d1Databases[b.name] = b.id),
    wrangler: (b, w) => w.push("d1_databases", { binding: b.name, database_name: `db-${str(b.id).slice(0, 8)}`, database_id: b.id }),
    graph: (b, g) => g.edge(g.d1(str(b.id)), b.name),
  },
  kv_namespace: {
    type: "kv_namespace",
    envType: () => "KVNamespace",
    reported: "kv",
    /** A KV namespace of this system, by logical key. */
    config: { target: "kv", refers: { collection: "kvNamespaces", what: "KV namespace" }, shape: { kv: logicalKey.optional() } },
    plan: (name, d) => ({ name, type: "kv_namespace", namespace: d.kv as string }),
    provider: (p, r) => ({ name: p.name, type: p.type, namespaceId: r.kvNamespaceId(p.namespace) }),
    miniflare: (b, m) => void (m.kvNamespaces[b.name] = b.namespaceId),
    wrangler: (b, w) => w.push("kv_namespaces", { binding: b.name, id: b.namespaceId }),
    graph: (b, g) => g.edge(g.kv(str(b.namespaceId)), b.name),
  },
  service: {
    type: "service",
    envType: () => "Fetcher",
    reported: "service",
    config: {
      target: "service",
      companions: ["entrypoint"],
      refers: { collection: "workers", what: "worker" },
      shape: {
        /** Another worker of this system, by logical key (its env-suffixed script name is derived). */
        service: logicalKey.optional(),
        /** With `service`: the named entrypoint of the target worker. */
        entrypoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
      },
    },
    plan: (name, d) => ({ name, type: "service", worker: d.service as string, ...(d.entrypoint ? { entrypoint: d.entrypoint as string } : {}) }),
    deployEdge: (d) => d.service as string | undefined,
    provider: (p, r) => ({ name: p.name, type: p.type, service: r.scriptName(p.worker), ...(p.entrypoint ? { entrypoint: p.entrypoint } : {}) }),
    miniflare: (b, m) => void (m.serviceBindings[b.name] = b.entrypoint ? { name: b.service, entrypoint: b.entrypoint } : b.service),
    wrangler: (b, w) => w.push("services", { binding: b.name, service: b.service, ...(b.entrypoint ? { entrypoint: b.entrypoint } : {}) }),
    graph: (b, g) => g.edge(g.worker(str(b.service)), `${b.name}${b.entrypoint ? ` (${b.entrypoint})` : ""}`),
  },
  queue: {
    type: "queue",
    envType: () => "Queue",
    reported: "queue",
    /** A queue of this system, by logical key (a producer binding). */
    config: { target: "queue", refers: { collection: "queues", what: "queue" }, shape: { queue: logicalKey.optional() } },
    plan: (name, d) => ({ name, type: "queue", queue: d.queue as string }),
    provider: (p, r) => ({ name: p.name, type: p.type, queueName: r.queueName(p.queue) }),
    miniflare: (b, m) => void (m.queueProducers[b.name] = b.queueName),
    wrangler: (b, w) => void (w.config.queues = { ...w.config.queues, producers: [...(w.config.queues?.producers ?? []), { binding: b.name, queue: b.queueName }] }),
    graph: (b, g) => g.edge(g.queue(str(b.queueName)), `${b.name} (send)`),
  },
  r2_bucket: {
    type: "r2_bucket",
    envType: () => "R2Bucket",
    reported: "r2",
    /** An R2 bucket of this system, by logical key. */
    config: { target: "r2", refers: { collection: "r2Buckets", what: "R2 bucket" }, shape: { r2: logicalKey.optional() } },
    plan: (name, d) => ({ name, type: "r2_bucket", bucket: d.r2 as string }),
    provider: (p, r) => ({ name: p.name, type: p.type, bucketName: r.bucketName(p.bucket) }),
    miniflare: (b, m) => void (m.r2Buckets[b.name] = b.bucketName),
    wrangler: (b, w) => w.push("r2_buckets", { binding: b.name, bucket_name: b.bucketName }),
    graph: (b, g) => g.edge(g.r2(str(b.bucketName)), b.name),
  },
  durable_object_namespace: {
    type: "durable_object_namespace",
    envType: () => "DurableObjectNamespace",
    reported: "do",
    config: {
      target: "durableObject",
      companions: ["worker"],
      shape: {
        /** A Durable Object class, hosted by this worker or by `worker`. */
        durableObject: className.optional(),
        /** With `durableObject`: the worker that hosts the class (its env-suffixed script name is derived). @default this worker */
        worker: logicalKey.optional(),
      },
    },
    plan: (name, d, ctx) => ({ name, type: "durable_object_namespace", className: d.durableObject as string, worker: (d.worker as string | undefined) ?? ctx.self }),
    deployEdge: (d) => d.worker as string | undefined,
    // A class of another worker names that worker's env-suffixed script: derived, never typed.
    provider: (p, r) =>
      p.worker === r.self
        ? { name: p.name, type: p.type, className: p.className }
        : { name: p.name, type: p.type, className: p.className, scriptName: r.scriptName(p.worker) },
    miniflare: (b, m, ctx) => void (m.durableObjects[b.name] = { className: b.className, ...scriptNameOf(b), useSQLite: ctx.sqliteClasses.has(`${b.scriptName ? str(b.scriptName) : ctx.self}\0${str(b.className)}`) }),
    wrangler: (b, w) =>
      void (w.config.durable_objects = { bindings: [...(w.config.durable_objects?.bindings ?? []), { name: b.name, class_name: b.className, ...(b.scriptName ? { script_name: b.scriptName } : {}) }] }),
    graph: (b, g) => g.edge(g.durableObject(b.scriptName, str(b.className)), b.name),
  },
  workflow: {
    type: "workflow",
    envType: () => "Workflow",
    reported: "workflow",
    /** A Workflow of this system, by logical key (declared under some worker's `workflows`). */
    config: { target: "workflow", shape: { workflow: logicalKey.optional() } },
    plan: (name, d, ctx) => {
      const wf = ctx.workflow(d.workflow as string)!;
      return { name, type: "workflow", workflow: d.workflow as string, worker: wf.worker, workflowName: wf.name, className: wf.className };
    },
    deployEdge: (d, ctx) => (d.workflow !== undefined ? ctx.workflowHost(d.workflow as string) : undefined),
    // Its own workflow is named by string (the Workflow resource is created after the script);
    // another worker's comes from that worker's Workflow resource, so it exists first.
    provider: (p, r) =>
      p.worker === r.self
        ? { name: p.name, type: p.type, workflowName: p.workflowName, className: p.className }
        : { name: p.name, type: p.type, workflowName: r.workflowName(p.worker, p.workflow), className: p.className, scriptName: r.scriptName(p.worker) },
    miniflare: (b, m) => void (m.workflows[b.name] = { name: b.workflowName, className: b.className, ...scriptNameOf(b) }),
    wrangler: (b, w) => w.push("workflows", { binding: b.name, name: b.workflowName, class_name: b.className, ...(b.scriptName ? { script_name: b.scriptName } : {}) }),
    graph: (b, g) => g.edge(g.workflow(str(b.workflowName), b.className), b.name),
  },

  // Bindings to Cloudflare services outside the system's own resources. Those Miniflare cannot
  // emulate (AI, Browser Rendering, Vectorize, mTLS, dispatch namespaces) get a stand-in service
  // that answers 501 and a notice saying so; Hyperdrive uses a local database when one is given.
  ai: {
    type: "ai",
    envType: () => "Ai",
    reported: "ai",
    /** Workers AI: `{ ai: true }` (wrangler's `[ai]`). */
    config: { target: "ai", single: true, shape: { ai: z.literal(true, { error: "must be true: `{ ai: true }` binds Workers AI" }).optional() } },
    plan: (name) => ({ name, type: "ai" }),
    provider: (p) => ({ name: p.name, type: p.type }),
    miniflare: (b, m, ctx) => unavailable(b, m, ctx, "Workers AI", "it runs on Cloudflare's GPUs only"),
    wrangler: (b, w) => void (w.config.ai = { binding: b.name }),
    graph: (b, g) => g.edge(g.other("ai", "workers-ai", "Workers AI"), b.name),
  },
  browser: {
    type: "browser",
    // As `wrangler types` names it (workers-types' BrowserRun: a Fetcher).
    envType: () => "BrowserRun",
    reported: "browser",
    /** Browser Rendering: `{ browser: true }` (wrangler's `[browser]`). */
    config: { target: "browser", single: true, shape: { browser: z.literal(true, { error: "must be true: `{ browser: true }` binds Browser Rendering" }).optional() } },
    plan: (name) => ({ name, type: "browser" }),
    provider: (p) => ({ name: p.name, type: p.type }),
    miniflare: (b, m, ctx) => unavailable(b, m, ctx, "Browser Rendering", "the browsers run on Cloudflare"),
    wrangler: (b, w) => void (w.config.browser = { binding: b.name }),
    graph: (b, g) => g.edge(g.other("browser", "browser-rendering", "Browser Rendering"), b.name),
  },
  version_metadata: {
    type: "version_metadata",
    envType: () => "WorkerVersionMetadata",
    reported: "version",
    /** The script version's id, tag and timestamp: `{ versionMetadata: true }` (wrangler's `[version_metadata]`). */
    config: { target: "versionMetadata", single: true, shape: { versionMetadata: z.literal(true, { error: "must be true: `{ versionMetadata: true }` binds the version metadata" }).optional() } },
    plan: (name) => ({ name, type: "version_metadata" }),
    provider: (p) => ({ name: p.name, type: p.type }),
    miniflare: (b, m) => void (m.options.versionMetadata = b.name),
    wrangler: (b, w) => void (w.config.version_metadata = { binding: b.name }),
    graph: () => undefined,
  },
  analytics_engine: {
    type: "analytics_engine",
    envType: () => "AnalyticsEngineDataset",
    reported: "analytics",
    /** An Analytics Engine dataset, by name (created on first write). */
    config: { target: "analyticsEngine", shape: { analyticsEngine: dataset.optional() } },
    plan: (name, d) => ({ name, type: "analytics_engine", dataset: d.analyticsEngine as string }),
    provider: (p) => ({ name: p.name, type: p.type, dataset: p.dataset }),
    miniflare: (b, m) => void (m.analyticsEngineDatasets[b.name] = { dataset: b.dataset }),
    wrangler: (b, w) => w.push("analytics_engine_datasets", { binding: b.name, dataset: b.dataset }),
    graph: (b, g) => g.edge(g.other("analytics", str(b.dataset), `Analytics Engine ${str(b.dataset)}`), b.name),
  },
  vectorize: {
    type: "vectorize",
    envType: () => "VectorizeIndex",
    reported: "vectorize",
    /** A Vectorize index, by name: the provider has no index resource (create it with `wrangler vectorize create`). */
    config: { target: "vectorize", shape: { vectorize: vectorizeIndex.optional() } },
    plan: (name, d) => ({ name, type: "vectorize", indexName: d.vectorize as string }),
    provider: (p) => ({ name: p.name, type: p.type, indexName: p.indexName }),
    miniflare: (b, m, ctx) => unavailable(b, m, ctx, `Vectorize index ${str(b.indexName)}`, "Vectorize runs on Cloudflare only"),
    wrangler: (b, w) => w.push("vectorize", { binding: b.name, index_name: b.indexName }),
    graph: (b, g) => g.edge(g.other("vectorize", str(b.indexName), `Vectorize ${str(b.indexName)}`), b.name),
  },
  hyperdrive: {
    type: "hyperdrive",
    envType: () => "Hyperdrive",
    reported: "hyperdrive",
    /** A Hyperdrive of this system, by logical key (`system.hyperdrives`). */
    config: { target: "hyperdrive", refers: { collection: "hyperdrives", what: "hyperdrive" }, shape: { hyperdrive: logicalKey.optional() } },
    plan: (name, d) => ({ name, type: "hyperdrive", hyperdrive: d.hyperdrive as string }),
    provider: (p, r) => ({ name: p.name, type: p.type, id: r.hyperdriveId(p.hyperdrive) }),
    // As wrangler dev: a local database from CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>.
    miniflare: (b, m, ctx) => {
      const local = process.env[`${HYPERDRIVE_LOCAL_ENV}${b.name}`];
      if (local) m.hyperdrives[b.name] = local;
      else
        ctx.notice?.(
          `hyperdrive ${b.name} of ${ctx.self} has no local database: set ${HYPERDRIVE_LOCAL_ENV}${b.name}=postgres://user:password@127.0.0.1:5432/db before starting (as for wrangler dev); until then the worker has no ${b.name}`,
        );
    },
    wrangler: (b, w) => {
      const local = process.env[`${HYPERDRIVE_LOCAL_ENV}${b.name}`];
      w.push("hyperdrive", { binding: b.name, id: b.id, ...(local ? { localConnectionString: local } : {}) });
    },
    graph: (b, g) => g.edge(g.other("hyperdrive", str(b.id), `Hyperdrive ${str(b.id)}`), b.name),
  },
  send_email: {
    type: "send_email",
    envType: () => "SendEmail",
    reported: "email",
    /** Sending e-mail (Email Routing), with its destination and sender rules. */
    config: { target: "sendEmail", shape: { sendEmail: sendEmail.optional() } },
    plan: (name, d) => {
      const e = d.sendEmail as z.infer<typeof sendEmail>;
      return {
        name,
        type: "send_email",
        ...(e.destinationAddress !== undefined ? { destinationAddress: e.destinationAddress } : {}),
        ...(e.allowedDestinationAddresses !== undefined ? { allowedDestinationAddresses: e.allowedDestinationAddresses } : {}),
        ...(e.allowedSenderAddresses !== undefined ? { allowedSenderAddresses: e.allowedSenderAddresses } : {}),
      };
    },
    provider: (p) => ({ ...p }),
    // Miniflare's send_email: checks the rules and writes each message to a file it names in its log.
    miniflare: (b, m) => {
      const email = (m.options.email ?? { send_email: [] }) as { send_email: Record<string, unknown>[] };
      email.send_email.push({ name: b.name, ...emailRules(b) });
      m.options.email = email;
    },
    wrangler: (b, w) => w.push("send_email", { name: b.name, ...emailRules(b) }),
    graph: (b, g) => {
      const to = b.destinationAddress ? str(b.destinationAddress) : Array.isArray(b.allowedDestinationAddresses) ? b.allowedDestinationAddresses.join(", ") : "any verified address";
      g.edge(g.other("email", to, `e-mail to ${to}`), b.name);
    },
  },
  ratelimit: {
    type: "ratelimit",
    envType: () => "RateLimit",
    reported: "ratelimit",
    /** A rate limit: `{ rateLimit: { namespaceId: "1001", limit: 100, period: 60 } }`. */
    config: { target: "rateLimit", shape: { rateLimit: rateLimit.optional() } },
    plan: (name, d) => {
      const r = d.rateLimit as z.infer<typeof rateLimit>;
      return { name, type: "ratelimit", namespaceId: r.namespaceId, limit: r.limit, period: r.period };
    },
    provider: (p) => ({ name: p.name, type: p.type, namespaceId: p.namespaceId, simple: { limit: p.limit, period: p.period } }),
    miniflare: (b, m) => void (m.ratelimits[b.name] = { namespace_id: b.namespaceId, simple: b.simple }),
    wrangler: (b, w) => w.push("ratelimits", { name: b.name, namespace_id: b.namespaceId, simple: b.simple }),
    graph: (b, g) => {
      const s = b.simple as { limit: number; period: number };
      g.edge(g.other("ratelimit", str(b.namespaceId), `rate limit ${str(b.namespaceId)}: ${s.limit} per ${s.period} s`), b.name);
    },
  },
  mtls_certificate: {
    type: "mtls_certificate",
    envType: () => "Fetcher",
    reported: "mtls",
    /** An mTLS client certificate for outgoing requests, by its id. */
    config: { target: "mtlsCertificate", shape: { mtlsCertificate: certificateId.optional() } },
    plan: (name, d) => ({ name, type: "mtls_certificate", certificateId: d.mtlsCertificate as string }),
    provider: (p) => ({ name: p.name, type: p.type, certificateId: p.certificateId }),
    miniflare: (b, m, ctx) => unavailable(b, m, ctx, `mTLS certificate ${str(b.certificateId)}`, "the certificate stays on Cloudflare"),
    wrangler: (b, w) => w.push("mtls_certificates", { binding: b.name, certificate_id: b.certificateId }),
    graph: (b, g) => g.edge(g.other("mtls", str(b.certificateId), `mTLS certificate ${str(b.certificateId)}`), b.name),
  },
  dispatch_namespace: {
    type: "dispatch_namespace",
    envType: () => "DispatchNamespace",
    reported: "dispatch",
    /** A Workers for Platforms dispatch namespace, by name. */
    config: { target: "dispatchNamespace", shape: { dispatchNamespace: dispatchNamespace.optional() } },
    plan: (name, d) => ({ name, type: "dispatch_namespace", namespace: d.dispatchNamespace as string }),
    provider: (p) => ({ name: p.name, type: p.type, namespace: p.namespace }),
    miniflare: (b, m, ctx) => unavailable(b, m, ctx, `dispatch namespace ${str(b.namespace)}`, "its user workers live on Cloudflare"),
    wrangler: (b, w) => w.push("dispatch_namespaces", { binding: b.name, namespace: b.namespace }),
    graph: (b, g) => g.edge(g.other("dispatch", str(b.namespace), `dispatch namespace ${str(b.namespace)}`), b.name),
  },
  ai_search_namespace: {
    type: "ai_search_namespace",
    envType: () => "AiSearchNamespace",
    reported: "aiSearch",
    /** An AI Search namespace, by name (wrangler's `[[ai_search_namespaces]]`). */
    config: { target: "aiSearchNamespace", shape: { aiSearchNamespace: namespaceName.optional() } },
    plan: (name, d) => ({ name, type: "ai_search_namespace", namespace: d.aiSearchNamespace as string }),
    provider: (p) => ({ name: p.name, type: p.type, namespace: p.namespace }),
    miniflare: (b, m, ctx) => unavailable(b, m, ctx, `AI Search namespace ${str(b.namespace)}`, "AI Search runs on Cloudflare only"),
    wrangler: (b, w) => w.push("ai_search_namespaces", { binding: b.name, namespace: b.namespace }),
    graph: (b, g) => g.edge(g.other("aisearch", str(b.namespace), `AI Search ${str(b.namespace)}`), b.name),
  },
  artifacts: {
    type: "artifacts",
    envType: () => "Artifacts",
    reported: "artifacts",
    /** An Artifacts namespace, by name (wrangler's `[[artifacts]]`). */
    config: { target: "artifacts", shape: { artifacts: namespaceName.optional() } },
    plan: (name, d) => ({ name, type: "artifacts", namespace: d.artifacts as string }),
    provider: (p) => ({ name: p.name, type: p.type, namespace: p.namespace }),
    miniflare: (b, m, ctx) => unavailable(b, m, ctx, `Artifacts namespace ${str(b.namespace)}`, "wrangler has no local simulator for it either"),
    wrangler: (b, w) => w.push("artifacts", { binding: b.name, namespace: b.namespace }),
    graph: (b, g) => g.edge(g.other("artifacts", str(b.namespace), `Artifacts ${str(b.namespace)}`), b.name),
  },
  assets: {
    type: "assets",
    envType: () => "Fetcher",
    reported: "assets",
    // Declared as `assets.binding`, planned from it (config/plan.ts): no key under `bindings`.
    provider: (p) => ({ name: p.name, type: p.type }),
    // Miniflare gives it with the worker's `assets` option (local/workerOptions.ts reads the name).
    miniflare: () => undefined,
    wrangler: (b, w) => void (w.config.assets = { ...w.config.assets, binding: b.name }),
    // The worker's assets node is drawn from the script's `assets` input (scripts/graph.ts).
    graph: () => undefined,
  },
};

/** wrangler's variable for a Hyperdrive binding's local database (`wrangler dev` reads the same). */
export const HYPERDRIVE_LOCAL_ENV = "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_";

/** The destination and sender rules of a registered send_email binding, in wrangler's (and Miniflare's) keys. */
function emailRules(b: RegisteredBinding): Record<string, unknown> {
  return {
    ...(b.destinationAddress !== undefined ? { destination_address: b.destinationAddress } : {}),
    ...(b.allowedDestinationAddresses !== undefined ? { allowed_destination_addresses: b.allowedDestinationAddresses } : {}),
    ...(b.allowedSenderAddresses !== undefined ? { allowed_sender_addresses: b.allowedSenderAddresses } : {}),
  };
}

/** The local runner's stand-in worker for bindings only Cloudflare serves (local/notEmulated.ts), and its entrypoint. */
export const NOT_EMULATED_WORKER = "workers-stack-not-emulated";
export const NOT_EMULATED_ENTRYPOINT = "NotEmulated";

/**
 * A binding only Cloudflare serves: the worker gets a stand-in (local/notEmulated.ts) whose
 * `fetch` answers 501 and says why, and whose every other method (`run`, `query`, `get`, ...)
 * throws saying why — so `/health` sees it and a call fails clearly — and the runner prints a notice.
 */
function unavailable(b: RegisteredBinding, m: MiniflareGroups, ctx: MiniflareContext, what: string, why: string): void {
  const message = `${what} is not emulated locally (${why}): ${b.name} of ${ctx.self} is a stand-in that answers 501`;
  ctx.notice?.(message);
  m.serviceBindings[b.name] = { name: NOT_EMULATED_WORKER, entrypoint: NOT_EMULATED_ENTRYPOINT, props: { message } };
}

/** Every kind, in table order. Read at call time, so a kind added to the table is seen everywhere. */
export function bindingKinds(): BindingKind[] {
  return Object.values(BINDING_KINDS) as BindingKind[];
}

/** The kind of a planned or registered binding type; undefined for a type no kind knows. */
export function kindOf(type: string): BindingKind | undefined {
  return Object.hasOwn(BINDING_KINDS, type) ? (BINDING_KINDS as Record<string, BindingKind>)[type] : undefined;
}

/** The kinds a worker declares under `bindings` (each with its target key). */
export function declaredKinds(): (BindingKind & { config: NonNullable<BindingKind["config"]> })[] {
  return bindingKinds().filter((k): k is BindingKind & { config: NonNullable<BindingKind["config"]> } => k.config !== undefined);
}

/** The kind of a declared binding: the one whose target key is set. */
export function declaredKindOf(declared: DeclaredBinding): (BindingKind & { config: NonNullable<BindingKind["config"]> }) | undefined {
  return declaredKinds().find((k) => declared[k.config.target] !== undefined);
}

/** The `/health` type of a planned or registered binding type. */
export function reportedType(type: string): string | undefined {
  return kindOf(type)?.reported;
}

/** The planned binding of a declared one. */
export function planBinding(name: string, declared: DeclaredBinding, ctx: PlanContext): PlannedBinding {
  const kind = declaredKindOf(declared);
  if (!kind?.plan) throw new Error(`binding ${name}: no binding kind has one of its keys (${Object.keys(declared).join(", ")})`);
  return kind.plan(name, declared, ctx);
}

/** The provider binding of a planned one. */
export function providerBinding(p: PlannedBinding, r: BindingResolver): pulumi.Input<ScriptBinding> {
  const kind = kindOf(p.type);
  if (!kind) throw new Error(`binding ${p.name}: unknown binding type ${p.type}`);
  return kind.provider(p, r);
}

/**
 * The zod schema of a declared binding, built from the table: every kind's keys, exactly one target,
 * companions only with their target. Built on each call (schema.ts calls it once).
 */
export function bindingTargetsSchema() {
  const kinds = declaredKinds();
  const shape = Object.assign({}, ...kinds.map((k) => k.config.shape)) as z.ZodRawShape;
  const targets = kinds.map((k) => k.config.target);
  const list = targets.length > 1 ? `${targets.slice(0, -1).join(", ")} or ${targets[targets.length - 1]}` : targets.join("");
  let schema = z.strictObject(shape).refine((b: Record<string, unknown>) => targets.filter((t) => b[t] !== undefined).length === 1, {
    error: `a binding names exactly one target: ${list} (e.g. \`{ d1: main }\`, \`{ ai: true }\`, \`{ rateLimit: { namespaceId: "1001", limit: 100, period: 60 } }\`)`,
  });
  for (const k of kinds)
    for (const c of k.config.companions ?? [])
      schema = schema.refine((b: Record<string, unknown>) => b[c] === undefined || b[k.config.target] !== undefined, { error: `\`${c}\` only goes with \`${k.config.target}\``, path: [c] });
  return schema as unknown as z.ZodType<DeclaredBinding>;
}

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
  /** The worker's own static assets (`assets.binding`): declared under `assets`, not `bindings`. */
  | { name: string; type: "assets" };
export type BindingType = PlannedBinding["type"];

/** A declared binding (`bindings.<NAME>` of a worker), after the schema: one target key set. */
export type DeclaredBinding = Readonly<Record<string, string | undefined>>;

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
}
export const MINIFLARE_GROUPS = ["bindings", "d1Databases", "kvNamespaces", "serviceBindings", "queueProducers", "r2Buckets", "durableObjects", "workflows"] as const satisfies readonly (keyof MiniflareGroups)[];

/** What the rest of the registered stack says that a Miniflare option needs. */
export interface MiniflareContext {
  /** The script whose options are being built. */
  self: string;
  /** `<script>\0<class>` of each Durable Object class with SQLite storage after the migrations its script's upload carries. */
  sqliteClasses: Set<string>;
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
    refers?: { collection: "databases" | "kvNamespaces" | "queues" | "r2Buckets" | "workers"; what: string };
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
    plan: (name, d) => ({ name, type: "d1", database: d.d1! }),
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
    plan: (name, d) => ({ name, type: "kv_namespace", namespace: d.kv! }),
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
    plan: (name, d) => ({ name, type: "service", worker: d.service!, ...(d.entrypoint ? { entrypoint: d.entrypoint } : {}) }),
    deployEdge: (d) => d.service,
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
    plan: (name, d) => ({ name, type: "queue", queue: d.queue! }),
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
    plan: (name, d) => ({ name, type: "r2_bucket", bucket: d.r2! }),
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
    plan: (name, d, ctx) => ({ name, type: "durable_object_namespace", className: d.durableObject!, worker: d.worker ?? ctx.self }),
    deployEdge: (d) => d.worker,
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
      const wf = ctx.workflow(d.workflow!)!;
      return { name, type: "workflow", workflow: d.workflow!, worker: wf.worker, workflowName: wf.name, className: wf.className };
    },
    deployEdge: (d, ctx) => (d.workflow !== undefined ? ctx.workflowHost(d.workflow) : undefined),
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

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type TargetShape = UnionToIntersection<NonNullable<KindTable[BindingType]["config"]>["shape"]>;

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
    error: `a binding names exactly one target: ${list} (e.g. \`{ d1: main }\`)`,
  });
  for (const k of kinds)
    for (const c of k.config.companions ?? [])
      schema = schema.refine((b: Record<string, unknown>) => b[c] === undefined || b[k.config.target] !== undefined, { error: `\`${c}\` only goes with \`${k.config.target}\``, path: [c] });
  return schema as unknown as z.ZodType<{ [K in keyof TargetShape]?: string }>;
}

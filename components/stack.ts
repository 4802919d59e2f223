import * as pulumi from "@pulumi/pulumi";
import { type BindingResolver, providerBinding } from "../config/bindingKinds";
import { Plan, PlannedWorker } from "../config/plan";
import { setAccount } from "./account";
import { Bundle } from "./bundle";
import type { StagedAssets } from "./assets";
import { Database } from "./database";
import { CustomDomain, Hostname, Route } from "./hostname";
import { Hyperdrive } from "./hyperdrive";
import { KvNamespace } from "./kvNamespace";
import { Queue } from "./queue";
import { R2Bucket } from "./r2Bucket";
import { StackSecrets } from "./stackSecrets";
import { TelegramWebhook } from "./telegramWebhook";
import { Worker, type WorkerSettings } from "./worker";

export interface StackArgs {
  /** The validated plan of this stack. */
  plan: Plan;
  /** Absolute project root: entries and migrations are relative to it. */
  projectRoot: string;
  /**
   * Each worker's bundle, by worker key, built before anything is registered (program.ts).
   * @default each Worker bundles its own entry
   */
  bundles?: Record<string, Bundle>;
  /**
   * Each worker's staged asset folder, by worker key, prepared before anything is registered.
   * @default each Worker stages its own
   */
  assets?: Record<string, StagedAssets>;
  /**
   * API token for the migration commands (the provider reads its own from config or env).
   * @default the environment's CLOUDFLARE_API_TOKEN
   */
  apiToken?: pulumi.Input<string>;
  /**
   * Read each Durable Object host's migration tag on Cloudflare while the program runs (so a
   * migration applied by the last `up` re-runs the migrations command). Off under mocks.
   * @default false
   */
  readLiveTags?: boolean;
}

/** What a user needs after `pulumi up`. */
export interface StackOutputs {
  stack: string;
  version: string;
  /** The value of the injected environment var (`environment`, default the stack name). */
  environment: string;
  /** The injected vars' names, or false where switched off (what `/health` checks read). */
  injectedVars: { environment: string | false; version: string | false };
  /** Per worker: its script name, the URLs it is served at (hostnames, custom domains, routes with one host) and its route patterns. */
  workers: Record<string, { scriptName: pulumi.Output<string>; urls: string[]; routes?: string[] }>;
  databases: Record<string, { name: string; id: pulumi.Output<string>; migrationsHash?: string }>;
  kvNamespaces: Record<string, { title: string; id: pulumi.Output<string> }>;
  queues: Record<string, { name: string; id: pulumi.Output<string> }>;
  r2Buckets: Record<string, { name: string }>;
  /** Each hyperdrive's name and id (an adopted one: the id the stack gives, and no name). */
  hyperdrives: Record<string, { name?: string; id: pulumi.Input<string> }>;
}

/**
 * A whole Workers system for one stack, built from its plan:
 * secrets → databases (+ migrations) and KV namespaces → workers in deploy order → hostnames.
 *
 * Deploy order is explicit: a worker waits for the migrations of every database it binds and for
 * every worker it binds as a service; stateful resources are protected when the plan says so.
 */
export class Stack extends pulumi.ComponentResource {
  readonly secrets: StackSecrets;
  readonly databases: Record<string, Database> = {};
  readonly kvNamespaces: Record<string, KvNamespace> = {};
  readonly queues: Record<string, Queue> = {};
  readonly r2Buckets: Record<string, R2Bucket> = {};
  /** Hyperdrive configurations this stack manages (adopted ones are bound by id and have none). */
  readonly hyperdrives: Record<string, Hyperdrive> = {};
  /** Every hyperdrive's id: its configuration's, or the one the stack adopts. */
  readonly hyperdriveIds: Record<string, pulumi.Input<string>> = {};
  readonly workers: Record<string, Worker> = {};
  readonly hostnames: Record<string, (Hostname | CustomDomain)[]> = {};
  /** Each worker's zone routes (no DNS record). */
  readonly routes: Record<string, Route[]> = {};
  readonly telegramWebhooks: Record<string, TelegramWebhook> = {};
  readonly outputs: StackOutputs;

  constructor(name: string, args: StackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Stack", name, {}, opts);
    const { plan } = args;
    // The account, given once: every component below reads it from this Stack (components/account.ts).
    setAccount(this, plan.accountId);
    this.secrets = new StackSecrets("secrets", { secrets: plan.secrets }, { parent: this });
    this.createStores(args);
    this.createHyperdrives(plan);
    // plan.workers is in deploy order: service targets and the hosts of bound Durable Objects and
    // Workflows are created before the workers that bind them.
    for (const w of plan.workers) {
      this.createWorker(w, args);
      this.createHostnames(w);
      this.createRoutes(w);
      this.createTelegramWebhook(w);
    }
    this.outputs = this.collectOutputs(plan);
    this.registerOutputs({});
  }

  /** D1 databases (with their migrations), KV namespaces, queues and R2 buckets. */
  private createStores(args: StackArgs): void {
    const { plan, projectRoot } = args;
    const parent = { parent: this };
    for (const db of plan.databases) {
      this.databases[db.key] = new Database(
        db.key,
        {
          name: db.name,
          projectRoot,
          protect: plan.protect,
          ...(db.migrationsDir ? { migrationsDir: db.migrationsDir } : {}),
          ...(db.readReplication ? { readReplication: db.readReplication } : {}),
          ...(db.importId ? { importId: db.importId } : {}),
          ...(args.apiToken ? { apiToken: args.apiToken } : {}),
        },
        parent,
      );
    }
    for (const kv of plan.kvNamespaces) {
      this.kvNamespaces[kv.key] = new KvNamespace(
        kv.key,
        { title: kv.title, protect: plan.protect, ...(kv.importId ? { importId: kv.importId } : {}) },
        parent,
      );
    }
    for (const q of plan.queues) {
      this.queues[q.key] = new Queue(
        q.key,
        { name: q.name, protect: plan.protect, ...(q.importId ? { importId: q.importId } : {}) },
        parent,
      );
    }
    for (const b of plan.r2Buckets) {
      this.r2Buckets[b.key] = new R2Bucket(
        b.key,
        {
          name: b.name,
          protect: plan.protect,
          adopt: b.adopt,
          ...(b.location ? { location: b.location } : {}),
          ...(b.jurisdiction ? { jurisdiction: b.jurisdiction } : {}),
        },
        parent,
      );
    }
  }

  /** Hyperdrive configurations, each from its secret connection string. */
  private createHyperdrives(plan: Plan): void {
    for (const h of plan.hyperdrives) {
      if (h.importId) this.hyperdriveIds[h.key] = h.importId;
      else if (h.connectionStringSecret) {
        this.hyperdrives[h.key] = new Hyperdrive(h.key, { name: h.name, connectionString: this.secrets.values[h.connectionStringSecret]! }, { parent: this });
        this.hyperdriveIds[h.key] = this.hyperdrives[h.key]!.id;
      }
    }
  }

  /** One worker, after the migrations of its databases and the workers it binds. */
  private createWorker(w: PlannedWorker, args: StackArgs): void {
    const { plan, projectRoot } = args;
    const parent = { parent: this };
    const dependsOn: pulumi.Resource[] = [
      ...w.databases.map((key) => {
        const db = this.databases[key]!;
        return db.migrations ?? db.database;
      }),
      ...w.services.flatMap((key) => [this.workers[key]!.script, ...Object.values(this.workers[key]!.workflows)]),
    ];
    this.workers[w.key] = new Worker(
      w.key,
      {
        scriptName: w.scriptName,
        projectRoot,
        ...(w.entry !== undefined ? { entry: w.entry } : {}),
        outDir: `.workers-stack/build/${plan.stack}/${w.key}`,
        ...(args.bundles?.[w.key] ? { bundle: args.bundles[w.key] } : {}),
        ...(w.assets ? { assets: { declared: w.assets, ...(args.assets?.[w.key] ? { staged: args.assets[w.key] } : {}) } } : {}),
        compatibilityDate: w.compatibilityDate,
        compatibilityFlags: w.compatibilityFlags,
        bindings: w.bindings.map((b) => providerBinding(b, this.resolver(w))),
        dependsOn,
        durableObjectMigrations: w.durableObjectMigrations,
        ...(args.apiToken ? { apiToken: args.apiToken } : {}),
        readLiveTag: args.readLiveTags ?? false,
        workflows: w.workflows,
        crons: w.crons,
        consumers: w.consumers.map(({ queue, deadLetterQueue, ...settings }) => ({
          key: queue,
          queueId: this.queues[queue]!.queueId,
          ...(deadLetterQueue ? { deadLetterQueue } : {}),
          settings,
        })),
        settings: workerSettings(w, (key) => this.workers[key]!.scriptName),
      },
      parent,
    );
  }

  /** Its proxied hostnames (CNAME + route) and Workers Custom Domains, each in its own zone. */
  private createHostnames(w: PlannedWorker): void {
    const parent = { parent: this };
    const scriptName = this.workers[w.key]!.scriptName;
    this.hostnames[w.key] = [
      ...w.hostnames.map((h) => new Hostname(h.host, { zoneId: h.zoneId, host: h.host, target: h.target, scriptName }, parent)),
      ...w.customDomains.map((d) => new CustomDomain(d.host, { zoneId: d.zoneId, host: d.host, scriptName }, parent)),
    ];
  }

  /** Its zone routes: a WorkersRoute each, no DNS record. Named by pattern (validation keeps patterns unique). */
  private createRoutes(w: PlannedWorker): void {
    const scriptName = this.workers[w.key]!.scriptName;
    this.routes[w.key] = w.routes.map(
      (r) => new Route(r.pattern, { zoneId: r.zoneId, pattern: r.pattern, scriptName, ...(r.url ? { url: r.url } : {}) }, { parent: this }),
    );
  }

  /** Its Telegram webhook, set with the very secret values the worker was given: the two can never disagree. */
  private createTelegramWebhook(w: PlannedWorker): void {
    const t = w.telegram;
    if (!t) return;
    this.telegramWebhooks[w.key] = new TelegramWebhook(
      `${w.key}-telegram`,
      {
        url: t.url,
        botToken: this.secrets.values[t.botTokenSecret]!,
        webhookSecret: this.secrets.values[t.webhookSecretSecret]!,
        apiBase: t.apiBase,
        dropPendingUpdates: t.dropPendingUpdates,
        ...(t.allowedUpdates ? { allowedUpdates: t.allowedUpdates } : {}),
        dependsOn: [this.workers[w.key]!.script, ...this.hostnames[w.key]!],
      },
      { parent: this },
    );
  }

  /** What a user needs after `pulumi up`. */
  private collectOutputs(plan: Plan): StackOutputs {
    return {
      stack: plan.stack,
      version: plan.version,
      environment: plan.environment,
      injectedVars: plan.injectedVars,
      workers: Object.fromEntries(
        plan.workers.map((w) => [
          w.key,
          {
            scriptName: this.workers[w.key]!.scriptName,
            urls: [...this.hostnames[w.key]!.map((h) => h.url), ...w.routes.flatMap((r) => (r.url ? [r.url] : []))],
            ...(w.routes.length ? { routes: w.routes.map((r) => r.pattern) } : {}),
          },
        ]),
      ),
      databases: Object.fromEntries(
        plan.databases.map((d) => {
          const db = this.databases[d.key]!;
          return [d.key, { name: d.name, id: db.id, ...(db.migrationsHash ? { migrationsHash: db.migrationsHash } : {}) }];
        }),
      ),
      kvNamespaces: Object.fromEntries(plan.kvNamespaces.map((k) => [k.key, { title: k.title, id: this.kvNamespaces[k.key]!.id }])),
      queues: Object.fromEntries(plan.queues.map((q) => [q.key, { name: q.name, id: this.queues[q.key]!.queueId }])),
      r2Buckets: Object.fromEntries(plan.r2Buckets.map((b) => [b.key, { name: b.name }])),
      hyperdrives: Object.fromEntries(plan.hyperdrives.map((h) => [h.key, { ...(h.importId ? {} : { name: h.name }), id: this.hyperdriveIds[h.key]! }])),
    };
  }

  /** Turns the logical keys of one worker's planned bindings into ids, script names and secret values. */
  private resolver(w: PlannedWorker): BindingResolver {
    return {
      self: w.key,
      secret: (name) => this.secrets.values[name]!,
      databaseId: (key) => this.databases[key]!.id,
      kvNamespaceId: (key) => this.kvNamespaces[key]!.id,
      queueName: (key) => this.queues[key]!.queueName,
      bucketName: (key) => this.r2Buckets[key]!.bucketName,
      // The worker itself (a self-referencing service binding) is named by its planned name: its
      // script is the one being registered.
      scriptName: (worker) => (worker === w.key ? w.scriptName : this.workers[worker]!.scriptName),
      workflowName: (worker, key) => this.workers[worker]!.workflows[key]!.workflowName,
      hyperdriveId: (key) => this.hyperdriveIds[key]!,
    };
  }
}

/** A planned worker's settings in the provider's terms; a tail consumer of the stack by its script's output. */
function workerSettings(w: PlannedWorker, scriptName: (worker: string) => pulumi.Input<string>): WorkerSettings {
  const s = w.settings;
  return {
    workersDev: s.workersDev,
    ...(s.previewUrls !== undefined ? { previewUrls: s.previewUrls } : {}),
    ...(s.observability ? { observability: s.observability } : {}),
    ...(s.logpush !== undefined ? { logpush: s.logpush } : {}),
    tailConsumers: s.tailConsumers.map((t) => (t.worker !== undefined ? scriptName(t.worker) : t.script)),
    ...(s.placement ? { placement: s.placement } : {}),
    ...(s.limits ? { limits: s.limits } : {}),
  };
}

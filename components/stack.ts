import * as pulumi from "@pulumi/pulumi";
import { Plan, PlannedBinding } from "../config/plan";
import { Database } from "./database";
import { Hostname } from "./hostname";
import { KvNamespace } from "./kvNamespace";
import { StackSecrets } from "./stackSecrets";
import { ScriptBinding, Worker } from "./worker";

export interface StackArgs {
  /** The validated plan of this stack. */
  plan: Plan;
  /** Absolute project root: entries and migrations are relative to it. */
  projectRoot: string;
  /**
   * API token for the migration commands (the provider reads its own from config or env).
   * @default the environment's CLOUDFLARE_API_TOKEN
   */
  apiToken?: pulumi.Input<string>;
}

/** What a user needs after `pulumi up`. */
export interface StackOutputs {
  stack: string;
  version: string;
  workers: Record<string, { scriptName: pulumi.Output<string>; urls: string[] }>;
  databases: Record<string, { name: string; id: pulumi.Output<string>; migrationsHash?: string }>;
  kvNamespaces: Record<string, { title: string; id: pulumi.Output<string> }>;
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
  readonly workers: Record<string, Worker> = {};
  readonly hostnames: Record<string, Hostname[]> = {};
  readonly outputs: StackOutputs;

  constructor(name: string, args: StackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Stack", name, {}, opts);
    const { plan, projectRoot } = args;
    const parent = { parent: this };

    this.secrets = new StackSecrets("secrets", { secrets: plan.secrets }, parent);

    for (const db of plan.databases) {
      this.databases[db.key] = new Database(
        db.key,
        {
          accountId: plan.accountId,
          name: db.name,
          projectRoot,
          protect: plan.protect,
          ...(db.migrationsDir ? { migrationsDir: db.migrationsDir } : {}),
          ...(db.importId ? { importId: db.importId } : {}),
          ...(args.apiToken ? { apiToken: args.apiToken } : {}),
        },
        parent,
      );
    }
    for (const kv of plan.kvNamespaces) {
      this.kvNamespaces[kv.key] = new KvNamespace(
        kv.key,
        { accountId: plan.accountId, title: kv.title, protect: plan.protect, ...(kv.importId ? { importId: kv.importId } : {}) },
        parent,
      );
    }

    // plan.workers is in deploy order: every service target is created before its callers.
    for (const w of plan.workers) {
      const dependsOn: pulumi.Resource[] = [
        ...w.databases.map((key) => {
          const db = this.databases[key]!;
          return db.migrations ?? db.database;
        }),
        ...w.services.map((key) => this.workers[key]!.script),
      ];
      this.workers[w.key] = new Worker(
        w.key,
        {
          accountId: plan.accountId,
          scriptName: w.scriptName,
          projectRoot,
          entry: w.entry,
          outDir: `.workers-stack/build/${plan.stack}/${w.key}`,
          compatibilityDate: w.compatibilityDate,
          compatibilityFlags: w.compatibilityFlags,
          bindings: w.bindings.map((b) => this.resolveBinding(b)),
          dependsOn,
        },
        parent,
      );
      this.hostnames[w.key] = w.hostnames.map(
        (h) => new Hostname(h.host, { zoneId: plan.zoneId, host: h.host, target: plan.dnsTarget, scriptName: this.workers[w.key]!.scriptName }, parent),
      );
    }

    this.outputs = {
      stack: plan.stack,
      version: plan.version,
      workers: Object.fromEntries(
        plan.workers.map((w) => [w.key, { scriptName: this.workers[w.key]!.scriptName, urls: this.hostnames[w.key]!.map((h) => h.url) }]),
      ),
      databases: Object.fromEntries(
        plan.databases.map((d) => {
          const db = this.databases[d.key]!;
          return [d.key, { name: d.name, id: db.id, ...(db.migrationsHash ? { migrationsHash: db.migrationsHash } : {}) }];
        }),
      ),
      kvNamespaces: Object.fromEntries(plan.kvNamespaces.map((k) => [k.key, { title: k.title, id: this.kvNamespaces[k.key]!.id }])),
    };
    this.registerOutputs({});
  }

  /** A planned binding with its logical key replaced by the real id, script name or secret value. */
  private resolveBinding(b: PlannedBinding): pulumi.Input<ScriptBinding> {
    switch (b.type) {
      case "plain_text":
        return { name: b.name, type: b.type, text: b.text };
      case "json":
        return { name: b.name, type: b.type, json: b.json };
      case "secret_text":
        return { name: b.name, type: b.type, text: this.secrets.values[b.secret]! };
      case "d1":
        return { name: b.name, type: b.type, id: this.databases[b.database]!.id };
      case "kv_namespace":
        return { name: b.name, type: b.type, namespaceId: this.kvNamespaces[b.namespace]!.id };
      case "service":
        return { name: b.name, type: b.type, service: this.workers[b.worker]!.scriptName, ...(b.entrypoint ? { entrypoint: b.entrypoint } : {}) };
    }
  }
}

import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { accountOf } from "./account";
import type { PlannedMigrationStep } from "../config/doMigrations";
import { Bundle, bundleWorker } from "./bundle";
import type { BundleOptions } from "../config/scriptSettings";
import { DurableObjectMigrations } from "./doMigrations";
import { StagedAssets, stageAssets } from "./assets";
import type { AssetsConfig } from "../config/assets";

/** A binding as sent to Cloudflare (ids and secret values resolved). */
export type ScriptBinding = cloudflare.types.input.WorkersScriptBinding;

export interface WorkerArgs {
  /** Cloudflare account id. @default the account of the Stack (or component) it is created under */
  accountId?: string;
  /** Physical script name, e.g. `tg-bot-staging`. */
  scriptName: string;
  /** Absolute project root. */
  projectRoot: string;
  /**
   * Entry module relative to the project root, e.g. `workers/bot/index.ts`.
   * @default none: an assets-only worker (then `assets` is required)
   */
  entry?: string;
  /**
   * Static assets: the declared settings (`directory` project-relative) and, when the program
   * staged the folder already, the staged copy the provider uploads (see components/assets.ts).
   * @default no assets
   */
  assets?: { declared: AssetsConfig; staged?: StagedAssets };
  /**
   * Where the bundle is written, relative to the project root (git-ignored).
   * @example ".workers-stack/build/staging/bot"
   */
  outDir: string;
  /**
   * The finished bundle of `entry` (the program bundles every worker before registering anything).
   * @default bundled here, with `bundleOptions`
   */
  bundle?: Bundle;
  /** esbuild options when the bundle is built here (config/scriptSettings.ts `bundleOptions`). @default not minified, no source map */
  bundleOptions?: BundleOptions;
  /** Compatibility date, e.g. `2025-09-01`. */
  compatibilityDate: string;
  /** @default [] */
  compatibilityFlags?: string[];
  /**
   * The complete list of bindings, in a stable order. Every `up` sends exactly this list: nothing
   * set in the dashboard or by `wrangler` survives it, and nothing declared can go missing.
   */
  bindings: pulumi.Input<ScriptBinding>[];
  /**
   * What must exist before the script is uploaded: the migrations of every database it binds, the
   * scripts it binds as services.
   * @default []
   */
  dependsOn?: pulumi.Resource[];
  /**
   * The script's Durable Object migration history, oldest first. Each upload carries only the
   * steps after the script's current tag on Cloudflare, read right before it (see
   * `DurableObjectMigrations`).
   * @default [] (no Durable Objects)
   */
  durableObjectMigrations?: PlannedMigrationStep[];
  /** @default the environment's CLOUDFLARE_API_TOKEN (for reading the migration tag) */
  apiToken?: pulumi.Input<string>;
  /** Read the script's migration tag while the program runs (see `DurableObjectMigrations`). @default false */
  readLiveTag?: boolean;
  /** Workflows the script hosts (each a `cloudflare.Workflow` created after the script). @default [] */
  workflows?: { key: string; name: string; className: string }[];
  /** Queues the script consumes (each a `cloudflare.QueueConsumer` created after the script). @default [] */
  consumers?: {
    /** Logical key of the queue (names the consumer resource). */
    key: string;
    queueId: pulumi.Input<string>;
    /** Name of the dead-letter queue. */
    deadLetterQueue?: string;
    settings: cloudflare.types.input.QueueConsumerSettings;
  }[];
  /** Cron schedules (a `cloudflare.WorkersCronTrigger`). @default [] */
  crons?: string[];
  /**
   * Exposure and script settings (config/scriptSettings.ts plans them).
   * @default workers.dev on, preview URLs and every other setting not sent
   */
  settings?: WorkerSettings;
}

/** A script's exposure and settings, in the provider's terms. */
export interface WorkerSettings {
  /** workers.dev on or off: a `cloudflare.WorkersScriptSubdomain` is always registered, as wrangler always sets it. */
  workersDev: boolean;
  /** Preview URLs; not sent when undefined (Cloudflare keeps the script's setting). */
  previewUrls?: boolean;
  observability?: cloudflare.types.input.WorkersScriptObservability;
  logpush?: boolean;
  /** Script names of the tail consumers (a worker of the stack's name output, so it exists first). */
  tailConsumers?: pulumi.Input<string>[];
  placement?: cloudflare.types.input.WorkersScriptPlacement;
  limits?: cloudflare.types.input.WorkersScriptLimits;
}

/**
 * A Worker script: its entry bundled with esbuild, uploaded as an ES module with every var,
 * secret and binding it declares.
 */
export class Worker extends pulumi.ComponentResource {
  readonly script: cloudflare.WorkersScript;
  readonly workflows: Record<string, cloudflare.Workflow> = {};
  readonly consumers: cloudflare.QueueConsumer[] = [];
  readonly cronTrigger?: cloudflare.WorkersCronTrigger;
  /** workers.dev and preview URLs of the script. */
  readonly subdomain: cloudflare.WorkersScriptSubdomain;
  /** The command that computes the Durable Object migrations of each upload, when the script has a history. */
  readonly doMigrations?: DurableObjectMigrations;
  readonly scriptName: pulumi.Output<string>;
  /** sha256 of the bundle: it changes exactly when the code does ("" for an assets-only worker). */
  readonly contentSha256: string;
  /** The provider's `assetManifestSha256` of the uploaded asset files, when the worker has assets. */
  readonly assetsManifestSha256?: string;

  constructor(name: string, args: WorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Worker", name, {}, opts);
    const accountId = accountOf(this, args.accountId, opts, `Worker ${name}`);
    if (args.entry === undefined && !args.assets) throw new Error(`worker ${name}: give an entry, assets, or both`);
    const bundle = args.entry === undefined ? undefined : (args.bundle ?? bundleWorker(args.projectRoot, args.entry, args.outDir, args.bundleOptions));
    this.contentSha256 = bundle?.sha256 ?? "";
    const staged = args.assets ? (args.assets.staged ?? stageAssets(args.projectRoot, args.assets.declared.directory, `${args.outDir}/assets`)) : undefined;
    if (staged) this.assetsManifestSha256 = staged.manifestSha256;

    const upload: cloudflare.WorkersScriptArgs = {
      accountId,
      scriptName: args.scriptName,
      ...(bundle
        ? {
            // contentFile + contentSha256: the hash drives the diff, the bundle stays out of the state.
            contentFile: bundle.contentFile,
            contentSha256: bundle.sha256,
            // Without mainModule the upload is a service-worker script and D1 bindings are refused.
            mainModule: bundle.mainModule,
          }
        : {}),
      compatibilityDate: args.compatibilityDate,
      compatibilityFlags: args.compatibilityFlags ?? [],
      // An assets-only worker uploads no module and no bindings, as wrangler does.
      ...(bundle ? { bindings: args.bindings } : {}),
      ...(args.assets && staged ? { assets: scriptAssets(args.assets.declared, staged) } : {}),
      // wrangler's upload of an assets-only worker carries none of the script settings either.
      ...(bundle ? scriptSettingsInputs(args.settings, bundle) : {}),
    };
    if (args.durableObjectMigrations?.length) {
      this.doMigrations = new DurableObjectMigrations(
        `${name}-do-migrations`,
        {
          // (Its account is this worker's: it is created under it.)
          scriptName: args.scriptName,
          history: args.durableObjectMigrations,
          upload: upload as unknown as Record<string, unknown>,
          ...(args.apiToken ? { apiToken: args.apiToken } : {}),
          readLiveTag: args.readLiveTag ?? false,
        },
        { parent: this },
      );
    }

    this.script = new cloudflare.WorkersScript(
      name,
      { ...upload, ...(this.doMigrations ? { migrations: this.doMigrations.migrations } : {}) },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    this.scriptName = this.script.scriptName;
    const child = { parent: this, dependsOn: [this.script] };

    for (const wf of args.workflows ?? []) {
      this.workflows[wf.key] = new cloudflare.Workflow(
        `${name}-${wf.key}`,
        { accountId, workflowName: wf.name, className: wf.className, scriptName: this.scriptName },
        child,
      );
    }
    for (const c of args.consumers ?? []) {
      this.consumers.push(
        new cloudflare.QueueConsumer(
          `${name}-${c.key}`,
          {
            accountId,
            queueId: c.queueId,
            scriptName: this.scriptName,
            type: "worker",
            settings: c.settings,
            ...(c.deadLetterQueue ? { deadLetterQueue: c.deadLetterQueue } : {}),
          },
          child,
        ),
      );
    }
    if (args.crons?.length) {
      this.cronTrigger = new cloudflare.WorkersCronTrigger(
        name,
        { accountId, scriptName: this.scriptName, schedules: args.crons.map((cron) => ({ cron })) },
        child,
      );
    }
    // wrangler sets workers.dev (and preview URLs when declared) on every deploy; so does this.
    // Deleting the resource changes nothing on Cloudflare (the provider's delete is a no-op).
    this.subdomain = new cloudflare.WorkersScriptSubdomain(
      name,
      {
        accountId,
        scriptName: this.scriptName,
        enabled: args.settings?.workersDev ?? true,
        ...(args.settings?.previewUrls !== undefined ? { previewsEnabled: args.settings.previewUrls } : {}),
      },
      child,
    );
    this.registerOutputs({ scriptName: this.scriptName, contentSha256: this.contentSha256, ...(staged ? { assetsManifestSha256: staged.manifestSha256 } : {}) });
  }
}

/** The `WorkersScript` inputs of the settings: only what is declared is sent (as wrangler does). */
function scriptSettingsInputs(settings: WorkerSettings | undefined, bundle: Bundle | undefined): Partial<cloudflare.WorkersScriptArgs> {
  return {
    ...(settings?.observability ? { observability: settings.observability } : {}),
    ...(settings?.logpush !== undefined ? { logpush: settings.logpush } : {}),
    ...(settings?.tailConsumers?.length ? { tailConsumers: settings.tailConsumers.map((service) => ({ service })) } : {}),
    ...(settings?.placement ? { placement: settings.placement } : {}),
    ...(settings?.limits ? { limits: settings.limits } : {}),
    // The source map travels as one more part of the multipart upload, as wrangler sends it.
    ...(bundle?.sourceMap
      ? { files: { [bundle.sourceMap.name]: { contentType: "application/source-map", contentFile: bundle.sourceMap.contentFile, contentSha256: bundle.sourceMap.sha256 } } }
      : {}),
  };
}

/**
 * The provider's `assets` input: the staged folder, and only the settings declared (Cloudflare
 * applies its defaults to the others, as for a wrangler upload), with `_headers` / `_redirects`.
 */
export function scriptAssets(declared: AssetsConfig, staged: StagedAssets): cloudflare.types.input.WorkersScriptAssets {
  const config: cloudflare.types.input.WorkersScriptAssetsConfig = {
    ...(declared.htmlHandling !== undefined ? { htmlHandling: declared.htmlHandling } : {}),
    ...(declared.notFoundHandling !== undefined ? { notFoundHandling: declared.notFoundHandling } : {}),
    ...(declared.runWorkerFirst !== undefined ? { runWorkerFirst: declared.runWorkerFirst } : {}),
    ...(declared.basePath !== undefined ? { basePath: declared.basePath } : {}),
    ...(staged.headers !== undefined ? { headers: staged.headers } : {}),
    ...(staged.redirects !== undefined ? { redirects: staged.redirects } : {}),
  };
  return { directory: staged.directory, ...(Object.keys(config).length ? { config } : {}) };
}

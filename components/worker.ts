import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { bundleWorker } from "./bundle";

/** A binding as sent to Cloudflare (ids and secret values resolved). */
export type ScriptBinding = cloudflare.types.input.WorkersScriptBinding;

export interface WorkerArgs {
  /** Cloudflare account id. */
  accountId: string;
  /** Physical script name, e.g. `tg-bot-staging`. */
  scriptName: string;
  /** Absolute project root. */
  projectRoot: string;
  /** Entry module relative to the project root, e.g. `workers/bot/index.ts`. */
  entry: string;
  /**
   * Where the bundle is written, relative to the project root (git-ignored).
   * @example ".workers-stack/build/staging/bot"
   */
  outDir: string;
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
}

/**
 * A Worker script: its entry bundled with esbuild, uploaded as an ES module with every var,
 * secret and binding it declares.
 */
export class Worker extends pulumi.ComponentResource {
  readonly script: cloudflare.WorkersScript;
  readonly scriptName: pulumi.Output<string>;
  /** sha256 of the bundle: it changes exactly when the code does. */
  readonly contentSha256: string;

  constructor(name: string, args: WorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Worker", name, {}, opts);
    const bundle = bundleWorker(args.projectRoot, args.entry, args.outDir);
    this.contentSha256 = bundle.sha256;

    this.script = new cloudflare.WorkersScript(
      name,
      {
        accountId: args.accountId,
        scriptName: args.scriptName,
        // contentFile + contentSha256: the hash drives the diff, the bundle stays out of the state.
        contentFile: bundle.contentFile,
        contentSha256: bundle.sha256,
        // Without mainModule the upload is a service-worker script and D1 bindings are refused.
        mainModule: bundle.mainModule,
        compatibilityDate: args.compatibilityDate,
        compatibilityFlags: args.compatibilityFlags ?? [],
        bindings: args.bindings,
      },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    this.scriptName = this.script.scriptName;
    this.registerOutputs({ scriptName: this.scriptName, contentSha256: bundle.sha256 });
  }
}

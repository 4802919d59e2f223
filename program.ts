/**
 * The workers-stack program: read and validate this stack's configuration, bundle every worker,
 * plan it, and declare every resource of it. `index.ts` runs it under `pulumi`; the tests and the
 * local runner run it under Pulumi's mock runtime.
 *
 * Everything that can fail for a mistake the program can see — the configuration, Cloudflare's
 * limits, a worker that does not compile, a migrations folder — fails before the first resource
 * is registered, all problems at once.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Bundle, writeBundle } from "./components/bundle";
import { migrationsHash } from "./components/database";
import { assetsStageDir, stageAssets, type StagedAssets } from "./components/assets";
import { z } from "zod";
import { ConfigError, ConfigIssue } from "./config/errors";
import { crossStackNameIssues } from "./config/crossStackNames";
import { bundleDir, loadPlan, projectRoot, readConfigSource } from "./config/load";
import { stackSchema, systemSchema } from "./config/schema";
import { ConfigSource } from "./config/validate";
import { Stack, StackOutputs } from "./components/stack";

/** A system as written in TypeScript: what `<project>:system` holds in Pulumi.yaml. */
export type SystemDeclaration = z.input<typeof systemSchema>;
/** A stack's settings as written in TypeScript: what `<project>:stack` holds in Pulumi.<stack>.yaml. */
export type StackDeclaration = z.input<typeof stackSchema>;

/**
 * The declaration given in code instead of config. Each part given replaces its config key; the
 * same checks apply (a part given both here and in the config is an error, not a silent choice).
 */
export interface Declared {
  /** The system, instead of `<project>:system` in Pulumi.yaml. @default read from config */
  system?: SystemDeclaration;
  /** This stack's settings, instead of `<project>:stack` in Pulumi.<stack>.yaml. @default read from config */
  stack?: StackDeclaration;
}

export function main(declared: Declared = {}): StackOutputs {
  const root = projectRoot();
  let loaded;
  try {
    loaded = loadPlan(root, declaredSource(declared));
  } catch (e) {
    // A RunError ends the program with just its message: the list of problems, no stack trace.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const { plan } = loaded;
  // Preflight: every migrations folder read and every bundle on disk before anything is registered.
  const issues: ConfigIssue[] = [];
  // Physical names another stack of the same account also creates (config/crossStackNames.ts).
  issues.push(...crossStackNameIssues(root, plan, declared.system));
  for (const db of plan.databases) {
    if (!db.migrationsDir) continue;
    try {
      migrationsHash(path.resolve(root, db.migrationsDir));
    } catch (e) {
      issues.push({ path: `system.databases.${db.key}.migrations`, message: `cannot read "${db.migrationsDir}": ${(e as Error).message}`, hint: "make the folder and its .sql files readable", file: "Pulumi.yaml" });
    }
  }
  const bundles: Record<string, Bundle> = {};
  const assets: Record<string, StagedAssets> = {};
  for (const w of plan.workers) {
    if (!w.assets) continue;
    try {
      assets[w.key] = stageAssets(root, w.assets.directory, assetsStageDir(plan.stack, w.key));
    } catch (e) {
      issues.push({ path: `system.workers.${w.key}.assets.directory`, message: `cannot stage "${w.assets.directory}" for upload: ${(e as Error).message}`, hint: "its files must be readable and the project folder writable (staged copies go to .workers-stack/assets, git-ignored)", file: "Pulumi.yaml" });
    }
  }
  for (const w of plan.workers) {
    if (w.entry === undefined) continue; // an assets-only worker: no code
    try {
      bundles[w.key] = writeBundle(root, loaded.bundles.get(w.key)!, bundleDir(plan.stack, w.key), loaded.sourceMaps.get(w.key));
    } catch (e) {
      issues.push({ path: `system.workers.${w.key}.entry`, message: `cannot write the bundle to ${bundleDir(plan.stack, w.key)}: ${(e as Error).message}`, hint: "the project folder must be writable (bundles go to .workers-stack/build, git-ignored)", file: "Pulumi.yaml" });
    }
  }
  if (issues.length) throw new pulumi.RunError(new ConfigError(plan.stack, issues).message);
  const apiToken = new pulumi.Config("cloudflare").getSecret("apiToken");
  // Durable Object hosts' live migration tags are read under the real engine only (never under
  // the mocks of the tests and the local runner, unless a test asks for it against a fake API).
  const readLiveTags = !underMocks() || process.env.WORKERS_STACK_READ_LIVE_TAGS === "1";
  const stack = new Stack(plan.app, { plan, projectRoot: root, bundles, assets, readLiveTags, ...(apiToken ? { apiToken } : {}) });
  return stack.outputs;
}

/** The stack's config, with the parts given in code in place of their config keys. */
function declaredSource(declared: Declared): ConfigSource {
  const source = readConfigSource();
  if (declared.system === undefined && declared.stack === undefined) return source;
  const both = [
    ...(declared.system !== undefined && source.system !== undefined ? [["system", "Pulumi.yaml"]] : []),
    ...(declared.stack !== undefined && source.stackSettings !== undefined ? [["stack", `Pulumi.${source.stack}.yaml`]] : []),
  ];
  if (both.length)
    throw new ConfigError(
      source.stack,
      both.map(([key, file]) => ({
        path: key!,
        message: `is declared both in code (main({ ${key} })) and in the config (${source.project}:${key})`,
        hint: `keep one: remove ${source.project}:${key} from ${file}, or stop passing ${key} to main()`,
      })),
    );
  return { ...source, ...(declared.system !== undefined ? { system: declared.system } : {}), ...(declared.stack !== undefined ? { stackSettings: declared.stack } : {}) };
}

/** True under `pulumi.runtime.setMocks` (the tests, the local runner): its monitor is the SDK's MockMonitor. */
function underMocks(): boolean {
  return (pulumi.runtime.getMonitor() as { constructor?: { name?: string } } | undefined)?.constructor?.name === "MockMonitor";
}

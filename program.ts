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
import { ConfigError, ConfigIssue } from "./config/errors";
import { bundleDir, loadPlan, projectRoot } from "./config/load";
import { Stack, StackOutputs } from "./components/stack";

export function main(): StackOutputs {
  const root = projectRoot();
  let loaded;
  try {
    loaded = loadPlan(root);
  } catch (e) {
    // A RunError ends the program with just its message: the list of problems, no stack trace.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const { plan } = loaded;
  // Preflight: every migrations folder read and every bundle on disk before anything is registered.
  const issues: ConfigIssue[] = [];
  for (const db of plan.databases) {
    if (!db.migrationsDir) continue;
    try {
      migrationsHash(path.resolve(root, db.migrationsDir));
    } catch (e) {
      issues.push({ path: `system.databases.${db.key}.migrations`, message: `cannot read "${db.migrationsDir}": ${(e as Error).message}`, hint: "make the folder and its .sql files readable", file: "Pulumi.yaml" });
    }
  }
  const bundles: Record<string, Bundle> = {};
  for (const w of plan.workers) {
    try {
      bundles[w.key] = writeBundle(root, loaded.bundles.get(w.key)!, bundleDir(plan.stack, w.key));
    } catch (e) {
      issues.push({ path: `system.workers.${w.key}.entry`, message: `cannot write the bundle to ${bundleDir(plan.stack, w.key)}: ${(e as Error).message}`, hint: "the project folder must be writable (bundles go to .workers-stack/build, git-ignored)", file: "Pulumi.yaml" });
    }
  }
  if (issues.length) throw new pulumi.RunError(new ConfigError(plan.stack, issues).message);
  const apiToken = new pulumi.Config("cloudflare").getSecret("apiToken");
  const stack = new Stack(plan.app, { plan, projectRoot: root, bundles, ...(apiToken ? { apiToken } : {}) });
  return stack.outputs;
}

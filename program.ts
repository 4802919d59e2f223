/**
 * The workers-stack program: read and validate this stack's configuration, plan it, and declare
 * every resource of it. `index.ts` runs it under `pulumi`; the tests and the local runner run it
 * under Pulumi's mock runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./config/errors";
import { loadPlan, projectRoot } from "./config/load";
import { Stack, StackOutputs } from "./components/stack";

export function main(): StackOutputs {
  const root = projectRoot();
  let plan;
  try {
    plan = loadPlan(root);
  } catch (e) {
    // A RunError ends the program with just its message: the list of problems, no stack trace.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const apiToken = new pulumi.Config("cloudflare").getSecret("apiToken");
  const stack = new Stack(plan.app, { plan, projectRoot: root, ...(apiToken ? { apiToken } : {}) });
  return stack.outputs;
}

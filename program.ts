/**
 * The workers-stack program: read and validate this stack's configuration, plan it, and declare
 * every resource of it. `index.ts` runs it under `pulumi`; the tests and the local runner run it
 * under Pulumi's mock runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError } from "./config/errors";
import { fileFacts, gitVersion, loadPlan, projectRoot, readConfigSource } from "./config/load";
import { buildPlan, Plan } from "./config/plan";
import { stackSchema, systemSchema } from "./config/schema";
import { validate } from "./config/validate";
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
  let plan;
  try {
    plan = declared.system === undefined && declared.stack === undefined ? loadPlan(root) : planDeclared(root, declared);
  } catch (e) {
    // A RunError ends the program with just its message: the list of problems, no stack trace.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const apiToken = new pulumi.Config("cloudflare").getSecret("apiToken");
  const stack = new Stack(plan.app, { plan, projectRoot: root, ...(apiToken ? { apiToken } : {}) });
  return stack.outputs;
}

/** The plan of a declaration given in code (per-stack keys — ids, secrets — still come from config). */
function planDeclared(root: string, declared: Declared): Plan {
  const source = readConfigSource();
  const both = [
    ...(declared.system !== undefined && source.system !== undefined ? [["system", "Pulumi.yaml"]] : []),
    ...(declared.stack !== undefined && source.stackSettings !== undefined ? [["stack", `Pulumi.${source.stack}.yaml`]] : []),
  ];
  if (both.length)
    throw new ConfigError(
      source.stack,
      both.map(([key, file]) => ({
        path: key,
        message: `is declared both in code (main({ ${key} })) and in the config (${source.project}:${key})`,
        hint: `keep one: remove ${source.project}:${key} from ${file}, or stop passing ${key} to main()`,
      })),
    );
  const declaration = validate(
    { ...source, ...(declared.system !== undefined ? { system: declared.system } : {}), ...(declared.stack !== undefined ? { stackSettings: declared.stack } : {}) },
    fileFacts(root),
  );
  return buildPlan(declaration, declaration.settings.version ?? gitVersion(root));
}
